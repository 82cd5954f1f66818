"""Rules W1-W13 of the wiring contract at build time: one valid and invalid case each."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import BaseModel, Field

from taskmaestro import (
    CycleDetectedError,
    EmptyConfig,
    ExecutionContext,
    IncompleteInputError,
    Job,
    JobConfiguration,
    Task,
    Workflow,
    WorkflowDefinitionError,
)

from .helpers import AddOne, Double, Number, Sum, Text, Total, ToText


class Source(BaseModel):
    a: int
    b: str
    extra: float = 0.0


class Target(BaseModel):
    a: int
    b: str
    scale: float


class Narrow(BaseModel):
    a: int


class Produce(Task[Number, Source]):
    def run(self, input: Number, ctx: ExecutionContext) -> Source:
        return Source(a=input.value, b="b")


class Consume(Task[Target, Number]):
    def run(self, input: Target, ctx: ExecutionContext) -> Number:
        return Number(value=int(input.a * input.scale))


class TakeInt(Task[Narrow, Number]):
    def run(self, input: Narrow, ctx: ExecutionContext) -> Number:
        return Number(value=input.a)


def builder(name: str = "w") -> Any:
    return Workflow.builder(name=name)


# W1 -------------------------------------------------------------------------


def test_w1_linear_chain_types_must_follow() -> None:
    Workflow(name="ok", tasks=[AddOne, Double, ToText])
    with pytest.raises(
        WorkflowDefinitionError, match=r"Type mismatch: task 'add_one' takes Number"
    ):
        Workflow(name="bad", tasks=[ToText, AddOne])  # type: ignore[taskmaestro-type]


def test_w1_linear_chain_may_repeat_a_class() -> None:
    workflow = Workflow(name="twice", tasks=[Double, Double, AddOne, Double])
    assert [name for name, _ in workflow.topological_order()] == [
        "double",
        "double_2",
        "add_one",
        "double_3",
    ]


# W2 -------------------------------------------------------------------------


def test_w2_single_dependency_whole_output() -> None:
    builder().add_task(AddOne).add_task(Double, depends_on=AddOne).build()
    with pytest.raises(WorkflowDefinitionError, match="Type mismatch") as caught:
        builder().add_task(ToText).add_task(Double, depends_on=ToText).build()
    message = str(caught.value)
    assert "'double'" in message
    assert "Number" in message
    assert "Text" in message


def test_w2_subclass_output_is_accepted() -> None:
    class Wide(Number):
        note: str = ""

    class MakeWide(Task[Number, Wide]):
        def run(self, input: Number, ctx: ExecutionContext) -> Wide:
            return Wide(value=input.value)

    builder().add_task(MakeWide).add_task(Double, depends_on=MakeWide).build()


# W3 -------------------------------------------------------------------------


def test_w3_spread_with_config_fields() -> None:
    builder().add_task(Produce).add_task(
        Consume, depends_on=Produce, config_fields=["scale"]
    ).build()


def test_w3_uncovered_field_is_incomplete() -> None:
    with pytest.raises(IncompleteInputError, match=r"'consume'.*scale"):
        builder().add_task(Produce).add_task(
            Consume, depends_on=Produce, config_fields=["b"]
        ).build()


def test_w3_shared_field_type_mismatch() -> None:
    class BadSource(BaseModel):
        a: str
        b: str

    class ProduceBad(Task[Number, BadSource]):
        def run(self, input: Number, ctx: ExecutionContext) -> BadSource:
            return BadSource(a="a", b="b")

    with pytest.raises(
        WorkflowDefinitionError,
        match=r"Type mismatch: produce_bad\.a is str, but field 'a' of task 'consume' input is int",
    ):
        builder().add_task(ProduceBad).add_task(
            Consume, depends_on=ProduceBad, config_fields=["scale"]
        ).build()


# W4 -------------------------------------------------------------------------


class Holder(BaseModel):
    number: Number
    count: int


class Hold(Task[Number, Holder]):
    def run(self, input: Number, ctx: ExecutionContext) -> Holder:
        return Holder(number=input, count=1)


def test_w4_routed_field_as_whole_input() -> None:
    builder().add_task(Hold).add_task(Double, depends_on=(Hold, "number")).build()


def test_w4_unknown_routed_field() -> None:
    with pytest.raises(
        WorkflowDefinitionError, match="Field 'nope' not found on Holder: task 'double' routes"
    ):
        builder().add_task(Hold).add_task(Double, depends_on=(Hold, "nope")).build()


def test_w4_routed_field_type_mismatch() -> None:
    with pytest.raises(WorkflowDefinitionError, match="field 'count' of 'hold' is int"):
        builder().add_task(Hold).add_task(Double, depends_on=(Hold, "count")).build()


# W5 -------------------------------------------------------------------------


def test_w5_fan_in_with_classes_names_and_routes() -> None:
    builder().add_task(AddOne).add_task(Hold).add_task(
        Sum, depends_on={"a": "add_one", "b": (Hold, "number")}
    ).build()


def test_w5_unknown_fan_in_key() -> None:
    with pytest.raises(
        WorkflowDefinitionError, match="Fan-in field 'c' not found on Pair: task 'sum'"
    ):
        builder().add_task(AddOne).add_task(Sum, depends_on={"a": AddOne, "c": AddOne}).build()


def test_w5_fan_in_type_mismatch() -> None:
    with pytest.raises(
        WorkflowDefinitionError, match=r"Fan-in type mismatch: field 'b' of task 'sum' is Number"
    ):
        builder().add_task(AddOne).add_task(ToText).add_task(
            Sum, depends_on={"a": AddOne, "b": ToText}
        ).build()


def test_w5_fan_in_unknown_routed_field() -> None:
    with pytest.raises(
        WorkflowDefinitionError, match=r"Field 'zzz' not found on Holder: task 'sum'"
    ):
        builder().add_task(Hold).add_task(
            Sum, depends_on={"a": (Hold, "number"), "b": (Hold, "zzz")}
        ).build()


# W6 -------------------------------------------------------------------------


def test_w6_fan_in_must_cover_required_fields() -> None:
    with pytest.raises(
        IncompleteInputError,
        match=r"Required field 'b' on Pair of task 'sum' is not mapped to any upstream task",
    ):
        builder().add_task(AddOne).add_task(Sum, depends_on={"a": AddOne}).build()


def test_w6_config_fields_complete_a_fan_in() -> None:
    workflow = (
        builder()
        .add_task(AddOne)
        .add_task(Sum, depends_on={"a": AddOne}, config_fields=["b"])
        .build()
    )
    with pytest.raises(IncompleteInputError, match=r"'sum' needs config value\(s\) for b"):
        Job(workflow, Number(value=1))
    job = Job(
        workflow, Number(value=1), job_configuration=JobConfiguration({"sum": {"b": {"value": 10}}})
    )
    assert job.status == "pending"


def test_w6_fields_with_defaults_need_no_wiring() -> None:
    class Defaults(BaseModel):
        a: Number
        b: Number = Field(default_factory=lambda: Number(value=0))

    class UseDefaults(Task[Defaults, Total]):
        def run(self, input: Defaults, ctx: ExecutionContext) -> Total:
            return Total(total=input.a.value + input.b.value)

    builder().add_task(AddOne).add_task(UseDefaults, depends_on={"a": AddOne}).build()


# W7 -------------------------------------------------------------------------


def test_w7_config_fields_must_exist() -> None:
    with pytest.raises(
        WorkflowDefinitionError, match=r"Config field 'scal' not found on Target: task 'consume'"
    ):
        builder().add_task(Produce).add_task(
            Consume, depends_on=Produce, config_fields=["scal"]
        ).build()


def test_w7_config_fields_must_be_a_list() -> None:
    with pytest.raises(WorkflowDefinitionError, match="must be a list"):
        builder().add_task(Consume, config_fields="scale")


# W8 -------------------------------------------------------------------------


def test_w8_configured_root_must_be_fully_configured() -> None:
    builder().add_task(Consume, config_fields=["a", "b", "scale"]).build()
    with pytest.raises(
        IncompleteInputError,
        match=r"Required field 'b' on .* of task 'consume' .*\(missing: b, scale\)",
    ):
        builder().add_task(Consume, config_fields=["a"]).build()


# W9 -------------------------------------------------------------------------


def test_w9_reference_to_unknown_task() -> None:
    with pytest.raises(
        WorkflowDefinitionError, match="Task 'double' depends on 'nope', which is not registered"
    ):
        builder().add_task(AddOne).add_task(Double, depends_on="nope").build()
    # A class reference is resolved by add_task itself: the class must be added already.
    with pytest.raises(WorkflowDefinitionError, match="Task class 'AddOne' not found"):
        builder().add_task(Double, depends_on=AddOne)
    with pytest.raises(WorkflowDefinitionError, match="result_task 'ghost' not found"):
        Workflow.builder(name="w", result_task="ghost").add_task(AddOne).build()  # type: ignore[taskmaestro-reference]


def test_w9_forward_references_resolve_at_build() -> None:
    workflow = builder().add_task(Double, depends_on="first").add_task(AddOne, name="first").build()
    assert workflow.topological_order() == [("first", AddOne), ("double", Double)]
    assert workflow.get_dependencies("double") == "first"


def test_w9_class_registered_twice_is_ambiguous() -> None:
    with pytest.raises(
        WorkflowDefinitionError, match=r"Ambiguous reference .* registered as 'one' and 'two'"
    ):
        builder().add_task(AddOne, name="one").add_task(AddOne, name="two").add_task(
            Double, depends_on=AddOne
        )
    builder().add_task(AddOne, name="one").add_task(AddOne, name="two").add_task(
        Double, depends_on="two", name="d"
    ).add_task(Sum, depends_on={"a": "one", "b": "d"}).build()


def test_depends_on_of_the_wrong_kind() -> None:
    with pytest.raises(WorkflowDefinitionError, match="depends_on takes a Task class"):
        builder().add_task(Double, depends_on=42)
    with pytest.raises(WorkflowDefinitionError, match="keys must be input field names"):
        builder().add_task(Sum, depends_on={1: AddOne})


# W10 ------------------------------------------------------------------------


def test_w10_duplicate_names() -> None:
    first = builder().add_task(AddOne)
    with pytest.raises(WorkflowDefinitionError, match="Duplicate task name 'add_one'"):
        first.add_task(AddOne, depends_on="add_one")  # raised by add_task itself
    assert first.build().task_names == ("add_one",)  # and nothing was registered


@pytest.mark.parametrize("name", ["", "a/b", "..", "../x", "a b", "a.b", "-x", "é"])
def test_w10_invalid_names(name: str) -> None:
    with pytest.raises(WorkflowDefinitionError, match=re.escape(f"Invalid task name {name!r}")):
        builder().add_task(AddOne, name=name)


def test_w10_valid_names() -> None:
    workflow = builder().add_task(AddOne, name="Step-1_a").build()
    assert workflow.task_names == ("Step-1_a",)


# W11 ------------------------------------------------------------------------


def test_w11_cycle_names_its_tasks() -> None:
    with pytest.raises(CycleDetectedError) as caught:
        (
            builder()
            .add_task(AddOne, depends_on="c")
            .add_task(Double, name="b", depends_on="add_one")
            .add_task(Double, name="c", depends_on="b")
            .add_task(Double, name="d", depends_on="c")
            .build()
        )
    assert set(caught.value.cycle) == {"add_one", "b", "c"}
    assert "Cycle detected involving task '" in str(caught.value)
    assert "add_one" in str(caught.value)
    assert caught.value.cycle[0] == caught.value.cycle[-1]


def test_w11_self_dependency() -> None:
    with pytest.raises(CycleDetectedError, match="double -> double"):
        builder().add_task(Double, depends_on="double").build()


# W12 ------------------------------------------------------------------------


def test_w12_two_sinks_need_result_task() -> None:
    with pytest.raises(
        WorkflowDefinitionError,
        match=r"2 sink tasks \(add_one, double\); specify result_task explicitly",
    ):
        builder().add_task(AddOne).add_task(Double).build()
    workflow = (
        Workflow.builder(name="w", result_task=Double).add_task(AddOne).add_task(Double).build()
    )
    assert workflow.result_task is Double
    assert workflow.result_task_name == "double"
    assert workflow.output_model is Number


def test_w12_empty_workflow() -> None:
    with pytest.raises(WorkflowDefinitionError, match="has no tasks"):
        builder().build()
    with pytest.raises(WorkflowDefinitionError, match="has no tasks"):
        Workflow(name="w", tasks=[])  # type: ignore[taskmaestro-result]


# W13 ------------------------------------------------------------------------


def test_w13_job_config_must_fit_every_unconfigured_root() -> None:
    workflow = Workflow(name="math", tasks=[AddOne, Double])
    Job(workflow, Number(value=1))
    wrong: Any = Text(text="x")  # what mypy (with the plugin) would reject
    with pytest.raises(
        WorkflowDefinitionError,
        match=r"Root task 'add_one' expects input type Number, but the job config .* is Text",
    ):
        Job(workflow, wrong)


def test_w13_configured_roots_take_empty_config() -> None:
    workflow = builder().add_task(Consume, config_fields=["a", "b", "scale"]).build()
    assert workflow.input_model is EmptyConfig
    configuration = JobConfiguration({"consume": {"a": 2, "b": "x", "scale": 1.5}})
    Job(workflow, EmptyConfig(), job_configuration=configuration)


# Job configuration checks ------------------------------------------------------


def test_job_configuration_names_unknown_tasks_and_fields() -> None:
    workflow = builder().add_task(Consume, config_fields=["a", "b", "scale"]).build()
    with pytest.raises(WorkflowDefinitionError, match="names task 'ghost'"):
        Job(workflow, EmptyConfig(), job_configuration=JobConfiguration({"ghost": {}}))
    with pytest.raises(WorkflowDefinitionError, match=r"field\(s\) zzz"):
        Job(
            workflow,
            EmptyConfig(),
            job_configuration=JobConfiguration(
                {"consume": {"a": 1, "b": "", "scale": 1, "zzz": 1}}
            ),
        )
    with pytest.raises(WorkflowDefinitionError, match="task names to"):
        JobConfiguration({"consume": 3})  # type: ignore[dict-item]


# Task model resolution -----------------------------------------------------------


def test_task_without_models_fails_at_add_task() -> None:
    class Bare(Task):
        def run(self, input: Any, ctx: ExecutionContext) -> Any:
            return input

    with pytest.raises(WorkflowDefinitionError, match="Bare has no input model"):
        builder().add_task(Bare)


# Where a violation is -----------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "task", "part"),
    [
        (
            lambda: builder().add_task(AddOne).add_task(Sum, depends_on={"a": AddOne, "c": AddOne}),
            "sum",
            ("key", "c"),
        ),
        (
            lambda: builder().add_task(ToText).add_task(Sum, depends_on={"a": ToText, "b": ToText}),
            "sum",
            ("depends_on", "a"),
        ),
        (
            lambda: builder().add_task(Hold).add_task(Double, depends_on=(Hold, "nope")),
            "double",
            ("route", None),
        ),
        (
            lambda: builder().add_task(AddOne).add_task(Sum, depends_on={"a": AddOne, "b": "x"}),
            "sum",
            ("reference", "b"),
        ),
        (
            lambda: (
                builder()
                .add_task(Produce)
                .add_task(Consume, depends_on=Produce, config_fields=["scal"])
            ),
            "consume",
            ("config_fields", "scal"),
        ),
        (
            lambda: builder().add_task(ToText).add_task(Double, depends_on=ToText),
            "double",
            ("depends_on", None),
        ),
        (lambda: builder().add_task(AddOne).add_task(AddOne), "add_one", ("name", None)),
        (
            lambda: Workflow.builder(name="w", result_task="ghost").add_task(AddOne),
            None,
            ("result_task", None),
        ),
        (lambda: builder().add_task(AddOne).add_task(Sum, depends_on={"a": AddOne}), "sum", None),
    ],
)
def test_errors_say_which_task_and_which_part(build: Any, task: str, part: object) -> None:
    with pytest.raises(WorkflowDefinitionError) as caught:
        build().build()
    assert caught.value.task == task
    assert caught.value.part == part


def test_assignability_is_asked_once_per_pair_of_annotations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 13.5: the rules ask ``is_assignable`` once per pair, whatever the workflow."""
    from taskmaestro import _rules

    asked: list[tuple[object, object]] = []

    def counting(provided: object, expected: object) -> bool:
        asked.append((provided, expected))
        return provided is expected

    monkeypatch.setattr(_rules, "is_assignable", counting)

    class Fresh(BaseModel):  # a new class: no other test has remembered a pair with it
        value: int

    pair = (Fresh, Number)
    first = _rules.assignable(*pair)
    assert _rules.assignable(*pair) is first is False
    assert asked == [pair]
    unhashable = list[int], [1]  # not remembered, still answered
    assert not _rules.assignable(*unhashable)
    assert not _rules.assignable(*unhashable)
    assert asked == [pair, unhashable, unhashable]
