"""What the sequential runner and the parallel driver share about one task's outcome.

Both build a task's input the same way, name its failures with the same
messages, and record a result (``job.task_results`` plus the hook event) the
same way; only the order and the place where ``run`` is called differ.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from time import perf_counter
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from .errors import TaskExecutionError, TaskOutputTypeError
from .job import Job, TaskResult, TaskStatus

if TYPE_CHECKING:
    from ._deadline import Deadline
    from ._plan import Step
    from .context import ExecutionContext
    from .hooks.base import Dispatcher

__all__ = [
    "TaskFailed",
    "assemble",
    "escaped_error",
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


def wrong_output(name: str, output: object, expected: type[BaseModel]) -> TaskOutputTypeError:
    return TaskOutputTypeError(
        f"Task '{name}' returned {type(output).__name__}, expected {expected.__name__}", name
    )


def task_error(raised: Exception, name: str) -> TaskExecutionError:
    """``raised`` as the task's failure: our own errors as they are, others wrapped."""
    if isinstance(raised, TaskExecutionError):
        if raised.task_name is None:
            raised.task_name = name
        return raised
    error = TaskExecutionError(f"Task '{name}' failed: {type(raised).__name__}: {raised}", name)
    error.__cause__ = raised
    return error


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
    name: str,
    started_at: datetime,
    start: float,
    output: BaseModel,
    ctx: ExecutionContext,
) -> None:
    result = TaskResult(name, TaskStatus.COMPLETED, started_at, perf_counter() - start, output)
    job.task_results[name] = result
    if events.on_task_complete:
        events.emit("on_task_complete", job, result, ctx)


def record_failure(
    events: Dispatcher,
    job: Job[Any, Any],
    name: str,
    started_at: datetime,
    start: float,
    error: BaseException,
    ctx: ExecutionContext,
) -> None:
    result = TaskResult(
        task_name=name,
        status=TaskStatus.FAILED,
        started_at=started_at,
        duration_seconds=perf_counter() - start,
        error=str(error),
        exception=error,
    )
    job.task_results[name] = result
    events.emit("on_task_fail", job, result, ctx)


def now() -> datetime:
    return datetime.now(UTC)
