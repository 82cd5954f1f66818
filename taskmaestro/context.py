"""ExecutionContext: what every task's ``run`` receives besides its input."""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import tempfile
import threading
import uuid
from collections import ChainMap
from collections.abc import Mapping
from contextvars import ContextVar, Token
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Any, Self, TypeVar, overload

__all__ = [
    "CORRELATION_ID",
    "TASK",
    "WORKFLOW",
    "ExecutionContext",
    "RunningTask",
    "TaskLogger",
    "enter_sequence",
    "enter_task",
    "leave_task",
]

T = TypeVar("T")

_DEFAULT_LOGGER = "taskmaestro"

CORRELATION_ID = "correlation_id"
"""The log record attribute holding the correlation id of the context a task logged with."""
TASK = "taskmaestro_task"
"""The log record attribute holding the name of the task that logged."""
WORKFLOW = "taskmaestro_workflow"
"""The log record attribute holding the name of the workflow of the task that logged."""


class RunningTask:
    """The task running in this thread (or asyncio task): what ``ctx.logger`` is named after.

    ``task`` is ``None`` between the tasks of a sequence (``enter_sequence``);
    ``logger`` caches the ``TaskLogger`` made for ``owner``, the context that
    asked, while the task is ``logger_task``.
    """

    __slots__ = ("logger", "logger_task", "owner", "task", "workflow")

    def __init__(self, workflow: str, task: str | None) -> None:
        self.workflow: str = workflow
        self.task: str | None = task
        self.owner: ExecutionContext | None = None
        self.logger: TaskLogger | None = None
        self.logger_task: str | None = None


_RUNNING: ContextVar[RunningTask | None] = ContextVar("taskmaestro_running_task", default=None)


def enter_sequence(workflow: str) -> tuple[RunningTask, Token[RunningTask | None]]:
    """One scope for tasks of ``workflow`` run one after another in this thread.

    The sequential runner points it at each task while its ``run`` is called
    (``scope.task = name``) and clears it in between (``scope.task = None``),
    with no context variable change per task; it ends with ``leave_task(token)``.
    """
    scope = RunningTask(workflow, None)
    return scope, _RUNNING.set(scope)


def enter_task(workflow: str, task: str) -> Token[RunningTask | None]:
    """Mark task ``task`` of ``workflow`` as running here, until ``leave_task(token)``.

    Every executor calls it around a task's ``run``, in the thread that runs it:
    ``ctx.logger`` read there is the task's logger.
    """
    return _RUNNING.set(RunningTask(workflow, task))


def leave_task(token: Token[RunningTask | None]) -> None:
    """End the scope that ``enter_task`` returned ``token`` for."""
    _RUNNING.reset(token)


class TaskLogger(logging.Logger):
    """``ctx.logger`` inside a task: ``<context logger>.<workflow>.<task>``, with stamped records.

    Each record it makes carries the attributes ``taskmaestro_workflow``,
    ``taskmaestro_task`` and ``correlation_id`` (values a caller passes in
    ``extra`` win), so that a formatter can print them. It is not registered
    with ``logging``: it hands its records to the registered logger of the same
    name (its parent), whose level, filters and handlers apply, and up the
    hierarchy as usual. So one logger object per task run carries that run's
    correlation id even when several runs of a workflow log at once.
    """

    def __init__(self, base: logging.Logger, workflow: str, task: str, correlation_id: str) -> None:
        registered = base.getChild(f"{workflow}.{task}")
        super().__init__(registered.name)
        self.parent: logging.Logger | None = registered
        self.base: logging.Logger = base
        """The context's own logger, that this one is a child of."""
        self.stamp: dict[str, str] = {
            WORKFLOW: workflow,
            TASK: task,
            CORRELATION_ID: correlation_id,
        }

    def isEnabledFor(self, level: int) -> bool:
        """Enabled as the registered logger of this name is (its level and ``disabled``)."""
        if self.disabled:
            return False
        if self.level:
            return level >= self.level
        assert self.parent is not None
        return self.parent.isEnabledFor(level)

    def makeRecord(
        self,
        name: str,
        level: int,
        fn: str,
        lno: int,
        msg: object,
        args: Any,
        exc_info: Any,
        func: str | None = None,
        extra: Mapping[str, object] | None = None,
        sinfo: str | None = None,
    ) -> logging.LogRecord:
        record = super().makeRecord(name, level, fn, lno, msg, args, exc_info, func, extra, sinfo)
        for key, value in self.stamp.items():
            record.__dict__.setdefault(key, value)
        return record

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        stamp = self.stamp
        return TaskLogger, (self.base, stamp[WORKFLOW], stamp[TASK], stamp[CORRELATION_ID])


_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class ExecutionContext:
    """Shared per-job resources: a logger, a correlation id, a scratch folder, services.

    The arguments are taskmaestro 0.1.0's, in its order (an empty or missing
    ``correlation_id`` becomes a new UUID, a missing ``logger`` the
    ``"taskmaestro"`` logger), plus ``services`` to register at once.

    Inside a task's ``run``, ``logger`` is the task's own child logger
    (``TaskLogger``: ``taskmaestro.<workflow>.<task>`` by default), whose
    records carry the workflow, the task and the correlation id.

    ``scratch_dir`` is created on first use. A folder the context created itself
    is temporary and removed by ``close()`` (the runner closes the contexts it
    creates); a folder given by the caller is created if missing and never removed.
    Services are registered under a string or a type: ``resolve(Database)`` is
    typed ``Database``.

    A context pickles (for a task run in another process): the copy has the same
    logger name, correlation id, services and scratch folder. Pickling creates
    the scratch folder, so that every copy shares it; a copy never removes it.

    ``child`` makes the context of one item of a mapped task: its own id,
    scratch folder and services, over its parent's (see ``child``).
    """

    def __init__(
        self,
        correlation_id: str | None = None,
        logger: logging.Logger | None = None,
        scratch_dir: str | Path | None = None,
        *,
        services: Mapping[str | type[Any], object] | None = None,
        parent_correlation_id: str | None = None,
    ) -> None:
        self._logger: logging.Logger = _base(logger or logging.getLogger(_DEFAULT_LOGGER))
        self.correlation_id: str = correlation_id or str(uuid.uuid4())
        self.parent_correlation_id: str | None = parent_correlation_id
        """The parent's ``correlation_id`` for a ``child`` context, else ``None``."""
        self._given_scratch = Path(scratch_dir) if scratch_dir else None
        self._scratch: Path | None = None
        self._scratch_lock = threading.Lock()
        self._services: dict[str | type[Any], object] = dict(services or {})
        self._layers: list[dict[str | type[Any], object]] = [self._services]
        """Where ``resolve`` looks, own services first (a child adds its parent's layers)."""
        self._lookup: Mapping[str | type[Any], object] = self._services
        self._parent: ExecutionContext | None = None
        self._folder = ""

    @property
    def logger(self) -> logging.Logger:
        """The context's logger; inside a task, its child for the task, with stamped records.

        Read in the thread that runs a task (in any executor), it is a
        ``TaskLogger`` named ``<logger>.<workflow>.<task>`` (by default
        ``taskmaestro.<workflow>.<task>``) whose records carry the workflow,
        the task and this context's correlation id. Anywhere else, it is the
        logger given to the constructor (by default ``"taskmaestro"``).
        """
        scope = _RUNNING.get()
        if scope is None or scope.task is None:
            return self._logger
        logger = scope.logger
        if logger is None or scope.owner is not self or scope.logger_task is not scope.task:
            logger = TaskLogger(self._logger, scope.workflow, scope.task, self.correlation_id)
            scope.owner, scope.logger, scope.logger_task = self, logger, scope.task
        return logger

    @logger.setter
    def logger(self, logger: logging.Logger) -> None:
        self._logger = _base(logger)

    @property
    def scratch_dir(self) -> Path:
        """A folder for the job's temporary files; it exists once you ask for it."""
        with self._scratch_lock:
            if self._scratch is None:
                if self._parent is not None:
                    self._scratch = self._parent.scratch_dir / self._folder
                    self._scratch.mkdir(exist_ok=True)
                elif self._given_scratch is not None:
                    self._given_scratch.mkdir(parents=True, exist_ok=True)
                    self._scratch = self._given_scratch
                else:
                    self._scratch = Path(tempfile.mkdtemp(prefix="taskmaestro-"))
            return self._scratch

    @property
    def services(self) -> Mapping[str | type[Any], object]:
        """The registered services by key (a read-only view; ``register`` adds one).

        A ``child`` context's view holds its own services and, under them, its parent's.
        """
        return MappingProxyType(self._lookup)

    @overload
    def register(self, key: type[T], service: T) -> None: ...
    @overload
    def register(self, key: str, service: object) -> None: ...
    def register(self, key: str | type[Any], service: object) -> None:
        """Make ``service`` available to tasks under ``key`` (replacing any previous one)."""
        self._services[key] = service

    @overload
    def resolve(self, key: type[T]) -> T: ...
    @overload
    def resolve(self, key: str) -> Any: ...
    def resolve(self, key: str | type[Any]) -> Any:
        """Return the service registered under ``key``; ``KeyError`` lists the known keys."""
        try:
            return self._lookup[key]
        except KeyError:
            known = ", ".join(sorted(key_name(k) for k in self._lookup)) or "none"
            raise KeyError(
                f"No service registered under {key_name(key)!r}; registered: {known}"
            ) from None

    def child(self, *, task_name: str, item_key: str) -> ExecutionContext:
        """The context of item ``item_key`` of the mapped task ``task_name``.

        Same logger; correlation id ``<parent id>:<safe>:<hash>`` (``parent_correlation_id``
        is the parent's); scratch folder ``<parent scratch>/<safe>-<hash>``, made on first
        use and removed with the parent's. ``safe`` is ``task:key`` with every run of
        characters other than letters, digits and ``_.-`` replaced by ``_``, and ``hash``
        the first 8 hex digits of the SHA-256 of ``task:key``, so that names stay apart.
        Services registered on the child stay its own; the parent's remain visible under
        them, so one item cannot change what the parent or the other items resolve.
        """
        label = f"{task_name}:{item_key}"
        safe = _UNSAFE.sub("_", label).strip("_") or "item"
        digest = hashlib.sha256(label.encode()).hexdigest()[:8]
        child = ExecutionContext(
            f"{self.correlation_id}:{safe}:{digest}",
            self.logger,
            parent_correlation_id=self.correlation_id,
        )
        child._parent = self
        child._folder = f"{safe}-{digest}"
        child._layers = [child._services, *self._layers]
        child._lookup = ChainMap(*child._layers)
        return child

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return _copy, (
            self._logger,
            self.correlation_id,
            self.scratch_dir,
            dict(self._lookup),
            self.parent_correlation_id,
        )

    def close(self) -> None:
        """Remove the scratch folder if this context created it (not a child's: see ``child``)."""
        with self._scratch_lock:
            scratch, self._scratch = self._scratch, None
        if scratch is not None and self._given_scratch is None and self._parent is None:
            shutil.rmtree(scratch, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _copy(
    logger: logging.Logger,
    correlation_id: str,
    scratch_dir: Path,
    services: Mapping[str | type[Any], object],
    parent_correlation_id: str | None = None,
) -> ExecutionContext:
    """A context unpickled in another process (``ExecutionContext.__reduce__``)."""
    return ExecutionContext(
        logger=logger,
        correlation_id=correlation_id,
        scratch_dir=scratch_dir,
        services=services,
        parent_correlation_id=parent_correlation_id,
    )


def _base(logger: logging.Logger) -> logging.Logger:
    """A task's logger given to a new context stands for its context's logger."""
    return logger.base if isinstance(logger, TaskLogger) else logger


def key_name(key: str | type[Any]) -> str:
    return key if isinstance(key, str) else f"{key.__module__}.{key.__qualname__}"
