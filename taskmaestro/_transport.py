"""Sending one task to an executor's worker, and its output back.

A ``ThreadPoolExecutor`` runs tasks in this process: the task class, its input
and the ``ExecutionContext`` are handed over as they are. Any other executor
may run them in another process or on another machine, so the driver pickles
them itself before submitting (and the worker pickles the output): when
something cannot travel, the error names the task and the value at fault
instead of surfacing as a bare ``PicklingError`` from inside the executor.

In the worker, the task runs under the earliest of the deadlines that bound it,
with the same mechanism as the sequential runner (``_deadline``), so that
overrunning work is interrupted where the worker can interrupt it; the driver
enforces the deadline on its side regardless.

What a worker process sends back must unpickle in the parent (a
``ProcessPoolExecutor`` breaks for good otherwise), and must not stop the
worker: an exception that does not survive the round trip is replaced by a
``TaskExecutionError`` with its class and text, and a task's ``SystemExit`` or
``KeyboardInterrupt`` travels as ``Escaped``, raised again in the driver.
"""

from __future__ import annotations

import pickle
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

from pydantic import BaseModel

from . import _deadline as deadlines
from ._execution import escaped_error
from .context import ExecutionContext, key_name
from .exceptions import TaskExecutionError
from .task import Task

__all__ = ["Escaped", "Sender", "WorkerDeadline", "capacity", "perform", "perform_pickled"]


class WorkerDeadline(Exception):
    """The earliest deadline bounding a task passed while it ran in the worker."""


class Escaped(Exception):
    """A task's ``SystemExit`` or ``KeyboardInterrupt``, on its way back from a worker process.

    Raised as such, either would stop the worker (a Dask worker lets both
    through), so the worker sends this instead and the driver raises the
    original kind again (``rebuild``), to be handled as in the calling thread.
    """

    def __init__(self, kind: str, code: object) -> None:
        super().__init__(kind, code)

    def rebuild(self) -> BaseException:
        kind, code = self.args
        return SystemExit(code) if kind == "SystemExit" else KeyboardInterrupt()


def capacity(executor: Executor) -> int | None:
    """How many tasks ``executor`` runs at once, when it tells; ``None`` if unknown.

    The driver keeps at most that many tasks in flight, so that a task it has
    submitted is running (its clock starts then) rather than queued.
    """
    workers = getattr(executor, "_max_workers", None)  # ThreadPool- and ProcessPoolExecutor
    if isinstance(workers, int):
        return workers
    nthreads = getattr(getattr(executor, "_client", None), "nthreads", None)  # Dask's executor
    if callable(nthreads):
        threads = nthreads()
        if isinstance(threads, Mapping):
            return sum(threads.values()) or None
    return None


def perform(
    instance: Task[Any, Any], task_input: BaseModel, ctx: ExecutionContext, bound: float | None
) -> BaseModel:
    """In the worker: run one task instance, for at most ``bound`` seconds when given."""
    if bound is None:
        output: BaseModel = instance.run(task_input, ctx)
        return output
    try:
        with deadlines.deadline(bound, "the task's earliest deadline, in its worker"):
            output = deadlines.call(instance.run, task_input, ctx)
    except deadlines.DeadlineExpired:
        raise WorkerDeadline from None
    return output


def perform_pickled(payload: bytes, context: bytes) -> bytes:
    """In a worker process: ``perform`` on pickled arguments, returning the pickled output."""
    name, task, task_input, bound, _token = pickle.loads(payload)
    try:
        output = perform(task, task_input, pickle.loads(context), bound)
    except WorkerDeadline:
        raise
    except Exception as raised:
        if _round_trip_error(raised) is None:
            raise
        # The task's own exception cannot travel back: its type and text do.
        failure = TaskExecutionError(
            f"Task '{name}' failed: {type(raised).__name__}: {raised}", name
        )
    except SystemExit as raised:
        code = raised.code if _round_trip_error(raised.code) is None else repr(raised.code)
        raise Escaped("SystemExit", code) from None
    except KeyboardInterrupt:
        raise Escaped("KeyboardInterrupt", None) from None
    except BaseException as raised:  # neither: the worker reports it as the task's failure
        failure = TaskExecutionError(str(escaped_error(raised, name)), name)
    else:
        try:
            return _pickle(output)
        except Exception as error:
            raise _unpicklable(f"Task '{name}' ran, but its output", output, error) from error
    raise failure  # outside the except clause, so that the unpicklable error is not chained


class Sender:
    """Submits the tasks of one job to an executor and reads their outputs back."""

    def __init__(
        self, executor: Executor, ctx: ExecutionContext, wake: Callable[[], object]
    ) -> None:
        self.executor = executor
        self.ctx = ctx
        self.wake = wake
        self.in_process = isinstance(executor, ThreadPoolExecutor)
        self._context: bytes | None = None
        self._token = uuid.uuid4().hex
        self._sent = 0

    def submit(
        self,
        name: str,
        task: Task[Any, Any],
        task_input: BaseModel,
        chain: tuple[deadlines.Deadline, ...],
        ctx: ExecutionContext | None = None,
    ) -> Future[Any]:
        """Send one task, bounded by the deadlines of ``chain``, with the job's context
        or ``ctx`` (a mapped item's own).

        In this process, the task's own deadline (``deadlines.unstarted``) starts
        when a worker thread picks the task up, not when it is queued: several
        runners may share one pool.
        """
        if self.in_process:
            return self.executor.submit(
                self._perform_here, task, task_input, chain, self.ctx if ctx is None else ctx
            )
        bound = _bound(chain)
        # Each submission is unique, so an executor that caches results by their
        # arguments (Dask's pure=True) still runs every task.
        self._sent += 1
        token = f"{self._token}:{self._sent}"
        try:
            payload = _pickle((name, task, task_input, bound, token))
        except Exception as error:
            raise self._cannot_send(name, type(task), task_input, error) from error
        context = self._pickled_context(name) if ctx is None else self._pickled(name, ctx)
        return self.executor.submit(perform_pickled, payload, context)

    def _perform_here(
        self,
        task: Task[Any, Any],
        task_input: BaseModel,
        chain: tuple[deadlines.Deadline, ...],
        ctx: ExecutionContext,
    ) -> BaseModel:
        """In a worker thread: start the clocks that wait for it, then ``perform``."""
        if any(deadlines.start(entry) for entry in chain):
            self.wake()
        return perform(task, task_input, ctx, _bound(chain))

    def receive(self, future: Future[Any]) -> Any:
        """The output of a finished task; raises what the task raised."""
        if self.in_process:
            return future.result()
        try:
            value = future.result()
        except Escaped as escaped:
            raise escaped.rebuild() from None
        return pickle.loads(value)

    def _pickled_context(self, name: str) -> bytes:
        """The job's context, pickled once for every task."""
        if self._context is None:
            self._context = self._pickled(name, self.ctx)
        return self._context

    def _pickled(self, name: str, ctx: ExecutionContext) -> bytes:
        try:
            return _pickle(ctx)
        except Exception as error:
            prefix = self._prefix(name)
            for key, service in ctx.services.items():
                failure = _pickling_error(service)
                if failure is not None:
                    what = f"{prefix}the service {key_name(key)!r} of its context"
                    raise _unpicklable(what, service, failure, _SERVICE_HINT) from error
            raise _unpicklable(f"{prefix}its ExecutionContext", ctx, error) from error

    def _cannot_send(
        self, name: str, task: type[Task[Any, Any]], task_input: BaseModel, error: Exception
    ) -> TaskExecutionError:
        failure = _pickling_error(task)
        if failure is not None:
            return _unpicklable(f"{self._prefix(name)}its class", task, failure, _CLASS_HINT)
        return _unpicklable(f"{self._prefix(name)}its input", task_input, error)

    def _prefix(self, name: str) -> str:
        return f"Task '{name}' cannot be sent to the {type(self.executor).__name__}: "


_CLASS_HINT = "define task classes and their models at module level to run them in another process"
_SERVICE_HINT = (
    "a task in another process gets a copy of the context, so its services must be "
    "picklable; use a ThreadPoolExecutor, or let the task open the resource itself"
)


def _bound(chain: tuple[deadlines.Deadline, ...]) -> float | None:
    """Seconds until the earliest deadline of ``chain``, for the worker to enforce too."""
    if not chain:
        return None
    return max(min(d.at for d in chain) - time.monotonic(), 1e-3)


def _pickle(value: object) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _round_trip_error(value: object) -> Exception | None:
    """Why ``value`` cannot be pickled and unpickled again, if it cannot.

    An exception whose ``__init__`` takes other arguments than its ``args``
    pickles, but fails to unpickle: in a process pool's parent that breaks the
    whole pool, so the worker checks first.
    """
    try:
        pickle.loads(_pickle(value))
    except Exception as error:
        return error
    return None


def _pickling_error(value: object) -> Exception | None:
    try:
        _pickle(value)
    except Exception as error:
        return error
    return None


def _unpicklable(what: str, value: object, error: Exception, hint: str = "") -> TaskExecutionError:
    """The error for ``value`` that did not pickle, naming its innermost part at fault."""
    path, culprit, reason = _culprit(value, "", error)
    where = f"{what} field '{path.removeprefix('.')}'" if path else what
    described = (
        f"{culprit.__module__}.{culprit.__qualname__}"
        if isinstance(culprit, type)
        else f"a {type(culprit).__qualname__}"
    )
    message = f"{where} ({described}) cannot be pickled: {type(reason).__name__}: {reason}"
    return TaskExecutionError(f"{message}; {hint}" if hint else message)


def _culprit(value: object, path: str, error: Exception) -> tuple[str, object, Exception]:
    """The innermost part of ``value`` that does not pickle, with its path and error."""
    for child_path, child in _parts(value, path):
        failure = _pickling_error(child)
        if failure is not None:
            return _culprit(child, child_path, failure)
    return path, value, error


def _parts(value: object, path: str) -> Iterator[tuple[str, object]]:
    if isinstance(value, BaseModel):
        for field, item in value:
            yield f"{path}.{field}", item
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield f"{path}[{key!r}]", item
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            yield f"{path}[{index}]", item
