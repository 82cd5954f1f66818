"""``workflow_task``: a whole workflow used as one task of another."""

from __future__ import annotations

from typing import Any, cast

from pydantic import BaseModel

from . import _contract as contract
from ._definition import WorkflowDefinition
from ._execution import nested_failure
from ._graph import NESTED_ATTRIBUTE, NestedGraph
from .context import ExecutionContext
from .exceptions import WorkflowDefinitionError
from .job import Job, JobConfiguration, JobStatus, check_job_configuration
from .models import EmptyConfig
from .runner import Runner
from .task import InT, OutT, Task

__all__ = ["nested_workflow", "workflow_task"]


def workflow_task(
    workflow: WorkflowDefinition[InT, OutT],
    *,
    name: str | None = None,
    job_configuration: JobConfiguration | None = None,
    timeout_seconds: float | None = None,
) -> type[Task[InT, OutT]]:
    """Wrap ``workflow`` as a task class named ``WorkflowTask_<name>``.

    Its input is the input model of the inner roots without ``config_fields``
    (several such roots must share one model), or ``EmptyConfig`` when every
    inner root takes its input from ``job_configuration`` (which is then
    required), checked against the inner workflow here. Its output is the inner
    result. The inner tasks share the outer
    task's ExecutionContext. An inner failure fails the outer task with a
    ``NestedWorkflowError`` naming the inner workflow and task.
    """
    task_name = name if name is not None else workflow.name
    input_model = _input_model(workflow, job_configuration)
    check_job_configuration(workflow, job_configuration)  # now, not at the outer run
    output_model = workflow.output_model

    def run(self: Task[Any, Any], input: BaseModel, ctx: ExecutionContext) -> BaseModel:
        job = Job(workflow, input, job_configuration=job_configuration)
        Runner().run(job, ctx=ctx)
        if job.status is not JobStatus.COMPLETED or job.result is None:
            raise nested_failure(self.name, job)
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
        # The graph reads this once when the class is added to a workflow: the
        # node is then a nested-workflow node (see ``_graph.NestedGraph``).
        NESTED_ATTRIBUTE: NestedGraph(workflow.graph, job_configuration),
        "_inner_workflow": workflow,  # taskmaestro 0.1.0's attribute
    }
    class_name = f"WorkflowTask_{task_name}"
    task_class = type(class_name, (Task,), namespace)
    task_class.__qualname__ = class_name
    return cast("type[Task[InT, OutT]]", task_class)


def _input_model(
    workflow: WorkflowDefinition[Any, Any], job_configuration: JobConfiguration | None
) -> type[BaseModel]:
    """The wrapper's input: the one model of the unconfigured roots, else EmptyConfig."""
    roots = [root for root in workflow.graph.roots if not root.config_fields]
    described = contract.describe_workflow(workflow.name)
    if not roots:
        if job_configuration is None:
            raise WorkflowDefinitionError(contract.NESTED_NO_ROOT.format(workflow=described))
        return EmptyConfig
    models = {root.input_model for root in roots}
    if len(models) > 1:
        listed = ", ".join(f"'{root.name}' ({root.input_model.__name__})" for root in roots)
        raise WorkflowDefinitionError(
            contract.NESTED_DIFFERENT_ROOTS.format(workflow=described, roots=listed)
        )
    return roots[0].input_model


def nested_workflow(task: type[Task[Any, Any]]) -> WorkflowDefinition[Any, Any] | None:
    """The workflow a task class wraps, if it was made by ``workflow_task``."""
    found = task.__dict__.get("_inner_workflow")
    return found if isinstance(found, WorkflowDefinition) else None
