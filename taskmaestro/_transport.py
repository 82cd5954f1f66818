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

Modules that a workflow file's loader imported from the file's folder
(``travel_by_value``) are not importable in a worker started elsewhere (a Dask
worker in another folder or on another machine): their classes and functions
travel by value, pickled with ``cloudpickle`` (installed with the ``dask`` and
``processes`` extras), and a worker sends the outputs back the same way.

What a worker process sends back must unpickle in the parent (a
``ProcessPoolExecutor`` breaks for good otherwise), and must not stop the
worker: an exception that does not survive the round trip is replaced by a
``TaskExecutionError`` with its class and text, and a task's ``SystemExit`` or
``KeyboardInterrupt`` travels as ``Escaped``, raised again in the driver.
"""

from __future__ import annotations

import importlib
import pickle
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from types import ModuleType
from typing import Any

from pydantic import BaseModel

from . import _deadline as deadlines
from ._execution import escaped_error
from .context import ExecutionContext, enter_task, key_name, leave_task
from .exceptions import TaskExecutionError
from .task import Task

__all__ = [
    "Escaped",
    "Sender",
    "WorkerDeadline",
    "capacity",
    "perform",
    "perform_pickled",
    "travel_by_value",
]

type Dumps = Callable[[object], bytes]

_by_value_lock = threading.Lock()
_by_value: set[str] = set()
"""The modules registered to travel by value, by name."""


def travel_by_value(module: ModuleType) -> bool:
    """Send ``module``'s classes and functions to workers by value from now on.

    For modules a workflow file's folder provides: a worker elsewhere cannot
    import them. ``False`` when cloudpickle is not installed (they travel by
    reference, as before).
    """
    try:
        cloudpickle = importlib.import_module("cloudpickle")
    except ImportError:
        return False
    cloudpickle.register_pickle_by_value(module)
    with _by_value_lock:
        _by_value.add(module.__name__)
    return True


def _travels_by_value(cls: type) -> bool:
    """Whether ``cls`` comes from a module that travels by value (or from its package)."""
    module = cls.__module__
    return module in _by_value or module.partition(".")[0] in _by_value


def _dumps(by_value: bool) -> Dumps:
    """How to pickle: with cloudpickle for classes that travel by value, else ``pickle``.

    Only tasks whose class or input model travel by value are pickled with
    cloudpickle (slower): every other task pickles as it always did.
    """
    if by_value:
        dumps: Dumps = importlib.import_module("cloudpickle").dumps
        return dumps
    return _pickle


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
    workflow: str,
    instance: Task[Any, Any],
    task_input: BaseModel,
    ctx: ExecutionContext,
    bound: float | None,
) -> BaseModel:
    """In the worker: run one task instance of ``workflow``, for at most ``bound`` seconds.

    ``ctx.logger`` is the task's logger meanwhile (``enter_task``).
    """
    scope = enter_task(workflow, instance.name)
    try:
        if bound is None:
            output: BaseModel = instance.run(task_input, ctx)
            return output
        try:
            with deadlines.deadline(bound, "the task's earliest deadline, in its worker"):
                output = deadlines.call(instance.run, task_input, ctx)
        except deadlines.DeadlineExpired:
            raise WorkerDeadline from None
        return output
    finally:
        leave_task(scope)


def perform_pickled(payload: bytes, context: bytes) -> bytes:
    """In a worker process: ``perform`` on pickled arguments, returning the pickled output."""
    workflow, name, task, task_input, bound, by_value, _token = pickle.loads(payload)
    dumps = _dumps(by_value)
    try:
        output = perform(workflow, task, task_input, pickle.loads(context), bound)
    except WorkerDeadline:
        raise
    except Exception as raised:
        if _round_trip_error(raised, dumps) is None:
            raise
        # The task's own exception cannot travel back: its type and text do.
        failure = TaskExecutionError(
            f"Task '{name}' failed: {type(raised).__name__}: {raised}", name
        )
    except SystemExit as raised:
        code = raised.code if _round_trip_error(raised.code, dumps) is None else repr(raised.code)
        raise Escaped("SystemExit", code) from None
    except KeyboardInterrupt:
        raise Escaped("KeyboardInterrupt", None) from None
    except BaseException as raised:  # neither: the worker reports it as the task's failure
        failure = TaskExecutionError(str(escaped_error(raised, name)), name)
    else:
        try:
            return dumps(output)
        except Exception as error:
            what = f"Task '{name}' ran, but its output"
            raise _unpicklable(what, output, error, dumps) from error
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
        workflow: str,
        name: str,
        task: Task[Any, Any],
        task_input: BaseModel,
        chain: tuple[deadlines.Deadline, ...],
        ctx: ExecutionContext | None = None,
    ) -> Future[Any]:
        """Send task ``name`` of ``workflow``, bounded by the deadlines of ``chain``, with
        the job's context or ``ctx`` (a mapped item's own).

        In this process, the task's own deadline (``deadlines.unstarted``) starts
        when a worker thread picks the task up, not when it is queued: several
        runners may share one pool.
        """
        if self.in_process:
            return self.executor.submit(
                self._perform_here,
                workflow,
                task,
                task_input,
                chain,
                self.ctx if ctx is None else ctx,
            )
        bound = _bound(chain)
        # Each submission is unique, so an executor that caches results by their
        # arguments (Dask's pure=True) still runs every task.
        self._sent += 1
        token = f"{self._token}:{self._sent}"
        by_value = bool(_by_value) and (
            _travels_by_value(type(task)) or _travels_by_value(type(task_input))
        )
        try:
            payload = _dumps(by_value)((workflow, name, task, task_input, bound, by_value, token))
        except Exception as error:
            if not by_value:
                raise self._cannot_send(name, type(task), task_input, error, _pickle) from error
            # Something its module holds cannot travel by value (a lock, a connection):
            # by reference, as before, for workers that can import the module.
            try:
                payload = _pickle((workflow, name, task, task_input, bound, False, token))
            except Exception:
                raise self._cannot_send(name, type(task), task_input, error, _pickle) from error
        context = self._pickled_context(name) if ctx is None else self._pickled(name, ctx)
        return self.executor.submit(perform_pickled, payload, context)

    def _perform_here(
        self,
        workflow: str,
        task: Task[Any, Any],
        task_input: BaseModel,
        chain: tuple[deadlines.Deadline, ...],
        ctx: ExecutionContext,
    ) -> BaseModel:
        """In a worker thread: start the clocks that wait for it, then ``perform``."""
        if any(deadlines.start(entry) for entry in chain):
            self.wake()
        return perform(workflow, task, task_input, ctx, _bound(chain))

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
        """``ctx`` pickled, or the error naming the part of it (a service) that is not."""
        try:
            return _pickle(ctx)
        except Exception as error:
            prefix, dumps = self._prefix(name), _pickle
            for key, service in ctx.services.items():
                failure = _pickling_error(service, dumps)
                if failure is not None:
                    what = f"{prefix}the service {key_name(key)!r} of its context"
                    raise _unpicklable(what, service, failure, dumps, _SERVICE_HINT) from error
            what = f"{prefix}its ExecutionContext"
            raise _unpicklable(what, ctx, error, dumps) from error

    def _cannot_send(
        self,
        name: str,
        task: type[Task[Any, Any]],
        task_input: BaseModel,
        error: Exception,
        dumps: Dumps,
    ) -> TaskExecutionError:
        failure = _pickling_error(task, dumps)
        if failure is not None:
            what = f"{self._prefix(name)}its class"
            return _unpicklable(what, task, failure, dumps, _CLASS_HINT)
        return _unpicklable(f"{self._prefix(name)}its input", task_input, error, dumps)

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


def _round_trip_error(value: object, dumps: Dumps) -> Exception | None:
    """Why ``value`` cannot be pickled and unpickled again, if it cannot.

    An exception whose ``__init__`` takes other arguments than its ``args``
    pickles, but fails to unpickle: in a process pool's parent that breaks the
    whole pool, so the worker checks first.
    """
    try:
        pickle.loads(dumps(value))
    except Exception as error:
        return error
    return None


def _pickling_error(value: object, dumps: Dumps) -> Exception | None:
    try:
        dumps(value)
    except Exception as error:
        return error
    return None


def _unpicklable(
    what: str, value: object, error: Exception, dumps: Dumps, hint: str = ""
) -> TaskExecutionError:
    """The error for ``value`` that did not pickle, naming its innermost part at fault."""
    path, culprit, reason = _culprit(value, "", error, dumps)
    where = f"{what} field '{path.removeprefix('.')}'" if path else what
    described = (
        f"{culprit.__module__}.{culprit.__qualname__}"
        if isinstance(culprit, type)
        else f"a {type(culprit).__qualname__}"
    )
    message = f"{where} ({described}) cannot be pickled: {type(reason).__name__}: {reason}"
    return TaskExecutionError(f"{message}; {hint}" if hint else message)


def _culprit(
    value: object, path: str, error: Exception, dumps: Dumps
) -> tuple[str, object, Exception]:
    """The innermost part of ``value`` that does not pickle, with its path and error."""
    for child_path, child in _parts(value, path):
        failure = _pickling_error(child, dumps)
        if failure is not None:
            return _culprit(child, child_path, failure, dumps)
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
