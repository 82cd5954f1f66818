"""Tasks that misbehave, at module level so that worker processes can import them."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from typing import ClassVar

from taskmaestro import ExecutionContext, Task

from .helpers import Sleep

OVERRUN = 1.5
"""How long the swallowing tasks try to run, against their 0.3 s timeouts."""


def _sleep_swallowing(seconds: float) -> int:
    """Sleep ``seconds`` in small steps, swallowing every interruption; returns how many."""
    swallowed = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            time.sleep(0.05)
        except BaseException:  # the point of these tasks
            swallowed += 1
    return swallowed


class SwallowingTask(Task[Sleep, Sleep]):
    """``except BaseException`` around its work: its 0.3 s timeout must still hold."""

    timeout_seconds: ClassVar[float | None] = 0.3

    def run(self, input: Sleep, ctx: ExecutionContext) -> Sleep:
        _sleep_swallowing(OVERRUN)
        return input


class SwallowingUntimed(Task[Sleep, Sleep]):
    """Swallows the interruption of the job's deadline."""

    def run(self, input: Sleep, ctx: ExecutionContext) -> Sleep:
        _sleep_swallowing(OVERRUN)
        return input


class SwallowsOnce(Task[Sleep, Sleep]):
    """Swallows the first interruption, then sleeps on: it is interrupted again."""

    timeout_seconds: ClassVar[float | None] = 0.3

    def run(self, input: Sleep, ctx: ExecutionContext) -> Sleep:
        with contextlib.suppress(BaseException):  # the point of this task
            time.sleep(input.seconds)
        time.sleep(input.seconds)
        return input


class AlarmThief(Task[Sleep, Sleep]):
    """Replaces the SIGALRM handler and zeroes the timer, then overruns its timeout."""

    timeout_seconds: ClassVar[float | None] = 0.3

    def run(self, input: Sleep, ctx: ExecutionContext) -> Sleep:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGALRM, signal.SIG_IGN)
            signal.setitimer(signal.ITIMER_REAL, 0)
        time.sleep(input.seconds)
        return input


class Exits(Task[Sleep, Sleep]):
    def run(self, input: Sleep, ctx: ExecutionContext) -> Sleep:
        sys.exit(0)


class Interrupts(Task[Sleep, Sleep]):
    def run(self, input: Sleep, ctx: ExecutionContext) -> Sleep:
        raise KeyboardInterrupt


class TwoArguments(Exception):
    """Pickles, but cannot be unpickled: ``__init__`` wants two arguments."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")


class RaisesTwoArguments(Task[Sleep, Sleep]):
    def run(self, input: Sleep, ctx: ExecutionContext) -> Sleep:
        raise TwoArguments("data.csv", "no such file")


class Timed(Task[Sleep, Sleep]):
    """Sleeps; 0.3 s allowed."""

    timeout_seconds: ClassVar[float | None] = 0.3

    def run(self, input: Sleep, ctx: ExecutionContext) -> Sleep:
        time.sleep(input.seconds)
        return input


class WrapsInterruption(Task[Sleep, Sleep]):
    """Turns whatever interrupts it into an ordinary exception."""

    timeout_seconds: ClassVar[float | None] = 0.3

    def run(self, input: Sleep, ctx: ExecutionContext) -> Sleep:
        try:
            time.sleep(input.seconds)
        except BaseException as interruption:
            raise RuntimeError("could not finish") from interruption
        return input


class Quick(Task[Sleep, Sleep]):
    def run(self, input: Sleep, ctx: ExecutionContext) -> Sleep:
        return Sleep(seconds=0)
