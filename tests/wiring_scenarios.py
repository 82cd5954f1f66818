"""One table of wiring scenarios, judged by the runtime and by the mypy plugin.

Each scenario is a few statements over the models and tasks of ``PRELUDE``.
``test_wiring_runtime.py`` runs them with the real library and checks the
exception (or its absence); ``test_wiring_static.py`` type-checks them with the
plugin and checks the error codes; ``test_table_agrees`` (in the runtime test)
checks the two columns against each other: wherever the plugin can see the
wiring, it says "invalid" exactly when the runtime raises, with a code of the
same kind as the runtime's exception. Where it cannot see the wiring
(``visible=False``), it must be silent.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Final

from taskmaestro.exceptions import CycleDetectedError, IncompleteInputError, WorkflowDefinitionError

__all__ = ["ERROR_OF_CODE", "PRELUDE", "SCENARIOS", "Scenario"]

PRELUDE: Final = textwrap.dedent(
    """
    from typing import Any

    from pydantic import BaseModel, Field

    from taskmaestro import (
        EmptyConfig,
        ExecutionContext,
        Job,
        JobConfiguration,
        Task,
        TaskMap,
        Workflow,
        collect,
    )


    class Number(BaseModel):
        value: int


    class Text(BaseModel):
        text: str


    class Pair(BaseModel):
        a: Number
        b: Number


    class Total(BaseModel):
        total: int


    class Scaled(BaseModel):
        value: int
        factor: float


    class Mixed(BaseModel):
        value: str
        factor: float


    class Described(BaseModel):
        value: int
        extra: int = Field(description="no default: required at run time")


    class Start(Task[Number, Number]):
        def run(self, input: Number, ctx: ExecutionContext) -> Number:
            return input


    class Double(Task[Number, Number]):
        def run(self, input: Number, ctx: ExecutionContext) -> Number:
            return Number(value=input.value * 2)


    class ToText(Task[Number, Text]):
        def run(self, input: Number, ctx: ExecutionContext) -> Text:
            return Text(text=str(input.value))


    class FromText(Task[Text, Number]):
        def run(self, input: Text, ctx: ExecutionContext) -> Number:
            return Number(value=len(input.text))


    class Split(Task[Number, Pair]):
        def run(self, input: Number, ctx: ExecutionContext) -> Pair:
            return Pair(a=input, b=input)


    class Sum(Task[Pair, Total]):
        def run(self, input: Pair, ctx: ExecutionContext) -> Total:
            return Total(total=input.a.value + input.b.value)


    class Scale(Task[Scaled, Number]):
        def run(self, input: Scaled, ctx: ExecutionContext) -> Number:
            return Number(value=int(input.value * input.factor))


    class Misfit(Task[Mixed, Number]):
        def run(self, input: Mixed, ctx: ExecutionContext) -> Number:
            return Number(value=0)


    class Loose(Task[Described, Number]):
        def run(self, input: Described, ctx: ExecutionContext) -> Number:
            return Number(value=input.value)


    class Nested(Task):
        class Inputs(BaseModel):
            value: int

        class Outputs(BaseModel):
            value: int

        def run(self, input: Inputs, ctx: ExecutionContext) -> Outputs:
            return self.Outputs(value=input.value)


    class TextAttributes(Task):
        Inputs = Text
        Outputs = Text

        def run(self, input: Text, ctx: ExecutionContext) -> Text:
            return input


    class NoModels(Task):
        def run(self, input: Any, ctx: ExecutionContext) -> Any:
            return input


    class Numbers(BaseModel):
        values: list[Number]


    class ByName(BaseModel):
        values: dict[str, Number]


    class Item(BaseModel):
        name: str
        value: int


    class Weighted(BaseModel):
        name: str
        value: int
        weight: float


    class SumAll(Task[Numbers, Total]):
        def run(self, input: Numbers, ctx: ExecutionContext) -> Total:
            return Total(total=sum(n.value for n in input.values))


    class SumNamed(Task[ByName, Total]):
        def run(self, input: ByName, ctx: ExecutionContext) -> Total:
            return Total(total=sum(n.value for n in input.values.values()))


    class PerItem(Task[Item, Number]):
        def run(self, input: Item, ctx: ExecutionContext) -> Number:
            return Number(value=input.value)


    class PerWeighted(Task[Weighted, Number]):
        def run(self, input: Weighted, ctx: ExecutionContext) -> Number:
            return Number(value=int(input.value * input.weight))
    """
)

ERROR_OF_CODE: Final[dict[str, type[Exception]]] = {
    "taskmaestro-type": WorkflowDefinitionError,
    "taskmaestro-fan-in-key": WorkflowDefinitionError,
    "taskmaestro-route": WorkflowDefinitionError,
    "taskmaestro-missing-input": IncompleteInputError,
    "taskmaestro-config-field": WorkflowDefinitionError,
    "taskmaestro-reference": WorkflowDefinitionError,
    "taskmaestro-ambiguous": WorkflowDefinitionError,
    "taskmaestro-duplicate-name": WorkflowDefinitionError,
    "taskmaestro-invalid-name": WorkflowDefinitionError,
    "taskmaestro-cycle": CycleDetectedError,
    "taskmaestro-result": WorkflowDefinitionError,
    "taskmaestro-job-config": WorkflowDefinitionError,
    "taskmaestro-task-model": WorkflowDefinitionError,
    "taskmaestro-collection": WorkflowDefinitionError,
    "taskmaestro-mapping": WorkflowDefinitionError,
}
"""The runtime exception each plugin error code stands for."""


@dataclass(frozen=True)
class Scenario:
    id: str
    code: str
    """Statements over the prelude's names; they build a workflow (and maybe a job)."""
    runtime: type[Exception] | None
    """The exception the runtime raises, or None when the wiring is valid."""
    static: frozenset[str] = frozenset()
    """The plugin's error codes (empty: mypy is clean)."""
    visible: bool = True
    """False when the plugin cannot see the wiring: it must then stay silent."""


def _s(
    id: str,
    code: str,
    runtime: type[Exception] | None = None,
    *static: str,
    visible: bool = True,
) -> Scenario:
    return Scenario(id, textwrap.dedent(code).strip(), runtime, frozenset(static), visible)


_DEF = WorkflowDefinitionError
_INCOMPLETE = IncompleteInputError

SCENARIOS: Final[tuple[Scenario, ...]] = (
    # W1: linear lists.
    _s("linear", 'Workflow(name="w", tasks=[Start, Double, ToText])'),
    _s("linear_repeated_class", 'Workflow(name="w", tasks=[Start, Start, Start])'),
    _s(
        "linear_mismatch",
        'Workflow(name="w", tasks=[Start, ToText, Double])',
        _DEF,
        "taskmaestro-type",
    ),
    _s("linear_empty", 'Workflow(name="w", tasks=[])', _DEF, "taskmaestro-result"),
    # W2: a whole output into a whole input, by class or by name.
    _s(
        "by_class",
        'Workflow.builder(name="w").add_task(Start).add_task(Double, depends_on=Start).build()',
    ),
    _s(
        "by_class_mismatch",
        'Workflow.builder(name="w").add_task(ToText).add_task(Double, depends_on=ToText).build()',
        _DEF,
        "taskmaestro-type",
    ),
    _s(
        "by_name",
        """
        (Workflow.builder(name="w").add_task(Start, name="first")
            .add_task(Double, depends_on="first").build())
        """,
    ),
    _s(
        "by_name_mismatch",
        """
        (Workflow.builder(name="w").add_task(ToText, name="first")
            .add_task(Double, depends_on="first").build())
        """,
        _DEF,
        "taskmaestro-type",
    ),
    _s(
        "forward_reference",
        """
        (Workflow.builder(name="w").add_task(Double, depends_on="first")
            .add_task(Start, name="first").build())
        """,
    ),
    _s(
        "forward_reference_mismatch",
        """
        (Workflow.builder(name="w").add_task(Double, depends_on="first")
            .add_task(ToText, name="first").build())
        """,
        _DEF,
        "taskmaestro-type",
    ),
    _s(
        "forward_reference_by_class",
        """
        (Workflow.builder(name="w").add_task(Double, depends_on=Start)
            .add_task(Start).build())
        """,
        _DEF,
        "taskmaestro-reference",
    ),
    _s(
        "reference_to_itself_by_class",
        'Workflow.builder(name="w").add_task(Start, depends_on=Start).build()',
        _DEF,
        "taskmaestro-reference",
    ),
    _s(
        "nested_models_whole_output",
        'Workflow.builder(name="w").add_task(Start).add_task(Nested, depends_on=Start).build()',
        _DEF,
        "taskmaestro-type",
    ),
    _s(
        "nested_models_routed",
        """
        (Workflow.builder(name="w").add_task(Start)
            .add_task(Nested, depends_on={"value": (Start, "value")}).build())
        """,
    ),
    _s("nested_models_as_attributes", 'Workflow(name="w", tasks=[ToText, TextAttributes])'),
    _s(
        "nested_models_as_attributes_mismatch",
        'Workflow(name="w", tasks=[Start, TextAttributes])',
        _DEF,
        "taskmaestro-type",
    ),
    _s(
        "route_spread_into_input",
        """
        (Workflow.builder(name="w").add_task(Split)
            .add_task(Scale, depends_on=(Split, "a"), config_fields=["factor"]).build())
        """,
    ),
    # W3: a single dependency merged with config fields.
    _s(
        "spread",
        """
        (Workflow.builder(name="w").add_task(Start)
            .add_task(Scale, depends_on=Start, config_fields=["factor"]).build())
        """,
    ),
    _s(
        "spread_mismatch",
        """
        (Workflow.builder(name="w").add_task(Start)
            .add_task(Misfit, depends_on=Start, config_fields=["factor"]).build())
        """,
        _DEF,
        "taskmaestro-type",
    ),
    _s(
        "spread_uncovered",
        """
        (Workflow.builder(name="w").add_task(Start)
            .add_task(Scale, depends_on=Start, config_fields=["value"]).build())
        """,
        _INCOMPLETE,
        "taskmaestro-missing-input",
    ),
    # W4: routes.
    _s(
        "route",
        """
        (Workflow.builder(name="w").add_task(Split)
            .add_task(Start, depends_on=(Split, "a")).build())
        """,
    ),
    _s(
        "route_missing_field",
        """
        (Workflow.builder(name="w").add_task(Split)
            .add_task(Start, depends_on=(Split, "c")).build())
        """,
        _DEF,
        "taskmaestro-route",
    ),
    _s(
        "route_mismatch",
        """
        (Workflow.builder(name="w").add_task(ToText)
            .add_task(Start, depends_on=(ToText, "text")).build())
        """,
        _DEF,
        "taskmaestro-type",
    ),
    # W5, W6: fan-in.
    _s(
        "fan_in_classes",
        """
        (Workflow.builder(name="w").add_task(Start).add_task(Double)
            .add_task(Sum, depends_on={"a": Start, "b": Double}).build())
        """,
    ),
    _s(
        "fan_in_names_and_routes",
        """
        (Workflow.builder(name="w").add_task(Split, name="pair").add_task(Start, name="one")
            .add_task(Sum, depends_on={"a": "one", "b": ("pair", "b")}).build())
        """,
    ),
    _s(
        "fan_in_unknown_key",
        """
        (Workflow.builder(name="w").add_task(Start)
            .add_task(Sum, depends_on={"a": Start, "b": Start, "c": Start}).build())
        """,
        _DEF,
        "taskmaestro-fan-in-key",
    ),
    _s(
        "fan_in_mismatch",
        """
        (Workflow.builder(name="w").add_task(Start).add_task(ToText)
            .add_task(Sum, depends_on={"a": Start, "b": ToText}).build())
        """,
        _DEF,
        "taskmaestro-type",
    ),
    _s(
        "fan_in_route_missing_field",
        """
        (Workflow.builder(name="w").add_task(Split)
            .add_task(Sum, depends_on={"a": (Split, "a"), "b": (Split, "z")}).build())
        """,
        _DEF,
        "taskmaestro-route",
    ),
    _s(
        "fan_in_uncovered",
        """
        (Workflow.builder(name="w").add_task(Start)
            .add_task(Sum, depends_on={"a": Start}).build())
        """,
        _INCOMPLETE,
        "taskmaestro-missing-input",
    ),
    _s(
        "fan_in_covered_by_config",
        """
        (Workflow.builder(name="w").add_task(Start)
            .add_task(Sum, depends_on={"a": Start}, config_fields=["b"]).build())
        """,
    ),
    _s(
        "empty_fan_in_is_a_root",
        """
        (Workflow.builder(name="w").add_task(Start)
            .add_task(Double, depends_on={}).build())
        """,
        _DEF,
        "taskmaestro-result",
    ),
    # W7, W8: config fields.
    _s(
        "root_configured",
        """
        (Workflow.builder(name="w").add_task(Scale, config_fields=["value", "factor"])
            .add_task(Double, depends_on=Scale).build())
        """,
    ),
    _s(
        "unknown_config_field",
        """
        (Workflow.builder(name="w")
            .add_task(Scale, config_fields=["value", "factor", "bogus"]).build())
        """,
        _DEF,
        "taskmaestro-config-field",
    ),
    _s(
        "config_fields_string",
        'Workflow.builder(name="w").add_task(Scale, config_fields="value").build()',
        _DEF,
        "taskmaestro-config-field",
    ),
    _s(
        "root_uncovered",
        'Workflow.builder(name="w").add_task(Scale, config_fields=["value"]).build()',
        _INCOMPLETE,
        "taskmaestro-missing-input",
    ),
    # W9: references.
    _s(
        "unknown_name",
        'Workflow.builder(name="w").add_task(Start).add_task(Double, depends_on="nope").build()',
        _DEF,
        "taskmaestro-reference",
    ),
    _s(
        "unknown_class",
        'Workflow.builder(name="w").add_task(Start).add_task(Double, depends_on=Split).build()',
        _DEF,
        "taskmaestro-reference",
    ),
    _s(
        "named_instances",
        """
        (Workflow.builder(name="w", result_task="two").add_task(Start)
            .add_task(Double, name="one", depends_on=Start)
            .add_task(Double, name="two", depends_on="one").build())
        """,
    ),
    _s(
        "ambiguous_class",
        """
        (Workflow.builder(name="w").add_task(Start, name="one").add_task(Start, name="two")
            .add_task(Sum, depends_on={"a": Start, "b": "two"}).build())
        """,
        _DEF,
        "taskmaestro-ambiguous",
    ),
    _s(
        "ambiguous_class_registered_later",
        """
        (Workflow.builder(name="w", result_task="double").add_task(Start, name="one")
            .add_task(Double, depends_on=Start).add_task(Start, name="two").build())
        """,
        _DEF,
        "taskmaestro-ambiguous",
    ),
    _s(
        "result_task_unknown",
        'Workflow.builder(name="w", result_task="nope").add_task(Start).build()',
        _DEF,
        "taskmaestro-reference",
    ),
    _s(
        "result_task_class_not_registered",
        'Workflow(name="w", tasks=[Start, Double], result_task=ToText)',
        _DEF,
        "taskmaestro-reference",
    ),
    _s(
        "result_task_ambiguous_in_linear_list",
        'Workflow(name="w", tasks=[Start, Start], result_task=Start)',
        _DEF,
        "taskmaestro-ambiguous",
    ),
    # set_result_task in a fluent chain: the registry goes on, the result is checked at build().
    _s(
        "set_result_task_by_class",
        """
        (Workflow.builder(name="w").add_task(Start).add_task(ToText, depends_on=Start)
            .add_task(Double, depends_on=Start).set_result_task(ToText).build())
        """,
    ),
    _s(
        "set_result_task_then_ambiguous",
        """
        (Workflow.builder(name="w").add_task(Start).set_result_task("start")
            .add_task(Start, name="two").add_task(Double, depends_on=Start).build())
        """,
        _DEF,
        "taskmaestro-ambiguous",
    ),
    _s(
        "set_result_task_then_mismatch",
        """
        (Workflow.builder(name="w").add_task(Start).set_result_task(Start)
            .add_task(FromText, depends_on=Start).build())
        """,
        _DEF,
        "taskmaestro-type",
    ),
    _s(
        "set_result_task_then_duplicate",
        """
        (Workflow.builder(name="w").add_task(Start).set_result_task("start")
            .add_task(Start, depends_on="start").build())
        """,
        _DEF,
        "taskmaestro-duplicate-name",
    ),
    _s(
        "set_result_task_unknown",
        'Workflow.builder(name="w").add_task(Start).set_result_task("nope").build()',
        _DEF,
        "taskmaestro-reference",
    ),
    _s(
        "set_result_task_class_not_registered",
        'Workflow.builder(name="w").add_task(Start).set_result_task(ToText).build()',
        _DEF,
        "taskmaestro-reference",
    ),
    _s(
        "set_result_task_ambiguous_class",
        """
        (Workflow.builder(name="w").add_task(Start).add_task(Start, name="two")
            .set_result_task(Start).build())
        """,
        _DEF,
        "taskmaestro-ambiguous",
    ),
    _s(
        "set_result_task_replaces_result_task",
        """
        (Workflow.builder(name="w", result_task="nope").add_task(Start)
            .add_task(Double, depends_on=Start).set_result_task("start").build())
        """,
    ),
    _s(
        "set_result_task_output_handle",
        """
        builder = Workflow.builder(name="w")
        split = builder.task(Split)
        builder.set_result_task(split.field("a"))
        builder.build()
        """,
        _DEF,
        "taskmaestro-result",
    ),
    # W10: names.
    _s(
        "duplicate_names",
        'Workflow.builder(name="w").add_task(Start).add_task(Start).build()',
        _DEF,
        "taskmaestro-duplicate-name",
    ),
    _s(
        "invalid_name",
        'Workflow.builder(name="w").add_task(Start, name="a/b").build()',
        _DEF,
        "taskmaestro-invalid-name",
    ),
    # W11, W12: the graph.
    _s(
        "cycle",
        """
        (Workflow.builder(name="w").add_task(Start)
            .add_task(Double, name="x", depends_on="y")
            .add_task(Double, name="y", depends_on="x").build())
        """,
        CycleDetectedError,
        "taskmaestro-cycle",
    ),
    _s(
        "two_sinks",
        """
        (Workflow.builder(name="w").add_task(Start)
            .add_task(Double, name="one", depends_on=Start)
            .add_task(Double, name="two", depends_on=Start).build())
        """,
        _DEF,
        "taskmaestro-result",
    ),
    _s("no_tasks", 'Workflow.builder(name="w").build()', _DEF, "taskmaestro-result"),
    _s(
        "task_without_models",
        'Workflow(name="w", tasks=[NoModels])',
        _DEF,
        "taskmaestro-task-model",
    ),
    # W13: the job config.
    _s(
        "job",
        """
        wf = Workflow(name="w", tasks=[Start, ToText])
        Job(workflow=wf, config=Number(value=1))
        """,
    ),
    _s(
        "job_wrong_config",
        """
        wf = Workflow(name="w", tasks=[Start, ToText])
        Job(workflow=wf, config=Text(text="x"))
        """,
        _DEF,
        "taskmaestro-job-config",
    ),
    _s(
        "job_config_none",
        """
        wf = Workflow(name="w", tasks=[Start, ToText])
        Job(workflow=wf, config=None)
        """,
        _DEF,
        "taskmaestro-job-config",
    ),
    _s(
        "job_config_nested_model",
        """
        wf = Workflow(name="w", tasks=[Nested])
        Job(workflow=wf, config=Nested.Outputs(value=1))
        """,
        _DEF,
        "taskmaestro-job-config",
    ),
    _s(
        "job_second_root",
        """
        wf = (Workflow.builder(name="w").add_task(Start).add_task(FromText)
            .add_task(Sum, depends_on={"a": Start, "b": FromText}).build())
        Job(workflow=wf, config=Number(value=1))
        """,
        _DEF,
        "taskmaestro-job-config",
    ),
    _s(
        "job_all_roots_configured",
        """
        wf = (Workflow.builder(name="w").add_task(Scale, config_fields=["value", "factor"])
            .build())
        values = JobConfiguration({"scale": {"value": 1, "factor": 2.0}})
        Job(workflow=wf, config=EmptyConfig(), job_configuration=values)
        """,
    ),
    # What the plugin cannot see: the runtime decides alone.
    _s(
        "dict_in_a_variable",
        """
        wiring: dict[str, Any] = {"a": Start, "c": Start}
        (Workflow.builder(name="w").add_task(Start)
            .add_task(Sum, depends_on=wiring).build())
        """,
        _DEF,
        visible=False,
    ),
    _s(
        "name_built_at_run_time",
        """
        suffix = "pe"
        (Workflow.builder(name="w").add_task(Start)
            .add_task(Double, depends_on=f"no{suffix}").build())
        """,
        _DEF,
        visible=False,
    ),
    _s(
        "field_default_only_in_description",
        """
        (Workflow.builder(name="w").add_task(Start)
            .add_task(Loose, depends_on={"value": (Start, "value")}).build())
        """,
        _INCOMPLETE,
        "taskmaestro-missing-input",
    ),
    _s(
        "config_fields_in_a_variable",
        """
        fields = ["value"]
        Workflow.builder(name="w").add_task(Scale, config_fields=fields).build()
        """,
        _INCOMPLETE,
        visible=False,
    ),
    _s(
        "fan_in_spread",
        """
        extra: dict[str, Any] = {"c": Start}
        (Workflow.builder(name="w").add_task(Start)
            .add_task(Sum, depends_on={"a": Start, "b": Start, **extra}).build())
        """,
        _DEF,
        visible=False,
    ),
    _s(
        "builder_passed_to_a_function",
        """
        def grow(builder: Any) -> Any:
            return builder.add_task(Double, name="other", depends_on=Start)
        grow(Workflow.builder(name="w").add_task(Start).add_task(Double, depends_on=Start)).build()
        """,
        _DEF,
        visible=False,
    ),
    _s(
        "builder_mutated_by_statements",
        """
        builder = Workflow.builder(name="w").add_task(Start)
        builder.add_task(Double, name="one", depends_on=Start)
        builder.add_task(Double, name="two", depends_on=Start)
        builder.build()
        """,
        _DEF,
        visible=False,
    ),
    # Handles, keyword dependencies, collect() and mapped tasks (issue 14; s. 2-4 of
    # features-0.4). The plugin checks each task() call on its own; what needs the
    # builder's other tasks (a foreign handle, a job's mapping) stays invisible. A
    # handle whose whole output does not fit is already an error for mypy and pyright
    # alone (a plain "misc" / "reportArgumentType"), so it is in tests/test_handles.py
    # and tests/pyright_fixtures/handles.py, not here.
    _s(
        "handle_chain",
        """
        builder = Workflow.builder(name="w")
        start = builder.task(Start)
        builder.task(Double, depends_on=start)
        builder.build()
        """,
    ),
    _s(
        "handle_keywords",
        """
        builder = Workflow.builder(name="w")
        start = builder.task(Start)
        builder.task(Sum, a=start, b=start)
        builder.build()
        """,
    ),
    _s(
        "handle_field_route",
        """
        builder = Workflow.builder(name="w")
        split = builder.task(Split)
        builder.task(Sum, a=split.field("a"), b=(split, "b"))
        builder.build()
        """,
    ),
    _s(
        "handle_tuple_route_missing_field",
        """
        builder = Workflow.builder(name="w")
        split = builder.task(Split)
        builder.task(Sum, a=split.field("a"), b=(split, "z"))
        builder.build()
        """,
        _DEF,
        "taskmaestro-route",
    ),
    _s(
        "handle_tuple_route_mismatch",
        """
        builder = Workflow.builder(name="w")
        text = builder.task(ToText)
        builder.task(Double, depends_on=(text, "text"))
        builder.build()
        """,
        _DEF,
        "taskmaestro-type",
    ),
    _s(
        "handle_tuple_route_whole_input",
        """
        builder = Workflow.builder(name="w")
        split = builder.task(Split)
        builder.task(Double, depends_on=(split, "a"))
        builder.build()
        """,
    ),
    _s(
        "handle_keywords_and_depends_on",
        """
        builder = Workflow.builder(name="w")
        start = builder.task(Start)
        builder.task(Sum, depends_on={"a": start}, b=start)
        """,
        _DEF,
        "taskmaestro-fan-in-key",
    ),
    _s(
        "handle_of_another_builder",
        """
        other = Workflow.builder(name="other").task(Start)
        builder = Workflow.builder(name="w")
        builder.task(Start)
        builder.task(Double, depends_on=other)
        """,
        _DEF,
        visible=False,
    ),
    _s(
        "collect_positional",
        """
        builder = Workflow.builder(name="w")
        start = builder.task(Start)
        double = builder.task(Double, depends_on=start)
        builder.task(SumAll, values=collect(start, double, start))
        builder.build()
        """,
    ),
    _s(
        "collect_keyed",
        """
        builder = Workflow.builder(name="w")
        start = builder.task(Start)
        builder.task(SumNamed, values=collect(first=start, again=start))
        builder.build()
        """,
    ),
    _s(
        "collect_keyed_into_a_list",
        """
        builder = Workflow.builder(name="w")
        start = builder.task(Start)
        builder.task(SumAll, values=collect(first=start))
        builder.build()
        """,
        _DEF,
        "taskmaestro-collection",
    ),
    _s(
        "collect_element_mismatch",
        """
        builder = Workflow.builder(name="w")
        text = builder.task(ToText)
        builder.task(SumAll, values=collect(text))
        builder.build()
        """,
        _DEF,
        "taskmaestro-collection",
    ),
    _s(
        "mapped_into_a_dict_field",
        """
        builder = Workflow.builder(name="w")
        items = builder.map_task(PerItem, over="items", key_as="name", value_as="value")
        builder.task(SumNamed, values=items)
        builder.build()
        """,
    ),
    _s(
        "mapped_key_field_missing",
        """
        builder = Workflow.builder(name="w")
        builder.map_task(PerItem, over="items", key_as="title", value_as="value")
        builder.build()
        """,
        _DEF,
        "taskmaestro-mapping",
    ),
    _s(
        "mapped_key_and_value_the_same",
        """
        builder = Workflow.builder(name="w")
        builder.map_task(PerItem, over="items", key_as="name", value_as="name")
        builder.build()
        """,
        _DEF,
        "taskmaestro-mapping",
    ),
    _s(
        "mapped_field_not_covered",
        """
        builder = Workflow.builder(name="w")
        builder.task(PerWeighted, mapped_over=TaskMap("items", "name", "value"))
        builder.build()
        """,
        _INCOMPLETE,
        "taskmaestro-missing-input",
    ),
    _s(
        "mapped_items_missing_at_job",
        """
        builder = Workflow.builder(name="w")
        builder.map_task(PerItem, over="items", key_as="name", value_as="value")
        Job(builder.build(), EmptyConfig(), job_configuration=JobConfiguration({}))
        """,
        _DEF,
        visible=False,
    ),
)
