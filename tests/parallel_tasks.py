"""Tasks for the executor tests, at module level so that worker processes can import them.

Tasks that mark their start leave a file named after their class in the
context's scratch folder, which every worker (thread, process, Dask worker on
this machine) shares, so a test can tell which tasks started.
"""

from __future__ import annotations

import _thread
import threading
import time
from typing import ClassVar

from pydantic import BaseModel

from taskmaestro import EmptyConfig, ExecutionContext, ObjectModel, Task

from .helpers import Number, Sleep


def mark(task: object, ctx: ExecutionContext) -> None:
    (ctx.scratch_dir / type(task).__name__).touch()


def marks(ctx: ExecutionContext) -> set[str]:
    return {path.name for path in ctx.scratch_dir.iterdir()}


class Triple(BaseModel):
    a: Number
    b: Number
    c: Number


class Total(BaseModel):
    total: int


class Add(Task[Triple, Total]):
    def run(self, input: Triple, ctx: ExecutionContext) -> Total:
        return Total(total=input.a.value + input.b.value + input.c.value)


class Settings(BaseModel):
    offset: int


class Offset(Task[Settings, Number]):
    """Reads the service 'base' from the context."""

    def run(self, input: Settings, ctx: ExecutionContext) -> Number:
        return Number(value=input.offset + ctx.resolve("base"))


class Forget(Task[Number, EmptyConfig]):
    def run(self, input: Number, ctx: ExecutionContext) -> EmptyConfig:
        return EmptyConfig()


class Start(Task[Sleep, Sleep]):
    def run(self, input: Sleep, ctx: ExecutionContext) -> Sleep:
        return input


class FailSoon(Task[Sleep, Sleep]):
    def run(self, input: Sleep, ctx: ExecutionContext) -> Sleep:
        mark(self, ctx)
        time.sleep(0.05)
        raise ValueError("boom")


class Slow(Task[Sleep, Sleep]):
    def run(self, input: Sleep, ctx: ExecutionContext) -> Sleep:
        mark(self, ctx)
        time.sleep(input.seconds)
        return input


class Queued(Task[Sleep, Sleep]):
    def run(self, input: Sleep, ctx: ExecutionContext) -> Sleep:
        mark(self, ctx)
        return input


class AfterSlow(Queued):
    pass


class Merge(BaseModel):
    a: Sleep
    b: Sleep


class Join(Task[Merge, Sleep]):
    def run(self, input: Merge, ctx: ExecutionContext) -> Sleep:
        return Sleep(seconds=input.a.seconds + input.b.seconds)


class Roomy(Slow):
    """Sleeps well within its timeout, once it has started."""

    timeout_seconds: ClassVar[float | None] = 0.35


Lock = ObjectModel[_thread.LockType]


class MakeLock(Task[Number, Lock]):
    def run(self, input: Number, ctx: ExecutionContext) -> Lock:
        return Lock(value=threading.Lock())


class UseLock(Task[Lock, Number]):
    def run(self, input: Lock, ctx: ExecutionContext) -> Number:
        return Number(value=1)


class Unpicklable(Exception):
    def __init__(self, lock: threading.Lock) -> None:
        super().__init__("holds a lock")
        self.lock = lock


class RaiseUnpicklable(Task[Number, Number]):
    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        raise Unpicklable(threading.Lock())


class UsesService(Task[Number, Number]):
    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        return Number(value=input.value + len(str(ctx.resolve("db"))))


class Burn(Task[Number, Number]):
    """CPU-bound: counts down from the input value in pure Python."""

    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        count = input.value
        while count:
            count -= 1
        return Number(value=input.value)
