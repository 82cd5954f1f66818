"""Mapped tasks at build time and at ``Job(...)`` (features-0.4 section 4, build checks).

Running the items is the execution core's (see ``test_mapped_execution``); here:
the declaration, the rules over the graph, the wiring downstream of a mapped
instance, and the checks of the configured items.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field

from taskmaestro import (
    EmptyConfig,
    ExecutionContext,
    IncompleteInputError,
    Job,
    JobConfiguration,
    MappedOutput,
    Task,
    TaskMap,
    Workflow,
    WorkflowDefinitionError,
)

from .helpers import AddOne


class Item(BaseModel):
    name: str
    size: int = Field(ge=0)
    unit: str = "b"


class Measured(BaseModel):
    name: str
    size: int


class Measure(Task[Item, Measured]):
    def run(self, input: Item, ctx: ExecutionContext) -> Measured:
        return Measured(name=input.name, size=input.size)


class Offset(BaseModel):
    name: str
    size: int
    offset: int


class Shift(Task[Offset, Measured]):
    def run(self, input: Offset, ctx: ExecutionContext) -> Measured:
        return Measured(name=input.name, size=input.size + input.offset)


class IntKey(BaseModel):
    name: int
    size: int


class ByInt(Task[IntKey, Measured]):
    def run(self, input: IntKey, ctx: ExecutionContext) -> Measured:
        return Measured(name=str(input.name), size=input.size)


class Sizes(BaseModel):
    sizes: dict[str, Measured]


class Report(BaseModel):
    total: int


class Summarize(Task[Sizes, Report]):
    def run(self, input: Sizes, ctx: ExecutionContext) -> Report:
        return Report(total=sum(m.size for m in input.sizes.values()))


class Whole(BaseModel):
    sizes: MappedOutput[Measured]


class SummarizeWhole(Task[Whole, Report]):
    def run(self, input: Whole, ctx: ExecutionContext) -> Report:
        return Report(total=len(input.sizes.root))


SIZES = TaskMap(over="files", key_as="name", value_as="size")


def mapped(**extra: Any) -> Any:
    builder = Workflow.builder(name="w")
    handle = builder.map_task(Measure, over="files", key_as="name", value_as="size", **extra)
    return builder, handle


def test_map_task_declares_the_mapping_and_types_the_handle() -> None:
    builder, handle = mapped(error_mode="collect_all")
    assert handle.name == "measure"
    assert handle.output_type is MappedOutput[Measured]
    assert handle.field("root").annotation == dict[str, Measured]
    workflow = builder.build()
    assert workflow.get_task_map("measure") == TaskMap("files", "name", "size", "collect_all")
    assert workflow.is_mapped_task("measure")
    assert workflow.get_output_annotation("measure") is MappedOutput[Measured]
    assert workflow.output_model is MappedOutput[Measured]
    assert workflow.input_root_names() == ()
    assert workflow.input_model is EmptyConfig


def test_task_with_mapped_over_is_map_task() -> None:
    builder = Workflow.builder(name="w")
    handle = builder.task(Measure, mapped_over=SIZES)
    assert handle.output_type is MappedOutput[Measured]
    assert builder.build().get_task_map("measure") == SIZES


def test_a_bad_task_map_is_a_definition_error_naming_the_task() -> None:
    builder = Workflow.builder(name="w")
    with pytest.raises(WorkflowDefinitionError, match=r"Task 'measure': TaskMap\.key_as and"):
        builder.map_task(Measure, over="files", key_as="name", value_as="name")  # type: ignore[taskmaestro-mapping]
    with pytest.raises(WorkflowDefinitionError, match="error_mode must be"):
        builder.map_task(Measure, over="f", key_as="a", value_as="b", error_mode="x")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("declare", "error", "phrase"),
    [
        (
            lambda b: b.task(Measure, mapped_over=TaskMap("files", "title", "size")),
            WorkflowDefinitionError,
            r"Map field 'title' not found on Item \(input of 'measure'\)",
        ),
        (
            lambda b: b.task(ByInt, mapped_over=SIZES),
            WorkflowDefinitionError,
            r"Map key field 'by_int\.name' must accept strings",
        ),
        (
            lambda b: b.task(Measure, mapped_over=SIZES, config_fields=["name", "unit"]),
            WorkflowDefinitionError,
            r"Mapped task 'measure' fields \['name'\] cannot also be config_fields",
        ),
        (
            lambda b: b.task(Measure, mapped_over=SIZES, depends_on="start"),
            WorkflowDefinitionError,
            "Mapped task 'measure' requires named field dependencies",
        ),
        (
            lambda b: b.task(Measure, mapped_over=SIZES, size=(b.task(AddOne, name="n"), "value")),
            WorkflowDefinitionError,
            r"Mapped task 'measure' fields \['size'\] cannot also be dependencies",
        ),
        (
            lambda b: b.task(Shift, mapped_over=SIZES),
            IncompleteInputError,
            "Required field 'offset' on Offset is not covered for mapped task 'shift'",
        ),
    ],
)
def test_mapped_task_rules(declare: Any, error: type[Exception], phrase: str) -> None:
    builder = Workflow.builder(name="w")
    builder.task(AddOne, name="start")
    declare(builder)
    builder.set_result_task("start")
    with pytest.raises(error, match=phrase):
        builder.build()


def test_a_mapped_task_takes_named_dependencies_and_config_fields() -> None:
    builder = Workflow.builder(name="w")
    start = builder.task(AddOne, name="start")
    builder.task(Shift, mapped_over=SIZES, offset=(start, "value"))
    builder.task(Measure, name="plain", mapped_over=SIZES, config_fields=["unit"])
    builder.set_result_task("shift")
    workflow = builder.build()
    assert workflow.get_dependencies("shift") == {"offset": ("start", "value")}
    assert workflow.input_root_names() == ("start",)


def test_a_dict_field_downstream_gets_the_items_unwrapped() -> None:
    builder, handle = mapped()
    builder.task(Summarize, sizes=handle)
    workflow = builder.build()
    assert workflow.get_dependencies("summarize") == {"sizes": ("measure", "root")}


def test_a_mapped_output_field_gets_the_whole_model_and_root_is_explicit() -> None:
    builder, handle = mapped()
    builder.task(SummarizeWhole, sizes=handle)
    builder.task(Summarize, name="explicit", sizes=handle.field("root"))
    builder.set_result_task("explicit")
    workflow = builder.build()
    assert workflow.get_dependencies("summarize_whole") == {"sizes": "measure"}
    assert workflow.get_dependencies("explicit") == {"sizes": ("measure", "root")}


@pytest.mark.parametrize(
    ("wire", "phrase"),
    [
        (
            lambda b, h: b.task(Summarize, sizes=(h, "size")),
            r"Field 'size' not found on MappedOutput\[Measured\]",
        ),
        (
            lambda b, h: b.task(Summarize, depends_on=h, config_fields=["sizes"]),
            "Mapped upstream task 'measure' must be connected through a named input field",
        ),
        (
            lambda b, h: b.task(Summarize, depends_on=h),
            r"takes Sizes, but the output of 'measure' is MappedOutput\[Measured\]",
        ),
    ],
)
def test_wrong_wiring_downstream_of_a_mapped_task(wire: Any, phrase: str) -> None:
    builder, handle = mapped()
    wire(builder, handle)
    with pytest.raises(WorkflowDefinitionError, match=phrase):
        builder.build()


def job(values: dict[str, dict[str, object]] | None) -> Job[Any, Any]:
    builder, _ = mapped(config_fields=["unit"])
    workflow = builder.build()
    configuration = None if values is None else JobConfiguration(values)
    return Job(workflow, EmptyConfig(), job_configuration=configuration)


def test_job_accepts_configured_items_and_keeps_them() -> None:
    made = job({"measure": {"files": {"a": 1, "b": "2"}, "unit": "kb"}})
    assert made.configured_values["measure"]["files"] == {"a": 1, "b": "2"}


@pytest.mark.parametrize(
    ("values", "phrase"),
    [
        (None, "Mapped task 'measure' requires JobConfiguration"),
        ({"measure": {"unit": "kb"}}, "Mapped task 'measure' requires configuration field 'files'"),
        (
            {"measure": {"files": [1], "unit": "kb"}},
            r"Configuration field 'measure\.files' must be a mapping",
        ),
        (
            {"measure": {"files": {1: 1}, "unit": "kb"}},
            "Mapping keys for task 'measure' must be strings",
        ),
        (
            {"measure": {"files": {"a": 1, "b": -1}, "unit": "kb"}},
            "Invalid mapping item 'b' for task 'measure': size: Input should be greater than",
        ),
        (
            {"measure": {"files": {}, "size": 3, "unit": "kb"}},
            r"field\(s\) size, but its config_fields",
        ),
    ],
)
def test_job_checks_the_mapping_configuration(
    values: dict[str, dict[str, object]] | None, phrase: str
) -> None:
    with pytest.raises(WorkflowDefinitionError, match=phrase) as caught:
        job(values)
    assert caught.value.task == "measure"


def test_mapping_checks_come_before_the_root_type_check() -> None:
    builder = Workflow.builder(name="w")
    builder.task(AddOne)
    builder.map_task(Measure, over="files", key_as="name", value_as="size")
    builder.set_result_task("add_one")
    with pytest.raises(WorkflowDefinitionError, match="requires JobConfiguration"):
        Job(builder.build(), Measured(name="x", size=1))


def test_mermaid_labels_mapped_tasks_and_their_configuration() -> None:
    builder, handle = mapped(config_fields=["unit"])
    builder.task(Summarize, sizes=handle)
    workflow = builder.build()
    text = workflow.to_mermaid(job_configuration={"measure": {"files": {}, "unit": "b"}})
    lines = text.splitlines()
    assert '    measure["measure<br/>map over: files"]' in lines
    assert "    _job_config_ -.->|files, unit| measure" in lines
    assert '    measure -->|"sizes: .root: dict[str, Measured]"| summarize' in lines
    assert not any(line.startswith("    _start_ -->") for line in lines)
    assert "    summarize -->|Report| _end_" in lines


class Follow(Task[Measured, Report]):
    def run(self, input: Measured, ctx: ExecutionContext) -> Report:
        return Report(total=input.size)


class OneMeasured(BaseModel):
    one: Measured


class FollowField(Task[OneMeasured, Report]):
    def run(self, input: OneMeasured, ctx: ExecutionContext) -> Report:
        return Report(total=input.one.size)


@pytest.mark.parametrize(
    ("wire", "phrase"),
    [
        (
            lambda b, h: b.task(Follow, depends_on=h),
            r"takes Measured, but the output of 'measure' is MappedOutput\[Measured\]",
        ),
        (
            lambda b, h: b.task(FollowField, one=h),
            r"field 'one' of task 'follow_field' is Measured, but the output of 'measure' is "
            r"MappedOutput\[Measured\]",
        ),
    ],
)
def test_a_mapped_upstream_of_the_very_model_a_task_takes_is_no_chain_link(
    wire: Any, phrase: str
) -> None:
    """The build passes a whole output into the same model at sight, unless it is mapped."""
    builder, handle = mapped()
    wire(builder, handle)
    with pytest.raises(WorkflowDefinitionError, match=phrase):
        builder.build()
