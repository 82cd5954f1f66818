"""The trivial tasks of the build, runner and YAML benchmarks.

They do almost nothing (``value + 1``), so that what is timed is taskmaestro.
The YAML benchmark imports them by dotted path (``benchmarks._tasks.AddOne``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, create_model

from taskmaestro import ExecutionContext, Task

__all__ = [
    "AddOne",
    "Count",
    "Merge",
    "MergeInput",
    "Number",
    "Pair",
    "Scale",
    "ScaleInput",
    "Split",
    "fan_in_task",
]


class Number(BaseModel):
    value: int


class Pair(BaseModel):
    a: Number
    b: Number
    label: str


class ScaleInput(BaseModel):
    value: int
    factor: float


class MergeInput(BaseModel):
    a: Number
    b: Number
    label: str = ""


class Count(BaseModel):
    fields: int


class AddOne(Task[Number, Number]):
    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        return Number(value=input.value + 1)


class Split(Task[Number, Pair]):
    def run(self, input: Number, ctx: ExecutionContext) -> Pair:
        return Pair(a=input, b=input, label="")


class Scale(Task[ScaleInput, Number]):
    def run(self, input: ScaleInput, ctx: ExecutionContext) -> Number:
        return Number(value=round(input.value * input.factor))


class Merge(Task[MergeInput, Number]):
    def run(self, input: MergeInput, ctx: ExecutionContext) -> Number:
        return Number(value=max(input.a.value, input.b.value))


def fan_in_task(fields: int) -> type[Task[Any, Count]]:
    """A task whose input model has ``fields`` required ``Number`` fields ``f0``, ``f1``..."""
    wide: type[BaseModel] = create_model(  # type: ignore[call-overload]
        f"Wide{fields}", **{f"f{index}": (Number, ...) for index in range(fields)}
    )

    class FanIn(Task[Any, Count]):
        Inputs = wide

        def run(self, input: Any, ctx: ExecutionContext) -> Count:
            return Count(fields=len(type(input).model_fields))

    return FanIn
