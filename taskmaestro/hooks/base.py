"""Lifecycle hooks: observers of jobs and tasks that can never break a job.

The six job and task methods and their arguments are those of taskmaestro
0.1.0: the job, the Task instance that ran (its ``name`` is the instance name),
its output or its error. Three more follow the items of a mapped task
(``on_map_item_*``, with the item's key); a hook without them works as before.
What else a hook may want is on the job: ``job.context`` (the run's
ExecutionContext) and ``job.task_results[-1]`` (the TaskResult just recorded,
when ``on_task_complete`` or ``on_task_fail`` is called).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ..job import Job
    from ..task import Task

__all__ = ["EVENTS", "TASK_RETRY", "BaseHook", "Dispatcher", "Event", "Hook", "HookWarning"]


class Event(StrEnum):
    """The lifecycle events; a hook method is named ``on_<value>``."""

    JOB_START = "job_start"
    JOB_COMPLETE = "job_complete"
    JOB_FAIL = "job_fail"
    TASK_START = "task_start"
    TASK_COMPLETE = "task_complete"
    TASK_FAIL = "task_fail"
    MAP_ITEM_START = "map_item_start"
    MAP_ITEM_COMPLETE = "map_item_complete"
    MAP_ITEM_FAIL = "map_item_fail"


class HookWarning(UserWarning):
    """A hook raised; the job went on. The message names the hook, the event and the error."""


@runtime_checkable
class Hook(Protocol):
    """What the runner calls. Any object works: methods it lacks are skipped.

    Subclass ``BaseHook`` and override only what you need.
    """

    def on_job_start(self, job: Job[Any, Any]) -> None: ...
    def on_job_complete(self, job: Job[Any, Any]) -> None: ...
    def on_job_fail(self, job: Job[Any, Any]) -> None: ...
    def on_task_start(self, job: Job[Any, Any], task: Task[Any, Any]) -> None: ...
    def on_task_complete(
        self, job: Job[Any, Any], task: Task[Any, Any], output: BaseModel
    ) -> None: ...
    def on_task_fail(self, job: Job[Any, Any], task: Task[Any, Any], error: Exception) -> None: ...
    def on_map_item_start(self, job: Job[Any, Any], task: Task[Any, Any], key: str) -> None: ...
    def on_map_item_complete(
        self, job: Job[Any, Any], task: Task[Any, Any], key: str, output: BaseModel
    ) -> None: ...
    def on_map_item_fail(
        self, job: Job[Any, Any], task: Task[Any, Any], key: str, error: Exception
    ) -> None: ...


class BaseHook:
    """A hook that does nothing; override the events you care about.

    Events come in this order: ``on_job_start`` (the job is still pending); per
    task, in execution order, ``on_task_start`` then ``on_task_complete`` or
    ``on_task_fail`` (after its TaskResult was appended to ``job.task_results``;
    on failure the job is already marked failed), with an ``on_task_retry``
    before each retried attempt; finally ``on_job_complete`` or ``on_job_fail``.
    Between the start and the end of a mapped task, per item,
    ``on_map_item_start`` then ``on_map_item_complete`` or ``on_map_item_fail``
    (after its record was appended to ``job.mapped_item_results[task.name]``).
    An exception raised by a hook is reported as a ``HookWarning`` and ignored.
    """

    def on_job_start(self, job: Job[Any, Any]) -> None:
        """The job is about to run its first task (its status is still pending)."""

    def on_job_complete(self, job: Job[Any, Any]) -> None:
        """Every task completed; ``job.result`` and ``job.completed_at`` are set."""

    def on_job_fail(self, job: Job[Any, Any]) -> None:
        """The job failed: ``job.error``, ``job.exception`` and ``job.failed_task`` say why."""

    def on_task_start(self, job: Job[Any, Any], task: Task[Any, Any]) -> None:
        """``task`` (an instance; ``task.name`` is its instance name) is about to run."""

    def on_task_complete(self, job: Job[Any, Any], task: Task[Any, Any], output: BaseModel) -> None:
        """``task`` returned ``output``; ``job.task_results[-1]`` is its TaskResult."""

    def on_task_fail(self, job: Job[Any, Any], task: Task[Any, Any], error: Exception) -> None:
        """``task`` failed with ``error``; ``job.task_results[-1]`` is its TaskResult."""

    def on_task_retry(
        self, job: Job[Any, Any], task: Task[Any, Any], error: Exception, attempt: int
    ) -> None:
        """Attempt number ``attempt`` (from 1) of ``task`` failed with ``error``; another
        follows, after the retry delay. Not a 0.1.0 event: hooks without it still work."""

    def on_map_item_start(self, job: Job[Any, Any], task: Task[Any, Any], key: str) -> None:
        """Item ``key`` of a mapped task is about to run in ``task``, a new instance for it."""

    def on_map_item_complete(
        self, job: Job[Any, Any], task: Task[Any, Any], key: str, output: BaseModel
    ) -> None:
        """Item ``key`` returned ``output``; ``job.mapped_item_results[task.name][-1]`` says so."""

    def on_map_item_fail(
        self, job: Job[Any, Any], task: Task[Any, Any], key: str, error: Exception
    ) -> None:
        """Item ``key`` failed with ``error``; its record ends ``job.mapped_item_results[...]``."""


EVENTS = tuple(f"on_{event.value}" for event in Event)
"""The hook method names of taskmaestro 0.1.0's events, in ``Event`` order."""

TASK_RETRY = "on_task_retry"
"""The optional event of a failed attempt that is retried: ``(job, task, error, attempt)``.
Called only on hooks that define it."""


class Dispatcher:
    """Calls each event on the hooks that define it, precomputed once per hook list.

    Duck-typed: any object works, and a method a hook lacks (or inherits from
    ``BaseHook`` unchanged) is skipped. The boolean attributes
    (``on_task_start`` ...) say whether anyone listens, so the runner's loop
    skips events nobody observes.
    """

    def __init__(self, hooks: Sequence[object]) -> None:
        self.hooks: tuple[object, ...] = tuple(hooks)
        self._listeners: dict[str, tuple[tuple[object, Callable[..., object]], ...]] = {
            event: tuple(
                (hook, getattr(hook, event)) for hook in self.hooks if _listens(hook, event)
            )
            for event in (*EVENTS, TASK_RETRY)
        }
        self.on_task_start: bool = bool(self._listeners["on_task_start"])
        self.on_task_complete: bool = bool(self._listeners["on_task_complete"])
        self.on_task_retry: bool = bool(self._listeners[TASK_RETRY])

    def emit(self, event: str, *args: object) -> None:
        for hook, method in self._listeners[event]:
            try:
                method(*args)
            except Exception as error:
                _report(hook, event, error)


def _listens(hook: object, event: str) -> bool:
    if isinstance(hook, BaseHook):
        return getattr(type(hook), event, None) is not getattr(BaseHook, event)
    return callable(getattr(hook, event, None))


def _report(hook: object, event: str, error: Exception) -> None:
    message = (
        f"Hook {type(hook).__name__} raised during {event.removeprefix('on_')}: "
        f"{type(error).__name__}: {error}; the job goes on"
    )
    try:
        warnings.warn(HookWarning(message), stacklevel=4)
    except Exception:  # warnings configured as errors must not break the job either
        logging.getLogger("taskmaestro").error(message)
