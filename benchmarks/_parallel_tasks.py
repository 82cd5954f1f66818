"""The tasks of ``benchmarks.parallel``, in a module of their own so that worker processes
(a process pool, Dask workers) import them by name."""

from __future__ import annotations

import time

from pydantic import BaseModel

from taskmaestro import ExecutionContext, Task


class Work(BaseModel):
    """How much one task does: seconds to sleep, or loop iterations to burn."""

    amount: float


class Merged(BaseModel):
    total: float


class Sleep(Task[Work, Work]):
    """Waits like a task blocked on I/O or on another program."""

    def run(self, input: Work, ctx: ExecutionContext) -> Work:
        time.sleep(input.amount)
        return input


class Burn(Task[Work, Work]):
    """Computes in pure Python, holding the GIL."""

    def run(self, input: Work, ctx: ExecutionContext) -> Work:
        count = int(input.amount)
        while count:
            count -= 1
        return input


class Branches(BaseModel):
    """The outputs of the eight branches."""

    b0: Work
    b1: Work
    b2: Work
    b3: Work
    b4: Work
    b5: Work
    b6: Work
    b7: Work


BRANCHES = len(Branches.model_fields)


class MergeAll(Task[Branches, Merged]):
    def run(self, input: Branches, ctx: ExecutionContext) -> Merged:
        return Merged(total=sum(work.amount for _, work in input))
