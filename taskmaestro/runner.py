"""``Runner``: executes a job's tasks in topological order, fail-fast, with deadlines."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from time import perf_counter
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ValidationError

from . import _deadline as deadlines
from ._plan import Step
from .context import ExecutionContext
from .errors import TaskExecutionError, TaskOutputTypeError, TaskTimeoutError
from .hooks.base import Dispatcher, Hook
from .job import Job, JobStatus, TaskResult, TaskStatus
from .task import InT, OutT

__all__ = ["Runner"]


class _TaskFailed(Exception):
    """Internal: a step failed and has been recorded; the job must stop."""

    def __init__(self, error: BaseException, task: str) -> None:
        super().__init__(task)
        self.error = error
        self.task = task


class Runner:
    """Runs jobs: one task at a time in topological order, stopping at the first failure.

    ``timeout_seconds`` of ``run`` bounds the whole job; a task's own
    ``timeout_seconds`` bounds each of its runs; both hold at once. Hooks observe
    every event; their errors are reported as ``HookWarning`` and ignored.
    """

    def __init__(self, hooks: Sequence[Hook] | None = None) -> None:
        self.hooks: tuple[Hook, ...] = tuple(hooks or ())
        self._events = Dispatcher(self.hooks)

    def run(
        self,
        job: Job[InT, OutT],
        ctx: ExecutionContext | None = None,
        timeout_seconds: float | None = None,
    ) -> Job[InT, OutT]:
        """Run ``job`` and return it, ``completed`` or ``failed``; a job runs only once."""
        if timeout_seconds is not None and not timeout_seconds > 0:
            raise ValueError(f"timeout_seconds must be positive, got {timeout_seconds!r}")
        job._start(_now())
        context = ctx if ctx is not None else ExecutionContext()
        saved = deadlines.snapshot()
        try:
            self._execute(job, context, timeout_seconds)
        finally:
            deadlines.restore(saved)
            if job.status is JobStatus.RUNNING:  # something escaped _execute: never leave it so
                job._fail(TaskExecutionError("the job was interrupted"), None, _now())
            if ctx is None:
                context.close()
        return job

    def _execute(
        self, job: Job[Any, Any], ctx: ExecutionContext, timeout_seconds: float | None
    ) -> None:
        emit = self._events.emit
        plan = job.workflow._plan
        current: str | None = None
        label = f"Job of workflow '{job.workflow.name}'"
        job_deadline: deadlines.Deadline | None = None
        try:
            with deadlines.deadline(timeout_seconds, label) as job_deadline:
                emit("on_job_start", job, ctx)
                outputs: dict[str, BaseModel] = {}
                timed = deadlines.active()
                for step in plan.steps:
                    current = step.name
                    if timed:
                        deadlines.check()
                    outputs[step.name] = self._run_step(step, job, ctx, outputs, job_deadline)
            job._complete(outputs[plan.result], _now())
        except _TaskFailed as failed:
            job._fail(failed.error, failed.task, _now())
            emit("on_job_fail", job, failed.error, ctx)
        except deadlines.DeadlineExpired as expired:
            if expired.deadline is not job_deadline:
                self._abort(job, expired, current, ctx)
                raise
            error = TaskTimeoutError(_timeout_message(expired.deadline, current, "before"), current)
            job._fail(error, current, _now())
            emit("on_job_fail", job, error, ctx)
        except BaseException as error:
            self._abort(job, error, current, ctx)
            raise
        else:
            emit("on_job_complete", job, ctx)

    def _abort(
        self, job: Job[Any, Any], error: BaseException, task: str | None, ctx: ExecutionContext
    ) -> None:
        """An interruption from outside the job (Ctrl-C, an outer deadline): record it."""
        job._fail(error, task, _now())
        self._events.emit("on_job_fail", job, error, ctx)

    def _run_step(
        self,
        step: Step,
        job: Job[Any, Any],
        ctx: ExecutionContext,
        outputs: Mapping[str, BaseModel],
        job_deadline: deadlines.Deadline | None,
    ) -> BaseModel:
        """Run one task and record its result; on failure record it and raise _TaskFailed."""
        name = step.name
        events = self._events
        started_at = _now()
        start = perf_counter()
        task_deadline: deadlines.Deadline | None = None
        try:
            if events.on_task_start:
                events.emit("on_task_start", job, name, ctx)
            try:
                task_input = step.assemble(
                    outputs, job.config, job._config_values.get(name, _NO_VALUES)
                )
            except ValidationError as invalid:
                raise TaskExecutionError(
                    f"Task '{name}': its input does not validate: {invalid}", name
                ) from invalid
            task = step.task()
            if step.timeout_seconds is None:
                output = deadlines.call(task.run, task_input, ctx)
            else:
                with deadlines.deadline(step.timeout_seconds, f"Task '{name}'") as task_deadline:
                    output = deadlines.call(task.run, task_input, ctx)
            if not isinstance(output, step.output_model):
                raise TaskOutputTypeError(
                    f"Task '{name}' returned {type(output).__name__}, expected "
                    f"{step.output_model.__name__}",
                    name,
                )
        except deadlines.DeadlineExpired as expired:
            ours = expired.deadline is task_deadline or expired.deadline is job_deadline
            timeout = TaskTimeoutError(_timeout_message(expired.deadline, name, "while"), name)
            self._record_failure(job, name, started_at, start, timeout, ctx)
            if not ours:
                raise
            raise _TaskFailed(timeout, name) from None
        except Exception as raised:
            error = _task_error(raised, name)
            self._record_failure(job, name, started_at, start, error, ctx)
            raise _TaskFailed(error, name) from None
        result = TaskResult(name, TaskStatus.COMPLETED, started_at, perf_counter() - start, output)
        job.task_results[name] = result
        if events.on_task_complete:
            events.emit("on_task_complete", job, result, ctx)
        return output

    def _record_failure(
        self,
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
        self._events.emit("on_task_fail", job, result, ctx)


_NO_VALUES: Mapping[str, object] = MappingProxyType({})


def _task_error(raised: Exception, name: str) -> TaskExecutionError:
    if isinstance(raised, TaskExecutionError):
        if raised.task_name is None:
            raised.task_name = name
        return raised
    error = TaskExecutionError(f"Task '{name}' failed: {type(raised).__name__}: {raised}", name)
    error.__cause__ = raised
    return error


def _timeout_message(deadline: deadlines.Deadline, task: str | None, when: str) -> str:
    message = f"{deadline.label} timed out after {deadline.seconds:g} s"
    if task is None or deadline.label == f"Task '{task}'":
        return message
    if when == "before":
        return f"{message}, before task '{task}' could start"
    return f"{message} while running task '{task}'"


def _now() -> datetime:
    return datetime.now(UTC)
