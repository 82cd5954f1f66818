"""Task handles, keyword dependencies and ``set_result_task`` (issue 14.1, features-0.4 s. 2)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from taskmaestro import (
    Job,
    OutputHandle,
    Runner,
    Workflow,
    WorkflowBuilder,
    WorkflowDefinitionError,
    collect,
)

from .helpers import AddOne, Double, Number, Pair, Sum, Text, Total, ToText


def run(workflow: Workflow[Any, Any], value: int = 1) -> Any:
    job = Runner().run(Job(workflow, Number(value=value)))
    assert job.error is None
    return job.result


def test_task_returns_a_handle_to_the_instance_it_registered() -> None:
    builder = Workflow.builder(name="w")
    handle = builder.task(AddOne, name="first")
    assert handle.name == "first"
    assert handle.output_type is Number
    assert repr(handle) == "TaskHandle(name='first', output_type=<class 'tests.helpers.Number'>)"
    assert builder.build().task_names == ("first",)


def test_a_handle_as_depends_on_wires_the_whole_output() -> None:
    builder = Workflow.builder(name="w")
    first = builder.task(AddOne)
    builder.task(Double, depends_on=first)
    workflow = builder.build()
    assert workflow.get_dependencies("double") == "add_one"
    assert run(workflow, 3) == Number(value=8)


def test_handle_field_is_a_route_checked_at_once() -> None:
    builder = Workflow.builder(name="w")
    text = builder.task(ToText)
    field = text.field("text")
    assert isinstance(field, OutputHandle)
    assert (
        repr(field)
        == "OutputHandle(task_name='to_text', field_name='text', annotation=<class 'str'>)"
    )
    assert (field.task_name, field.field_name, field.annotation) == ("to_text", "text", str)
    with pytest.raises(
        WorkflowDefinitionError, match=r"Field 'size' not found on Text \(output of to_text\)"
    ):
        text.field("size")  # type: ignore[taskmaestro-route]


def test_keyword_dependencies_fill_named_input_fields_in_keyword_order() -> None:
    builder = Workflow.builder(name="w")
    one = builder.task(AddOne)
    two = builder.task(Double, depends_on=one)
    builder.task(Sum, a=one, b=two)
    workflow = builder.build()
    assert workflow.get_dependencies("sum") == {"a": "add_one", "b": "double"}
    assert run(workflow, 1) == Total(total=6)


def test_output_handles_are_routes_in_every_position() -> None:
    builder = Workflow.builder(name="w")
    one = builder.task(AddOne)
    builder.task(Double, name="whole_route", depends_on=one.field("value"), config_fields=["value"])
    builder.task(Double, name="fan_in", depends_on={"value": one.field("value")})
    builder.task(Double, name="keyword", value=one.field("value"))
    builder.task(Double, name="pair", value=(one, "value"))
    builder.task(Sum, a="whole_route", b="fan_in")
    builder.task(Sum, name="sum_2", a="keyword", b="pair")
    builder.set_result_task("sum")
    workflow = builder.build()
    assert workflow.get_dependencies("whole_route") == ("add_one", "value")
    for name in ("fan_in", "keyword", "pair"):
        assert workflow.get_dependencies(name) == {"value": ("add_one", "value")}


def test_keywords_and_depends_on_together_register_nothing() -> None:
    builder = Workflow.builder(name="w")
    one = builder.task(AddOne)
    with pytest.raises(
        WorkflowDefinitionError, match="Use either depends_on or keyword input dependencies"
    ):
        builder.task(Sum, depends_on={"a": one}, b=one)  # type: ignore[taskmaestro-fan-in-key]
    assert builder.build().task_names == ("add_one",)


def test_a_handle_of_another_builder_is_refused_and_nothing_is_registered() -> None:
    other = Workflow.builder(name="other").task(AddOne)
    builder = Workflow.builder(name="w")
    builder.task(AddOne)
    with pytest.raises(
        WorkflowDefinitionError, match="Task handle belongs to a different workflow builder"
    ) as caught:
        builder.task(Double, depends_on=other)
    assert caught.value.task == "double"
    with pytest.raises(WorkflowDefinitionError, match="different workflow builder"):
        builder.task(Double, depends_on=other.field("value"))  # type: ignore[taskmaestro-type]
    with pytest.raises(WorkflowDefinitionError, match="different workflow builder"):
        builder.task(Double, depends_on={"value": (other, "value")})
    assert builder.build().task_names == ("add_one",)


def test_a_handle_not_registered_by_its_builder_is_refused() -> None:
    builder = Workflow.builder(name="w")
    one = builder.task(AddOne)
    forged = dataclasses.replace(one, name="ghost")
    with pytest.raises(WorkflowDefinitionError, match="Task handle 'ghost' is not registered"):
        builder.task(Double, depends_on=forged)


@pytest.mark.parametrize(
    ("call", "phrase"),
    [
        (lambda b, h: b.task(Double, name=h), "Invalid task name"),
        (lambda b, h: b.task(Double, name="d", config_fields=h), "config_fields must be a list"),
        (lambda b, h: b.task(Double, name="d", mapped_over=h), "mapped_over must be a TaskMap"),
        (lambda b, h: b.task(Double, name="d", depends_on=collect(h)), "not as the whole"),
        (lambda b, h: b.task(Double, name="d", depends_on=h.field), "depends_on takes"),
    ],
)
def test_handles_and_collections_in_parameter_slots_are_refused(call: Any, phrase: str) -> None:
    builder = Workflow.builder(name="w")
    handle = builder.task(AddOne)
    with pytest.raises(WorkflowDefinitionError, match=phrase):
        call(builder, handle)
    assert builder.build().task_names == ("add_one",)


def test_set_result_task_takes_a_handle_and_replaces_the_constructor_one() -> None:
    builder: WorkflowBuilder[Any, Any] = Workflow.builder(name="w", result_task=AddOne)
    one = builder.task(AddOne)
    text = builder.task(ToText, depends_on=one)
    builder.task(Double, depends_on=one)
    assert builder.set_result_task(text) is builder
    workflow = builder.build()
    assert workflow.result_task_name == "to_text"
    assert run(workflow, 1) == Text(text="2")


@pytest.mark.parametrize("result", ["ghost", 42])
def test_a_result_task_that_is_no_reference_is_refused_at_build(result: Any) -> None:
    builder = Workflow.builder(name="w")
    builder.task(AddOne)
    builder.set_result_task(result)
    with pytest.raises(WorkflowDefinitionError, match="result_task"):
        builder.build()


def test_an_output_handle_is_no_result_task() -> None:
    builder = Workflow.builder(name="w")
    one = builder.task(AddOne)
    builder.set_result_task(one.field("value"))  # type: ignore[taskmaestro-result]
    with pytest.raises(WorkflowDefinitionError) as raised:
        builder.build()
    # Named, as the plugin names it (the handle's repr shows its annotation's runtime form).
    assert str(raised.value) == (
        "result_task must be a task class, an instance name or a TaskHandle, got field 'value' "
        "of task 'add_one' (an OutputHandle): the result is a task's whole output, pass its handle"
    )


def test_build_returns_a_new_workflow_and_handles_stay_valid() -> None:
    builder = Workflow.builder(name="w")
    one = builder.task(AddOne)
    first = builder.build()
    builder.task(Double, depends_on=one)
    second = builder.build()
    assert first is not second
    assert first.task_names == ("add_one",)
    assert second.task_names == ("add_one", "double")
    assert run(first, 1) == Number(value=2)
    assert run(second, 1) == Number(value=4)


def test_a_type_mismatch_through_a_handle_is_reported_at_build() -> None:
    builder = Workflow.builder(name="w")
    text = builder.task(ToText)
    builder.task(Double, depends_on=text)  # type: ignore[misc, taskmaestro-type]
    with pytest.raises(WorkflowDefinitionError, match="Type mismatch: task 'double' takes Number"):
        builder.build()


def test_a_fan_in_of_handles_pairs_whole_outputs() -> None:
    builder = Workflow.builder(name="w")
    one = builder.task(AddOne)
    two = builder.task(Double, depends_on=one)
    builder.task(Sum, depends_on={"a": one, "b": two})
    total = run(builder.build(), 2)
    assert total == Total(total=9)
    assert Pair.model_fields.keys() == {"a", "b"}
