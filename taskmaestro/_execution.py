"""What the sequential runner and the parallel driver share about one task's outcome.

Both build a task's input the same way, name its failures with the same
messages, and record a result (``job.task_results`` plus the hook event) the
same way; only the order and the place where ``run`` is called differ.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from time import perf_counter
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ValidationError

from . import _contract as contract
from ._deadline import Deadline
from ._graph import NestedGraph
from ._plan import Step
from .exceptions import NestedWorkflowError, TaskExecutionError, TaskOutputTypeError
from .hooks.base import Dispatcher
from .job import Job, TaskResult, TaskStatus
from .task import Task
from .workflow import Workflow

__all__ = [
    "Cursor",
    "TaskFailed",
    "assemble",
    "escaped_error",
    "inner_job",
    "instantiate",
    "nested_failure",
    "now",
    "record_failure",
    "record_success",
    "task_error",
    "timeout_message",
    "wrong_output",
]


class TaskFailed(Exception):
    """Internal: a task failed and has been recorded; the job must stop.

    ``interruption`` is a ``KeyboardInterrupt`` to raise again once the job has
    been recorded as failed.
    """

    def __init__(
        self, error: BaseException, task: str | None, interruption: BaseException | None = None
    ) -> None:
        super().__init__(task)
        self.error = error
        self.task = task
        self.interruption = interruption


@dataclass(slots=True)
class Cursor:
    """The task the job is at, to name in a job timeout or an interruption."""

    task: str | None = None


_NO_VALUES: Mapping[str, object] = MappingProxyType({})


def assemble(step: Step, outputs: Mapping[str, BaseModel], job: Job[Any, Any]) -> BaseModel:
    """The input of ``step`` from the upstream outputs, the job config and configured values."""
    try:
        return step.assemble(outputs, job.config, job.configured_values.get(step.name, _NO_VALUES))
    except ValidationError as invalid:
        raise TaskExecutionError(
            f"Task '{step.name}': its input does not validate: {invalid}", step.name
        ) from invalid


def instantiate(step: Step) -> tuple[Task[Any, Any], Exception | None]:
    """A new instance of the step's task named after it, and the constructor's error if any.

    When the constructor raises, the instance is made without it, so that the
    hooks still get a task (with its ``name``) to report the failure against.
    """
    cls = step.task
    error: Exception | None = None
    try:
        task = cls()
    except Exception as raised:
        task, error = cls.__new__(cls), raised
    task.name = step.name
    return task, error


def wrong_output(name: str, output: object, expected: type[BaseModel]) -> TaskOutputTypeError:
    return TaskOutputTypeError(
        contract.WRONG_OUTPUT.format(
            task=name, provided=type(output).__name__, expected=expected.__name__
        ),
        name,
    )


def task_error(raised: Exception, name: str) -> Exception:
    """``raised`` as the task's failure: recorded as it is (taskmaestro 0.1.0 does so).

    Failures the runner detects itself are ``TaskExecutionError``s; those that
    do not know their task yet learn it here.
    """
    if isinstance(raised, TaskExecutionError) and raised.task_name is None:
        raised.task_name = name
    return raised


def escaped_error(raised: BaseException, name: str) -> TaskExecutionError:
    """A task's ``SystemExit``, ``KeyboardInterrupt`` or other ``BaseException`` as its failure."""
    if isinstance(raised, SystemExit):
        code = "" if raised.code is None else repr(raised.code)
        message = f"Task '{name}' called sys.exit({code})"
    elif isinstance(raised, KeyboardInterrupt):
        message = f"Task '{name}' was interrupted (KeyboardInterrupt)"
    else:
        message = f"Task '{name}' failed: {type(raised).__name__}: {raised}"
    error = TaskExecutionError(message, name)
    error.__cause__ = raised
    return error


def timeout_message(deadline: Deadline, task: str | None, when: str) -> str:
    """``when`` is "before" (the task could not start) or "while" (it was running)."""
    message = f"{deadline.label} timed out after {deadline.seconds:g} s"
    if task is None or deadline.label == f"Task '{task}'":
        return message
    if when == "before":
        return f"{message}, before task '{task}' could start"
    return f"{message} while running task '{task}'"


def record_success(
    events: Dispatcher,
    job: Job[Any, Any],
    task: Task[Any, Any],
    started_at: datetime,
    start: float,
    output: BaseModel,
) -> None:
    """Append the completed TaskResult, then emit ``on_task_complete``."""
    duration = perf_counter() - start
    job.task_results.append(
        TaskResult(task.name, TaskStatus.COMPLETED, output, started_at, duration)
    )
    if events.on_task_complete:
        events.emit("on_task_complete", job, task, output)


def record_failure(
    events: Dispatcher,
    job: Job[Any, Any],
    task: Task[Any, Any],
    started_at: datetime,
    start: float,
    error: Exception,
) -> None:
    """Append the failed TaskResult and fail the job, then emit ``on_task_fail``.

    The job is failed first, so the hook sees ``job.status``, ``error``,
    ``failed_task`` and ``completed_at`` already set, as in taskmaestro 0.1.0.
    """
    duration = perf_counter() - start
    job.task_results.append(
        TaskResult(task.name, TaskStatus.FAILED, None, started_at, duration, str(error), error)
    )
    job.mark_failed(error, task.name, now())
    events.emit("on_task_fail", job, task, error)


def inner_job(nested: NestedGraph, config: BaseModel) -> Job[Any, Any]:
    """The job of a nested-workflow node: its inner graph run with ``config``."""
    return Job(
        Workflow.from_graph(nested.graph), config, job_configuration=nested.job_configuration
    )


def nested_failure(task_name: str, job: Job[Any, Any]) -> NestedWorkflowError:
    """The error of the outer task ``task_name`` when its inner ``job`` failed."""
    error = NestedWorkflowError(
        contract.NESTED_FAILED.format(
            workflow=job.workflow.name, task=job.failed_task, error=job.error
        ),
        task_name,
        job.failed_task,
    )
    error.__cause__ = job.exception
    return error


def now() -> datetime:
    """Naive local time, as taskmaestro 0.1.0 records its timestamps."""
    return datetime.now()
