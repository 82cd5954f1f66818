"""What the sequential runner and the parallel driver share about one task's outcome.

Both build a task's input the same way, name its failures with the same
messages, and record a result (``job.task_results`` plus the hook event) the
same way; only the order and the place where ``run`` is called differ.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from time import perf_counter
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from . import _contract as contract
from .exceptions import TaskExecutionError, TaskOutputTypeError
from .job import Job, TaskResult, TaskStatus

if TYPE_CHECKING:
    from ._deadline import Deadline
    from ._plan import Step
    from .hooks.base import Dispatcher
    from .task import Task

__all__ = [
    "TaskFailed",
    "assemble",
    "escaped_error",
    "instantiate",
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


_NO_VALUES: Mapping[str, object] = MappingProxyType({})


def assemble(step: Step, outputs: Mapping[str, BaseModel], job: Job[Any, Any]) -> BaseModel:
    """The input of ``step`` from the upstream outputs, the job config and configured values."""
    try:
        return step.assemble(outputs, job.config, job._config_values.get(step.name, _NO_VALUES))
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
    job._fail(error, task.name, now())
    events.emit("on_task_fail", job, task, error)


def now() -> datetime:
    """Naive local time, as taskmaestro 0.1.0 records its timestamps."""
    return datetime.now()
