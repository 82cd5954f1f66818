"""Task classes: names, model resolution, nested Inputs/Outputs."""

from __future__ import annotations

from typing import Any, Generic

import pytest
from pydantic import BaseModel
from typing_extensions import TypeVar

from taskmaestro import ExecutionContext, Task, Workflow, WorkflowDefinitionError
from taskmaestro._contract import snake_case
from taskmaestro.task import task_models

from .helpers import Number, Text


@pytest.mark.parametrize(
    ("class_name", "task_name"),
    [
        ("LoadModel", "load_model"),
        ("AddOne", "add_one"),
        ("HTTPFetch", "http_fetch"),
        ("Step2Go", "step2_go"),
        ("x", "x"),
    ],
)
def test_snake_case(class_name: str, task_name: str) -> None:
    assert snake_case(class_name) == task_name


class Named(Task[Number, Number]):
    name = "custom"

    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        return input


class ChildOfNamed(Named):
    pass


def test_name_is_never_inherited() -> None:
    assert Named.name == "custom"
    assert ChildOfNamed.name == "child_of_named"


In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out", bound=BaseModel)


class Passthrough(Task[In, Out], Generic[In, Out]):
    """A generic intermediate: its models are fixed by subclasses."""

    def run(self, input: In, ctx: ExecutionContext) -> Out:
        raise NotImplementedError


class NumberToText(Passthrough[Number, Text]):
    pass


class Swap(Task[Out, In], Generic[In, Out]):
    def run(self, input: Out, ctx: ExecutionContext) -> In:
        raise NotImplementedError


class Swapped(Swap[Number, Text]):
    pass


def test_models_through_generic_intermediates() -> None:
    assert task_models(NumberToText) == (Number, Text)
    assert task_models(Swapped) == (Text, Number)


def test_still_generic_task_is_rejected_at_build() -> None:
    with pytest.raises(WorkflowDefinitionError, match="Passthrough has no input model"):
        Workflow(name="w", tasks=[Passthrough])  # type: ignore[taskmaestro-task-model]


class WithNested(Task):
    class Inputs(BaseModel):
        a: int

    class Outputs(BaseModel):
        b: int

    def run(self, input: Inputs, ctx: ExecutionContext) -> Outputs:
        return self.Outputs(b=input.a)


class InheritsNested(WithNested):
    pass


def test_nested_models_and_their_inheritance() -> None:
    assert task_models(WithNested) == (WithNested.Inputs, WithNested.Outputs)
    assert task_models(InheritsNested) == (WithNested.Inputs, WithNested.Outputs)


def test_non_model_type_arguments_fail_at_class_creation() -> None:
    with pytest.raises(TypeError, match="its input model must be a pydantic BaseModel subclass"):

        class Wrong(Task[int, Number]):  # type: ignore[type-var]
            def run(self, input: int, ctx: ExecutionContext) -> Number:
                return Number(value=input)


def test_not_a_task_is_rejected() -> None:
    not_a_task: Any = int
    with pytest.raises(WorkflowDefinitionError, match="is not a Task subclass"):
        Workflow(name="w", tasks=[not_a_task])
