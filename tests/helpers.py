"""Models and tasks shared by the runtime tests."""

from __future__ import annotations

import time
from typing import Any, ClassVar

from pydantic import BaseModel

from taskmaestro import ExecutionContext, Job, Task, TaskResult


class Number(BaseModel):
    value: int


class Text(BaseModel):
    text: str


class Pair(BaseModel):
    a: Number
    b: Number


class Total(BaseModel):
    total: int


class AddOne(Task[Number, Number]):
    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        return Number(value=input.value + 1)


class Double(Task[Number, Number]):
    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        return Number(value=input.value * 2)


class Sum(Task[Pair, Total]):
    def run(self, input: Pair, ctx: ExecutionContext) -> Total:
        return Total(total=input.a.value + input.b.value)


class ToText(Task[Number, Text]):
    def run(self, input: Number, ctx: ExecutionContext) -> Text:
        return Text(text=str(input.value))


class Boom(Task[Number, Number]):
    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        raise ValueError("boom")


class Sleep(BaseModel):
    seconds: float


class Sleeper(Task[Sleep, Sleep]):
    def run(self, input: Sleep, ctx: ExecutionContext) -> Sleep:
        time.sleep(input.seconds)
        return input


class QuickTimeout(Sleeper):
    timeout_seconds: ClassVar[float | None] = 0.3


class Busy(Task[Sleep, Sleep]):
    """Burns CPU in Python code instead of sleeping."""

    timeout_seconds: ClassVar[float | None] = 0.2

    def run(self, input: Sleep, ctx: ExecutionContext) -> Sleep:
        end = time.monotonic() + input.seconds
        while time.monotonic() < end:
            pass
        return input


def result_of(job: Job[Any, Any], name: str) -> TaskResult:
    """The TaskResult of task ``name`` in ``job`` (which must have started it)."""
    result = job.task_result(name)
    assert result is not None, f"task {name!r} did not run; ran: {names(job)}"
    return result


def names(job: Job[Any, Any]) -> list[str]:
    """The instance names of ``job.task_results``, in execution order."""
    return [result.task_name for result in job.task_results]
