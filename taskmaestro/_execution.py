"""The execution core: one run of one task, shared by the sequential runner and the driver.

``TaskRun`` is the per-task routine: the task instance and its clock
(``TaskRun(...)``), ``on_task_start`` and the input (``begin``), the output
check (``check``), the record and its event (``succeed`` / ``fail``), and the
names of its failures (``failure``, ``timed_out``), its retries
(``retry_delay``) and its result cache entry (``cached``, stored by
``succeed``). The sequential runner calls ``run`` in its own thread between
``begin`` and ``check``; the parallel driver sends it to an executor; nothing
else differs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from time import perf_counter, time
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ValidationError

from . import _contract as contract
from ._deadline import Deadline
from ._definition import WorkflowDefinition
from ._graph import NestedGraph
from ._plan import Step
from .cache import (
    Cache,
    SerializationError,
    cache_key,
    code_version,
    to_canonical_json,
    to_stored_json,
)
from .exceptions import (
    NestedWorkflowError,
    TaskExecutionError,
    TaskOutputTypeError,
    TaskTimeoutError,
)
from .hooks.base import TASK_RETRY, Dispatcher
from .job import Job, JobConfiguration, TaskResult, TaskStatus
from .task import Task

__all__ = [
    "Cursor",
    "TaskFailed",
    "TaskRun",
    "assemble_input",
    "escaped_error",
    "inner_job",
    "instance",
    "invalid_input",
    "nested_failure",
    "now",
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


def invalid_input(name: str, invalid: ValidationError) -> TaskExecutionError:
    """The failure of task ``name`` whose assembled input does not validate."""
    return TaskExecutionError(f"Task '{name}': its input does not validate: {invalid}", name)


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
    message = f"{deadline.label} timed out after {deadline.seconds:g}s"
    if task is None or deadline.label == f"Task '{task}'":
        return message
    if when == "before":
        return f"{message}, before task '{task}' could start"
    return f"{message} while running task '{task}'"


def assemble_input(step: Step, job: Job[Any, Any], outputs: Mapping[str, BaseModel]) -> BaseModel:
    """The input of ``step`` from the upstream ``outputs``, the job's config and its
    configured values; ``TaskExecutionError`` when it does not validate."""
    values = job.configured_values.get(step.name, _NO_VALUES) if step.configured else _NO_VALUES
    try:
        return step.assemble(outputs, job.config, values)
    except ValidationError as invalid:
        raise invalid_input(step.name, invalid) from invalid


def instance(cls: type[Task[Any, Any]], name: str) -> tuple[Task[Any, Any], Exception | None]:
    """A new instance of ``cls`` named ``name``, and what its constructor raised, if it did.

    When the constructor raises, the instance is made without it, so that hooks
    still get a task (with its name) to report the failure against.
    """
    broken: Exception | None = None
    try:
        task = cls()
    except Exception as raised:
        task, broken = cls.__new__(cls), raised
    task.name = name
    return task, broken


class TaskRun:
    """One run of one task of a job: start, input, output check, record and events."""

    __slots__ = (
        "attempts",
        "broken",
        "cache",
        "cache_hit",
        "cache_key",
        "cache_note",
        "events",
        "job",
        "name",
        "start",
        "started_at",
        "step",
        "task",
    )

    def __init__(
        self,
        step: Step,
        job: Job[Any, Any],
        events: Dispatcher,
        cache: Cache | None = None,
        made: tuple[Task[Any, Any], Exception | None] | None = None,
    ) -> None:
        """Make the task instance and start its clock (``TaskResult.started_at``).

        ``cache`` is the runner's result cache, if it has one; ``made`` the
        instance and what its constructor raised, when the caller made it.
        """
        self.step = step
        self.cache = cache
        self.attempts = 0
        """How many times ``run`` was called: the caller counts each call with ``attempt``."""
        self.cache_hit = False
        self.cache_key: str | None = None
        """The cache entry to store the output under, when ``cached`` found none."""
        self.cache_note: str | None = None
        self.name = name = step.name
        self.job = job
        self.events = events
        # ``announce`` raises ``broken``
        self.task, self.broken = instance(step.task, name) if made is None else made
        self.started_at = time()
        self.start = perf_counter()

    def announce(self) -> None:
        """Emit ``on_task_start``; then raise what the task's constructor raised, if it did."""
        if self.events.on_task_start:
            self.events.emit("on_task_start", self.job, self.task)
        if self.broken is not None:
            raise self.broken

    def begin(self, outputs: Mapping[str, BaseModel]) -> BaseModel:
        """``announce``, then build the input; raises the task's failure."""
        self.announce()
        return assemble_input(self.step, self.job, outputs)

    def attempt(self) -> None:
        """Count a call of ``run`` (the first attempt, or a retry)."""
        self.attempts += 1

    def retry_delay(self, raised: BaseException) -> float | None:
        """After the attempt that raised ``raised``: the seconds to wait before the next
        attempt, when the task's retry policy allows one (``on_task_retry`` is emitted
        then); ``None`` when the task fails now."""
        retry = self.step.retry
        if not retry.allows(raised, self.attempts):
            return None
        if self.events.on_task_retry:
            self.events.emit(TASK_RETRY, self.job, self.task, self.failure(raised), self.attempts)
        return retry.delay(self.attempts)

    def cached(self, task_input: BaseModel) -> BaseModel | None:
        """The output the result cache holds for ``task_input``, when the task is cached.

        On a miss, remembers the entry for ``succeed`` to store; when the task
        cannot be cached, says why in ``cache_note``.
        """
        step = self.step
        policy = step.cache
        if policy is None:
            return None
        if self.cache is None:
            self.cache_note = "the runner has no cache"
            return None
        if step.nested is not None:  # its code is the inner workflow's, which no version covers
            self.cache_note = "not cached: a nested workflow is not cached as a whole"
            return None
        task = step.task
        version = code_version(task, task.cache_version)
        if version is None:
            self.cache_note = (
                f"not cached: the source of {task.__qualname__} cannot be read and it sets "
                "no cache_version"
            )
            return None
        try:
            text = to_canonical_json(task_input)
        except SerializationError as error:
            self.cache_note = f"not cached: its input {error}"
            return None
        identity = f"{task.__module__}.{task.__qualname__}"
        self.cache_key = key = cache_key(identity, version, step.output_model, text)
        found = self.cache.get(key, step.output_model, policy.max_age_seconds)
        self.cache_hit = found is not None
        return found

    def _store(self, output: BaseModel) -> None:
        """Keep ``output`` in the cache under the key ``cached`` found no entry for."""
        key, cache = self.cache_key, self.cache
        if key is None or cache is None or self.cache_hit:
            return
        try:
            cache.put(key, self.name, to_stored_json(output))
        except SerializationError as error:
            self.cache_note = f"not cached: its output {error}"
        except OSError as error:
            self.cache_note = f"not cached: {cache!r} could not be written: {error}"

    def check(self, output: object) -> BaseModel:
        """``output`` if it is of the task's output model; else ``TaskOutputTypeError``."""
        expected = self.step.output_model
        if not isinstance(output, expected):
            raise wrong_output(self.name, output, expected)
        return output

    def succeed(self, output: BaseModel) -> None:
        """Append the completed TaskResult, then emit ``on_task_complete``."""
        self._store(output)
        duration = perf_counter() - self.start
        job = self.job
        job.task_results.append(
            TaskResult(
                self.name,
                TaskStatus.COMPLETED,
                output,
                self.started_at,
                duration,
                attempts=self.attempts,
                cache_hit=self.cache_hit,
                cache_note=self.cache_note,
            )
        )
        if self.events.on_task_complete:
            self.events.emit("on_task_complete", job, self.task, output)

    def reuse(self, output: BaseModel) -> None:
        """Take ``output`` (from a resumed run's directory) instead of running the task.

        Hooks see the task as usual: ``on_task_start``, then a ``reused``
        TaskResult is appended and ``on_task_complete`` gets ``output``. The task
        instance was made (hooks need it) but neither ``begin`` nor ``run`` is called.
        """
        job = self.job
        if self.events.on_task_start:
            self.events.emit("on_task_start", job, self.task)
        duration = perf_counter() - self.start
        job.task_results.append(
            TaskResult(self.name, TaskStatus.REUSED, output, self.started_at, duration, attempts=0)
        )
        if self.events.on_task_complete:
            self.events.emit("on_task_complete", job, self.task, output)

    def fail(self, error: Exception) -> None:
        """Append the failed TaskResult and fail the job, then emit ``on_task_fail``.

        The job is failed first, so the hook sees ``job.status``, ``error``,
        ``failed_task`` and ``completed_at`` already set, as in taskmaestro 0.1.0.
        """
        duration = perf_counter() - self.start
        job, name = self.job, self.name
        job.task_results.append(
            TaskResult(
                name,
                TaskStatus.FAILED,
                None,
                self.started_at,
                duration,
                str(error),
                error,
                attempts=self.attempts,
                cache_note=self.cache_note,
            )
        )
        job.mark_failed(error, name, now())
        self.events.emit("on_task_fail", job, self.task, error)

    def failure(self, raised: BaseException) -> Exception:
        """What the task raised, as its recorded failure (see ``task_error``, ``escaped_error``)."""
        if isinstance(raised, Exception):
            return task_error(raised, self.name)
        return escaped_error(raised, self.name)

    def timed_out(self, deadline: Deadline, when: str = "while") -> TaskTimeoutError:
        """The failure when ``deadline`` passed ``when`` ("before" or "while") the task ran."""
        return TaskTimeoutError(timeout_message(deadline, self.name, when), self.name)

    @property
    def deadline_label(self) -> str:
        """The label of the task's own deadline, as timeout messages name it."""
        return f"Task '{self.name}'"


def inner_job(nested: NestedGraph, config: BaseModel) -> Job[Any, Any]:
    """The job of a nested-workflow node: its inner graph run with ``config``."""
    values = nested.job_configuration
    if values is not None and not isinstance(values, JobConfiguration):
        values = JobConfiguration(values)
    return Job(WorkflowDefinition.from_graph(nested.graph), config, job_configuration=values)


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
