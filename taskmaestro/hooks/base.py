"""Lifecycle hooks: observers of jobs and tasks that can never break a job."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from ..context import ExecutionContext
    from ..job import Job, TaskResult

__all__ = ["BaseHook", "Hook", "HookWarning"]


class HookWarning(RuntimeWarning):
    """A hook raised; the job went on. The message names the hook, the event and the error."""


@runtime_checkable
class Hook(Protocol):
    """What the runner calls. Subclass ``BaseHook`` and override only what you need."""

    def on_job_start(self, job: Job[Any, Any], ctx: ExecutionContext) -> None: ...
    def on_job_complete(self, job: Job[Any, Any], ctx: ExecutionContext) -> None: ...
    def on_job_fail(
        self, job: Job[Any, Any], error: BaseException, ctx: ExecutionContext
    ) -> None: ...
    def on_task_start(self, job: Job[Any, Any], task_name: str, ctx: ExecutionContext) -> None: ...
    def on_task_complete(
        self, job: Job[Any, Any], result: TaskResult, ctx: ExecutionContext
    ) -> None: ...
    def on_task_fail(
        self, job: Job[Any, Any], result: TaskResult, ctx: ExecutionContext
    ) -> None: ...


class BaseHook:
    """A hook that does nothing; override the events you care about.

    Events come in this order: ``on_job_start``; per task ``on_task_start`` then
    ``on_task_complete`` or ``on_task_fail`` (whose ``result.exception`` is the
    error); finally ``on_job_complete`` or ``on_job_fail``. An exception raised
    by a hook is reported with ``warnings.warn`` (``HookWarning``) and ignored.
    """

    def on_job_start(self, job: Job[Any, Any], ctx: ExecutionContext) -> None:
        """The job is about to run its first task."""

    def on_job_complete(self, job: Job[Any, Any], ctx: ExecutionContext) -> None:
        """Every task completed; ``job.result`` is set."""

    def on_job_fail(self, job: Job[Any, Any], error: BaseException, ctx: ExecutionContext) -> None:
        """The job failed; ``job.failed_task`` names the task at fault, if any."""

    def on_task_start(self, job: Job[Any, Any], task_name: str, ctx: ExecutionContext) -> None:
        """``task_name`` is about to run."""

    def on_task_complete(
        self, job: Job[Any, Any], result: TaskResult, ctx: ExecutionContext
    ) -> None:
        """A task returned its output (``result.output``)."""

    def on_task_fail(self, job: Job[Any, Any], result: TaskResult, ctx: ExecutionContext) -> None:
        """A task failed (``result.exception``)."""


EVENTS = (
    "on_job_start",
    "on_job_complete",
    "on_job_fail",
    "on_task_start",
    "on_task_complete",
    "on_task_fail",
)


class Dispatcher:
    """Calls each event on the hooks that define it, precomputed once per runner.

    The boolean attributes (``on_task_start`` ...) say whether anyone listens,
    so the runner's loop skips events nobody observes.
    """

    def __init__(self, hooks: Sequence[object]) -> None:
        self._listeners: dict[str, tuple[tuple[object, Callable[..., object]], ...]] = {
            event: tuple((hook, getattr(hook, event)) for hook in hooks if _listens(hook, event))
            for event in EVENTS
        }
        self.on_task_start = bool(self._listeners["on_task_start"])
        self.on_task_complete = bool(self._listeners["on_task_complete"])

    def emit(self, event: str, *args: object) -> None:
        for hook, method in self._listeners[event]:
            try:
                method(*args)
            except Exception as error:
                _report(hook, event, error)


def _listens(hook: object, event: str) -> bool:
    if isinstance(hook, BaseHook):
        return getattr(type(hook), event) is not getattr(BaseHook, event)
    return callable(getattr(hook, event, None))


def _report(hook: object, event: str, error: Exception) -> None:
    message = (
        f"Hook {type(hook).__qualname__}.{event} raised {type(error).__name__}: {error}; "
        "the job goes on"
    )
    try:
        warnings.warn(HookWarning(message), stacklevel=4)
    except Exception:  # warnings configured as errors must not break the job either
        import logging

        logging.getLogger("taskmaestro").error(message)
