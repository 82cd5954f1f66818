"""Nested workflows: a whole workflow used as one task of another."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from pydantic import BaseModel

from .context import ExecutionContext
from .errors import TaskExecutionError
from .job import Job, JobConfiguration, JobStatus
from .task import InT, OutT, Task
from .workflow import Workflow

__all__ = ["NestedRun", "nested_run", "nested_workflow", "workflow_task"]


@dataclass(frozen=True, slots=True)
class NestedRun:
    """What a ``workflow_task`` class runs: the inner workflow with its JobConfiguration.

    The sequential runner calls the class's ``run``; the parallel driver reads this
    instead and drives the inner job itself, so a nested workflow is never sent to
    an executor (its class is made with ``type(...)`` and cannot be pickled).
    """

    workflow: Workflow[Any, Any]
    job_configuration: JobConfiguration | None

    def job(self, config: BaseModel) -> Job[Any, Any]:
        return Job(self.workflow, config, self.job_configuration)

    def failure(self, task_name: str, job: Job[Any, Any]) -> TaskExecutionError:
        """The error of the outer task when the inner job failed."""
        error = TaskExecutionError(
            f"Nested workflow '{self.workflow.name}' failed in task '{job.failed_task}': "
            f"{job.error}",
            task_name,
        )
        error.__cause__ = job.exception
        return error


def workflow_task(
    workflow: Workflow[InT, OutT],
    *,
    name: str | None = None,
    job_configuration: JobConfiguration | None = None,
    timeout_seconds: float | None = None,
) -> type[Task[InT, OutT]]:
    """Wrap ``workflow`` as a task class.

    Its input is the inner workflow's job config model (``EmptyConfig`` when every
    inner root takes its input from ``job_configuration``) and its output is the
    inner result. The inner tasks share the outer task's ExecutionContext. An
    inner failure fails the outer task, naming the inner workflow and task.
    """
    task_name = name if name is not None else workflow.name
    input_model = workflow.input_model
    output_model = workflow.output_model
    spec = NestedRun(workflow, job_configuration)

    def run(self: Task[Any, Any], input: BaseModel, ctx: ExecutionContext) -> BaseModel:
        from .runner import Runner

        job = spec.job(input)
        Runner().run(job, ctx=ctx)
        if job.status is not JobStatus.COMPLETED or job.result is None:
            raise spec.failure(task_name, job)
        result: BaseModel = job.result
        return result

    namespace: dict[str, Any] = {
        "name": task_name,
        "timeout_seconds": timeout_seconds,
        "Inputs": input_model,
        "Outputs": output_model,
        "run": run,
        "__module__": __name__,
        "__doc__": f"The workflow '{workflow.name}' run as one task.",
        "__taskmaestro_nested__": spec,
    }
    class_name = (
        "".join(part.title() for part in task_name.replace("-", "_").split("_")) or "Nested"
    )
    task_class = type(f"{class_name}Workflow", (Task,), namespace)
    return cast("type[Task[InT, OutT]]", task_class)


def nested_run(task: type[Task[Any, Any]]) -> NestedRun | None:
    """What a task class runs, if it was made by ``workflow_task``."""
    found = task.__dict__.get("__taskmaestro_nested__")
    return found if isinstance(found, NestedRun) else None


def nested_workflow(task: type[Task[Any, Any]]) -> Workflow[Any, Any] | None:
    """The workflow a task class wraps, if it was made by ``workflow_task``."""
    found = nested_run(task)
    return found.workflow if found is not None else None
