"""``collect()``: several outputs into one ``list[T]`` or ``dict[str, T]`` field (s. 3)."""

from __future__ import annotations

from typing import Annotated, Any

import jsonschema
import pytest
from pydantic import BaseModel, Field

from taskmaestro import (
    CycleDetectedError,
    ExecutionContext,
    Job,
    JobConfiguration,
    Runner,
    Task,
    Workflow,
    WorkflowDefinitionError,
    collect,
)
from taskmaestro._cli.describe import describe_workflow
from taskmaestro.dependencies import CollectionRef, OutputRef
from taskmaestro.schema import cli_schema

from .helpers import AddOne, Double, Number, Text, ToText


class Numbers(BaseModel):
    values: list[Number]


class Ints(BaseModel):
    values: list[int]


class ByKey(BaseModel):
    values: dict[str, Number]


class Loose(BaseModel):
    values: Annotated[list[Any], Field(min_length=0)]


class Scores(BaseModel):
    values: list[Number]
    label: str


class Listing(BaseModel):
    text: str


class SumAll(Task[Numbers, Number]):
    def run(self, input: Numbers, ctx: ExecutionContext) -> Number:
        return Number(value=sum(number.value for number in input.values))


class SumInts(Task[Ints, Number]):
    def run(self, input: Ints, ctx: ExecutionContext) -> Number:
        return Number(value=sum(input.values))


class ListKeys(Task[ByKey, Listing]):
    def run(self, input: ByKey, ctx: ExecutionContext) -> Listing:
        return Listing(text=",".join(f"{k}={v.value}" for k, v in input.values.items()))


class CountAny(Task[Loose, Number]):
    def run(self, input: Loose, ctx: ExecutionContext) -> Number:
        return Number(value=len(input.values))


class Label(Task[Scores, Text]):
    def run(self, input: Scores, ctx: ExecutionContext) -> Text:
        return Text(text=f"{input.label}:{len(input.values)}")


class Special(Number):
    pass


class MakeSpecial(Task[Number, Special]):
    def run(self, input: Number, ctx: ExecutionContext) -> Special:
        return Special(value=input.value)


def run(workflow: Workflow[Any, Any], value: int = 1) -> Any:
    job = Runner().run(Job(workflow, Number(value=value)))
    assert job.error is None, job.error
    return job.result


def two_roots() -> Any:
    builder = Workflow.builder(name="w")
    one = builder.task(AddOne)
    two = builder.task(Double)
    return builder, one, two


def test_positional_members_of_every_form_fill_a_list_in_order() -> None:
    builder, one, two = two_roots()
    builder.task(
        SumInts,
        values=collect(one.field("value"), (two, "value"), ("add_one", "value")),
    )
    builder.task(SumAll, values=collect(AddOne, "double", one, two, one))
    builder.set_result_task("sum_all")
    workflow = builder.build()
    assert run(workflow, 5) == Number(value=6 + 10 + 6 + 10 + 6)
    stored = workflow.get_dependencies("sum_all")
    assert isinstance(stored, dict)
    values = stored["values"]
    assert isinstance(values, CollectionRef)
    assert values.kind == "positional"
    assert [ref.task_name for ref in values.output_refs()] == [
        "add_one",
        "double",
        "add_one",
        "double",
        "add_one",
    ]
    assert workflow.get_dependencies("sum_ints") == {
        "values": CollectionRef(
            "positional",
            positional_members=(
                OutputRef("add_one", "value"),
                OutputRef("double", "value"),
                OutputRef("add_one", "value"),
            ),
        )
    }


@pytest.mark.parametrize(
    "make",
    [
        lambda one, two: collect(first=one, second=two),
        lambda one, two: collect({"first": one, "second": two}),
    ],
)
def test_keyed_members_fill_a_dict_in_declaration_order(make: Any) -> None:
    builder, one, two = two_roots()
    builder.task(ListKeys, values=make(one, two))
    workflow = builder.build()
    assert run(workflow, 3) == Listing(text="first=4,second=6")
    stored = workflow.get_dependencies("list_keys")
    assert isinstance(stored, dict)
    assert stored["values"] == CollectionRef(
        "keyed", keyed_members=(("first", OutputRef("add_one")), ("second", OutputRef("double")))
    )


@pytest.mark.parametrize(("empty", "task"), [(collect(), CountAny), (collect({}), ListKeys)])
def test_empty_collections_give_empty_values(empty: Any, task: Any) -> None:
    builder = Workflow.builder(name="w")
    builder.task(task, values=empty)
    workflow = builder.build()
    assert workflow.input_root_names() == ()
    job = Runner().run(Job(workflow, Number(value=1)))
    assert job.error is None
    assert job.result in (Number(value=0), Listing(text=""))


def test_a_collection_sits_beside_other_fan_in_fields_and_config_fields() -> None:
    builder, one, two = two_roots()
    builder.task(Label, values=collect(one, two), config_fields=["label"])
    workflow = builder.build()
    job = Runner().run(
        Job(
            workflow, Number(value=1), job_configuration=JobConfiguration({"label": {"label": "n"}})
        )
    )
    assert job.result == Text(text="n:2")


def test_subclasses_fit_the_element_type() -> None:
    builder = Workflow.builder(name="w")
    special = builder.task(MakeSpecial)
    builder.task(SumAll, values=collect(special, special))
    assert run(builder.build(), 2) == Number(value=4)


@pytest.mark.parametrize(
    ("call", "phrase"),
    [
        (
            lambda: collect("a", b="b"),  # type: ignore[taskmaestro-collection]
            "either positional members or keyword members",
        ),
        (lambda: collect({"a": "a"}, "b"), "either positional members or one mapping"),
        (
            lambda: collect({1: "a"}),  # type: ignore[arg-type, dict-item]
            "dictionary keys must be strings",
        ),
    ],
)
def test_collect_itself_refuses_mixed_forms(call: Any, phrase: str) -> None:
    with pytest.raises(TypeError, match=phrase):
        call()


@pytest.mark.parametrize(
    ("task", "make", "phrase"),
    [
        (ListKeys, lambda o, t: collect(o, t), r"Positional collection for 'list_keys\.values'"),
        (SumAll, lambda o, t: collect(a=o), r"Keyed collection for 'sum_all\.values' requires"),
        (
            SumAll,
            lambda o, t: collect(o, o.field("value")),
            r"Collection type mismatch for 'sum_all\.values\[1\]': 'add_one\.value' "
            r"produces int, but collection element type is Number",
        ),
        (
            ListKeys,
            lambda o, t: collect(x=o, y=ToText),
            r"'list_keys\.values\[y\]': 'to_text' produces Text",
        ),
        (SumAll, lambda o, t: collect((o, "size")), "Field 'size' not found on Number"),
    ],
)
def test_collection_rules_at_build(task: Any, make: Any, phrase: str) -> None:
    builder, one, two = two_roots()
    builder.task(ToText, depends_on=one)
    builder.task(task, values=make(one, two))
    with pytest.raises(WorkflowDefinitionError, match=phrase) as caught:
        builder.build()
    assert caught.value.task == task.name


def test_a_collected_field_cannot_also_be_a_config_field() -> None:
    builder, one, _ = two_roots()
    builder.task(SumAll, values=collect(one), config_fields=["values"])
    with pytest.raises(WorkflowDefinitionError, match="both a collection dependency and config"):
        builder.build()


def test_a_bad_member_names_the_task_and_field() -> None:
    builder, _, _ = two_roots()
    with pytest.raises(WorkflowDefinitionError, match=r"member 0 of field 'values'") as caught:
        builder.task(SumAll, values=collect(3.5))  # type: ignore[call-overload]
    assert caught.value.task == "sum_all"
    builder.task(SumAll, values=collect("add_one", "double"))
    assert builder.build().task_names == ("add_one", "double", "sum_all")


def test_every_member_is_an_edge_for_ordering_and_cycles() -> None:
    builder = Workflow.builder(name="w")
    builder.add_task(SumAll, name="a", depends_on={"values": collect("b")})
    builder.add_task(AddOne, name="b", depends_on="a")
    with pytest.raises(CycleDetectedError) as caught:
        builder.build()
    assert set(caught.value.cycle) >= {"a", "b"}
    ordered = Workflow.builder(name="o")
    ordered.add_task(SumAll, name="last", depends_on={"values": collect("z_first")})
    ordered.add_task(AddOne, name="z_first")
    assert [name for name, _ in ordered.build().topological_order()] == ["z_first", "last"]


def test_mermaid_draws_a_junction_per_collected_field() -> None:
    builder, one, two = two_roots()
    builder.task(SumInts, values=collect(one.field("value"), two.field("value")))
    builder.task(ListKeys, values=collect(first=one))
    builder.task(CountAny, name="none", values=collect())
    builder.set_result_task("sum_ints")
    lines = builder.build().to_mermaid().splitlines()
    assert '    _collect_sum_ints_values_{{"collect values"}}' in lines
    assert "    add_one -->|0: int| _collect_sum_ints_values_" in lines
    assert "    double -->|1: int| _collect_sum_ints_values_" in lines
    assert '    _collect_sum_ints_values_ -->|"values: list[int]"| sum_ints' in lines
    assert "    add_one -->|first: Number| _collect_list_keys_values_" in lines
    assert '    _collect_list_keys_values_ -->|"values: dict[str, Number]"| list_keys' in lines
    assert '    _collect_none_values_ -->|"values: list[Any]"| none' in lines
    assert lines.index('    _collect_sum_ints_values_{{"collect values"}}') < lines.index(
        "    add_one -->|0: int| _collect_sum_ints_values_"
    )


def test_describe_renders_a_collection_as_the_cli_schema_says() -> None:
    builder, one, two = two_roots()
    builder.task(SumInts, values=collect(one.field("value"), two.field("value")))
    builder.task(ListKeys, values=collect(first=one))
    builder.set_result_task("sum_ints")
    described = describe_workflow(builder.build(), {"kind": "yaml", "path": "w.yaml"})
    by_name = {task["name"]: task for task in described["tasks"]}  # type: ignore[attr-defined]
    assert by_name["sum_ints"]["depends_on"] == {
        "kind": "fan_in",
        "fields": {
            "values": {
                "kind": "collect",
                "collection": "positional",
                "members": [
                    {"kind": "route", "task": "add_one", "field": "value"},
                    {"kind": "route", "task": "double", "field": "value"},
                ],
            }
        },
    }
    keyed = by_name["list_keys"]["depends_on"]["fields"]["values"]
    assert keyed["members"] == {"first": {"kind": "output", "task": "add_one"}}
    schema = cli_schema()
    jsonschema.validate(
        described, {"$defs": schema["$defs"], "$ref": "#/$defs/workflow_description"}
    )


def test_a_foreign_handle_as_a_member_says_so() -> None:
    other = Workflow.builder(name="other").task(AddOne)
    builder, _, _ = two_roots()
    with pytest.raises(WorkflowDefinitionError, match="different workflow builder"):
        builder.task(SumAll, values=collect((other, "value")))
