"""Deadlines for jobs and tasks: one mechanism, composable, sub-second.

Deadlines live on a per-thread stack (a job's deadline, then a task's inside
it, then those of a nested workflow's job...). Whichever comes first fires;
firing one never cancels another.

On the main thread of a Unix process, ``signal.setitimer`` wakes the process at
the earliest deadline and the handler raises ``DeadlineExpired`` inside the
running task (``call``), even in ``time.sleep`` or a blocking socket read. The
handler only raises inside ``call``: elsewhere (runner bookkeeping) the expiry
waits for the next ``check()``, so cleanup code is never cut in half.

Elsewhere (another thread, or no SIGALRM), ``call`` runs the function in a
helper thread and waits for it until the earliest deadline. At the deadline
the caller gets ``DeadlineExpired`` on time; the helper thread is asked to stop
by an exception raised at its next Python bytecode. That cannot interrupt a
blocking call in C code: such a call keeps its thread busy until it returns,
but the job no longer waits for it.

A task cannot talk its way past a deadline: when ``call`` returns (or raises an
``Exception``) after a deadline passed, it raises ``DeadlineExpired`` anyway,
whether the task swallowed the interruption, replaced the SIGALRM handler,
zeroed the timer or turned the interruption into another error. While a task
that swallowed it runs on, it is interrupted again every ``REPEAT_SECONDS``.

A deadline of the parallel driver for a task queued in a thread pool is made
``unstarted`` (infinitely far) and ``start``-ed by the worker thread that picks
the task up: its clock runs from then.

The parallel driver (``_driver``) keeps the deadlines of the tasks it has in
flight itself (``after``) and waits on them; ``pending`` hands it the ones
already on this thread's stack. A forked child process starts with an empty
stack: its parent enforces the deadlines that were running when it forked.
"""

from __future__ import annotations

import contextvars
import ctypes
import math
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, TypeVar

__all__ = [
    "Deadline",
    "DeadlineExpired",
    "active",
    "after",
    "call",
    "check",
    "deadline",
    "pending",
    "restore",
    "snapshot",
    "start",
    "uninterruptible",
    "unstarted",
]

T = TypeVar("T")

_MIN_DELAY = 1e-4

REPEAT_SECONDS = 0.1
"""A task that swallowed its interruption gets it again this often until it ends."""


@dataclass(eq=False, slots=True)
class Deadline:
    seconds: float
    label: str
    at: float
    fired: bool = field(default=False)


class DeadlineExpired(BaseException):
    """Raised where a deadline interrupts work. A BaseException, so that a task's
    ``except Exception`` cannot swallow it."""

    def __init__(self, deadline: Deadline) -> None:
        super().__init__(f"{deadline.label}: deadline of {deadline.seconds:g} s passed")
        self.deadline = deadline


class Abandoned(BaseException):
    """Raised in a helper thread whose caller stopped waiting for it."""


class _State(threading.local):
    def __init__(self) -> None:
        self.stack: list[Deadline] = []
        self.interruptible = 0
        self.saved_handler: Any = None
        self.saved_timer: tuple[float, float, float] = (0.0, 0.0, 0.0)


_state = _State()


def _forget_after_fork() -> None:
    """In a forked child, drop the deadlines of the thread that forked (its parent keeps them)."""
    global _state
    previous = _state.saved_handler if _state.stack else None
    _state = _State()
    if previous is not None and hasattr(signal, "SIGALRM"):
        signal.signal(signal.SIGALRM, previous)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


def _signals_usable() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def after(seconds: float, label: str) -> Deadline:
    """A deadline ``seconds`` from now, not on any stack (the driver keeps it)."""
    return Deadline(seconds=seconds, label=label, at=time.monotonic() + seconds)


def unstarted(seconds: float, label: str) -> Deadline:
    """A deadline whose clock has not started (its ``at`` is infinite) until ``start``."""
    return Deadline(seconds=seconds, label=label, at=math.inf)


def start(entry: Deadline) -> bool:
    """Start the clock of an ``unstarted`` deadline now; False if it was running already."""
    if entry.at != math.inf:
        return False
    entry.at = time.monotonic() + entry.seconds
    return True


def pending() -> tuple[Deadline, ...]:
    """The deadlines on this thread's stack that have not fired, outermost first."""
    return tuple(entry for entry in _state.stack if not entry.fired)


@contextmanager
def deadline(seconds: float | None, label: str) -> Iterator[Deadline | None]:
    """Bound the enclosed work by ``seconds`` (``None``: no bound)."""
    if seconds is None:
        yield None
        return
    entry = after(seconds, label)
    stack = _state.stack
    depth = len(stack)
    use_signals = _signals_usable()
    if use_signals and not stack:
        _install()
    stack.append(entry)
    try:
        if use_signals:
            _arm()
        yield entry
    finally:
        del stack[depth:]
        if use_signals:
            if stack:
                _arm()
            else:
                _uninstall()


def active() -> bool:
    """True when some deadline is running on this thread."""
    return bool(_state.stack)


def check() -> None:
    """Raise ``DeadlineExpired`` if a deadline on this thread's stack has passed."""
    now = time.monotonic()
    for entry in _state.stack:
        if not entry.fired and entry.at <= now:
            entry.fired = True
            raise DeadlineExpired(entry)


def call(function: Callable[..., T], *args: Any) -> T:
    """Call ``function(*args)`` so that the deadlines on the stack can interrupt it.

    A function that returns after a deadline passed, because it swallowed the
    interruption (``except BaseException``) or disabled the timer, still ends in
    ``DeadlineExpired``: its result is discarded. So does one that turned the
    interruption into another exception (chained as the context).
    """
    if not _state.stack:
        return function(*args)
    check()
    try:
        if not _signals_usable():
            result = _call_in_thread(function, args)
        else:
            level = _state.interruptible
            _state.interruptible = level + 1
            try:
                result = function(*args)
            finally:
                _state.interruptible = level
    except Exception:
        _raise_overdue()
        raise
    _raise_overdue()
    return result


def _raise_overdue() -> None:
    """Raise for the earliest deadline that fired (and was swallowed) or has passed."""
    now = time.monotonic()
    overdue = [entry for entry in _state.stack if entry.fired or entry.at <= now]
    if overdue:
        entry = min(overdue, key=_at)
        entry.fired = True
        raise DeadlineExpired(entry)


def _at(entry: Deadline) -> float:
    return entry.at


@contextmanager
def uninterruptible() -> Iterator[None]:
    """No deadline raises inside the enclosed code, even within ``call``; ``check`` still does."""
    level = _state.interruptible
    _state.interruptible = 0
    try:
        yield
    finally:
        _state.interruptible = level


def snapshot() -> tuple[int, int]:
    """The stack depth and interruptible level, for ``restore`` after an interruption."""
    return len(_state.stack), _state.interruptible


def restore(saved: tuple[int, int]) -> None:
    depth, level = saved
    _state.interruptible = level
    if len(_state.stack) > depth:
        del _state.stack[depth:]
        if _signals_usable():
            if _state.stack:
                _arm()
            else:
                _uninstall()


def _install() -> None:
    _state.saved_handler = signal.signal(signal.SIGALRM, _on_alarm)
    remaining, interval = signal.setitimer(signal.ITIMER_REAL, 0)
    _state.saved_timer = (remaining, interval, time.monotonic())


def _uninstall() -> None:
    signal.setitimer(signal.ITIMER_REAL, 0)
    previous = _state.saved_handler
    signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)
    remaining, interval, saved_at = _state.saved_timer
    _state.saved_timer = (0.0, 0.0, 0.0)
    if remaining > 0:
        left = remaining - (time.monotonic() - saved_at)
        signal.setitimer(signal.ITIMER_REAL, max(left, _MIN_DELAY), interval)


def _arm() -> None:
    """Set the timer for the earliest deadline still in the future.

    Inside ``call``, a deadline that already fired means that the task swallowed
    its interruption and runs on: the timer comes back every ``REPEAT_SECONDS``.
    """
    now = time.monotonic()
    future = [entry.at for entry in _state.stack if not entry.fired and entry.at > now]
    if _state.interruptible and any(entry.fired for entry in _state.stack):
        future.append(now + REPEAT_SECONDS)
    if future:
        signal.setitimer(signal.ITIMER_REAL, max(min(future) - now, _MIN_DELAY))
    else:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    now = time.monotonic()
    if _state.interruptible:
        overdue = [e for e in _state.stack if e.fired or e.at <= now + _MIN_DELAY]
        if overdue:
            entry = min(overdue, key=_at)
            entry.fired = True
            _arm()
            raise DeadlineExpired(entry)
    _arm()  # early wake-up, or outside ``call``: ``check()`` will report it


def _call_in_thread(function: Callable[..., T], args: tuple[Any, ...]) -> T:
    outcome: list[Any] = []
    failure: list[BaseException] = []
    helper = _Helper()

    def target() -> None:
        try:
            outcome.append(function(*args))
        except Abandoned:
            pass
        except BaseException as error:
            failure.append(error)
        finally:
            helper.finish()

    # The helper runs in a copy of the caller's context: ``ctx.logger`` names the same task.
    runs = contextvars.copy_context().run
    worker = threading.Thread(target=runs, args=(target,), name="taskmaestro-deadline", daemon=True)
    worker.start()
    while True:
        pending = [entry for entry in _state.stack if not entry.fired]
        wait = min(entry.at for entry in pending) - time.monotonic() if pending else None
        if helper.done.wait(None if wait is None else max(wait, 0.0)):
            break
        try:
            check()
        except DeadlineExpired:
            helper.abandon(worker)
            raise
    if failure:
        raise failure[0]
    return outcome[0]  # type: ignore[no-any-return]


class _Helper:
    """The end of a helper thread, and the requests to stop that its caller sends it.

    A request is sent only while the helper has not finished, under ``_guard``,
    and ``finish`` marks it finished under the same lock: a request can never
    arrive after the helper's own code, where nothing would catch it.
    """

    def __init__(self) -> None:
        self.done = threading.Event()
        self._guard = threading.Lock()

    def finish(self) -> None:
        """In the helper thread, last: mark it finished, absorbing a late request."""
        while True:
            try:
                with self._guard:
                    self.done.set()
                return
            except Abandoned:
                continue

    def abandon(self, worker: threading.Thread) -> None:
        """Ask the helper to stop at its next bytecode (best effort, CPython only).

        A task that swallows the request is asked again every ``REPEAT_SECONDS``
        while it runs on, by a watcher thread that ends with it.
        """
        ident = worker.ident
        try:
            set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
        except AttributeError:  # pragma: no cover - not CPython
            return
        if ident is None:  # pragma: no cover - the helper was started
            return

        def interrupt() -> None:
            with self._guard:
                if not self.done.is_set():
                    set_async_exc(ctypes.c_ulong(ident), ctypes.py_object(Abandoned))

        def insist() -> None:
            while not self.done.wait(REPEAT_SECONDS):
                interrupt()

        interrupt()
        threading.Thread(target=insist, name="taskmaestro-abandon", daemon=True).start()
