"""The wiring rules W1-W13 over mypy types: the static ``taskmaestro/_rules.py``.

Each rule is a small function over a node and its incoming edges, with the
same names, order and messages as the runtime's (types are quoted the mypy way).
Two differences: a rule reports every violation instead of raising at the
first, and it skips whatever the source does not show (``None`` below).

A node may be checked in two passes. The first runs when its task is added,
with the references resolved so far; the second runs when the chain is
complete (at ``build()``) for the edges whose upstream task was added later.
Rules that need no upstream task (W5 keys, W6 and W8 coverage, W7) run in the
first pass only; each edge's own checks run in the pass where its source is known.

The rules about names and references (W9, W10; the runtime's ``_wiring.py``
and ``workflow.py``) and about the whole graph (W11) need the builder's
registry: they are in ``graph.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from mypy.errorcodes import ErrorCode
from mypy.nodes import TypeInfo
from mypy.options import Options
from mypy.subtypes import is_subtype
from mypy.types import Instance, Type, get_proper_type

from taskmaestro import _contract as contract
from taskmaestro._contract import describe_workflow

from . import codes
from .fields import is_plain_field
from .models import Facts, ModelField, Slot, format_model, is_computed_field, is_model, model_fields
from .state import RootInput, WorkflowFacts
from .values import NOT_LITERAL, runtime_annotation, value_problem
from .wiring import ConfigField, Pos, Wire

__all__ = [
    "ConfiguredTask",
    "ConfiguredValue",
    "Node",
    "Reporter",
    "Source",
    "check_has_tasks",
    "check_job_config",
    "check_job_config_type",
    "check_job_configuration",
    "check_node",
    "check_result",
    "describe_workflow",
]


class Reporter:
    """Reports errors through a mypy plugin API; formats and compares types the mypy way.

    It also reads tasks' models and models' fields, through the ``Facts`` of
    the chain being checked (a fresh one by default).
    """

    def __init__(
        self, fail: Callable[..., object], options: Options, facts: Facts | None = None
    ) -> None:
        self._fail = fail
        self.options = options
        self.facts = facts if facts is not None else Facts()

    def fail(self, code: ErrorCode, message: str, pos: Pos) -> None:
        self._fail(message, pos.context(), code=code)

    def type(self, typ: Type) -> str:
        return format_model(typ, self.options)

    def assignable(self, value: Type, wanted: Type) -> bool:
        return is_subtype(value, wanted, options=self.options)

    def models(self, info: TypeInfo) -> tuple[Slot, Slot]:
        return self.facts.models(info)

    def fields(self, model: Instance) -> dict[str, ModelField] | None:
        return self.facts.fields(model)


class Node(NamedTuple):
    """A task instance as the rules see it; ``None`` is what the source does not show."""

    name: str
    input: Instance | None
    fields: dict[str, ModelField] | None
    config_fields: tuple[ConfigField, ...] | None
    edges: tuple[Wire, ...] | None
    pos: Pos

    @property
    def fans_in(self) -> bool:
        edges = self.edges
        return edges is not None and len(edges) > 0 and edges[0].target_field is not None


class Source(NamedTuple):
    """The upstream end of an edge: its instance name and output model (None: unknown)."""

    name: str
    output: Instance | None


type SourceOf = Callable[[Wire], Source | None]
"""The source of an edge to check in this pass, or None to skip the edge."""


def check_node(node: Node, source_of: SourceOf, report: Reporter, first_pass: bool) -> None:
    """Every per-task rule, in the contract's order."""
    if first_pass:
        check_config_fields(node, report)
    if node.edges is None:
        return
    if node.fans_in:
        check_fan_in(node, source_of, report, first_pass)
    elif node.edges:
        check_single_dependency(node, source_of, report)
    elif first_pass:
        check_root(node, report)


def check_config_fields(node: Node, report: Reporter) -> None:
    """W7: every ``config_fields`` entry is a field of the task's input."""
    if node.fields is None or node.config_fields is None or node.input is None:
        return
    for field in node.config_fields:
        if field.name not in node.fields:
            report.fail(
                codes.CONFIG_FIELD,
                contract.CONFIG_FIELD_NOT_FOUND.format(
                    field=field.name, model=report.type(node.input), task=node.name
                ),
                field.pos,
            )


def check_single_dependency(node: Node, source_of: SourceOf, report: Reporter) -> None:
    """W1/W2 (whole output), W4 (routed field), W3 (merged with config fields)."""
    assert node.edges
    edge = node.edges[0]
    source = source_of(edge)
    if source is None:
        return
    value = _edge_value(node, edge, source, report)
    if value is None or node.config_fields is None:
        return
    if node.config_fields:
        _check_spread(node, edge, source, value, report)
        return
    if node.input is not None and not report.assignable(value, node.input):
        report.fail(
            codes.TYPE,
            contract.TYPE_MISMATCH.format(
                task=node.name,
                expected=report.type(node.input),
                source=_source(edge, source),
                provided=report.type(value),
            ),
            edge.pos,
        )


def _check_spread(node: Node, edge: Wire, source: Source, value: Type, report: Reporter) -> None:
    """W3: upstream fields that share a name with input fields must fit them."""
    provided = _model_fields(value, report)
    if provided is None or node.fields is None:
        return
    for name, field in node.fields.items():
        upstream = provided.get(name)
        if upstream is not None and not report.assignable(upstream.type, field.type):
            report.fail(
                codes.TYPE,
                contract.SHARED_FIELD_MISMATCH.format(
                    source_task=source.name,
                    field=name,
                    provided=report.type(upstream.type),
                    task=node.name,
                    expected=report.type(field.type),
                ),
                edge.pos,
            )
    _check_covered(node, provided.keys(), report)


def check_fan_in(node: Node, source_of: SourceOf, report: Reporter, first_pass: bool) -> None:
    """W5: keys are input fields and values fit them; W6: required fields are covered."""
    fields = node.fields
    if fields is None or node.input is None or node.edges is None:
        return
    for edge in node.edges:
        key = edge.target_field
        assert key is not None
        if key not in fields:
            if first_pass:
                report.fail(
                    codes.FAN_IN_KEY,
                    contract.FAN_IN_KEY_NOT_FOUND.format(
                        key=key, model=report.type(node.input), task=node.name
                    ),
                    edge.key_pos or edge.pos,
                )
            continue
        source = source_of(edge)
        if source is None:
            continue
        value = _edge_value(node, edge, source, report)
        wanted = fields[key].type
        if value is not None and not report.assignable(value, wanted):
            report.fail(
                codes.TYPE,
                contract.FAN_IN_TYPE_MISMATCH.format(
                    key=key,
                    task=node.name,
                    expected=report.type(wanted),
                    source=_source(edge, source),
                    provided=report.type(value),
                ),
                edge.pos,
            )
    if first_pass:
        _check_covered(
            node, (edge.target_field for edge in node.edges if edge.target_field), report
        )


def check_root(node: Node, report: Reporter) -> None:
    """W8: a root with config fields gets every required field from them."""
    if node.config_fields:
        _check_covered(node, (), report)


def _check_covered(node: Node, wired: Iterable[str], report: Reporter) -> None:
    if node.fields is None or node.config_fields is None:
        return
    covered = set(wired) | {field.name for field in node.config_fields}
    missing = [
        name for name, field in node.fields.items() if field.required and name not in covered
    ]
    if missing and node.input is not None:
        report.fail(
            codes.MISSING_INPUT,
            contract.REQUIRED_FIELD.format(
                field=missing[0],
                model=report.type(node.input),
                task=node.name,
                missing=", ".join(missing),
            ),
            node.pos,
        )


def _edge_value(node: Node, edge: Wire, source: Source, report: Reporter) -> Type | None:
    """W4/W5: a routed field exists on the upstream output; returns the value's type."""
    output = source.output
    if output is None:
        return None
    if edge.source_field is None:
        return output
    fields = report.fields(output)
    if fields is None:
        return None
    field = fields.get(edge.source_field)
    if field is None:
        if is_computed_field(output, edge.source_field):
            report.fail(
                codes.ROUTE,
                contract.FIELD_IS_COMPUTED.format(
                    field=edge.source_field,
                    model=report.type(output),
                    task=node.name,
                    source_task=source.name,
                ),
                edge.field_pos or edge.pos,
            )
            return None
        report.fail(
            codes.ROUTE,
            contract.FIELD_NOT_FOUND.format(
                field=edge.source_field,
                model=report.type(output),
                task=node.name,
                source_task=source.name,
            ),
            edge.field_pos or edge.pos,
        )
        return None
    return field.type


def check_has_tasks(workflow: str | None, count: int, report: Reporter, pos: Pos) -> bool:
    """A workflow has at least one task (``workflow.py``'s first check)."""
    if count:
        return True
    report.fail(codes.RESULT, contract.NO_TASKS.format(workflow=describe_workflow(workflow)), pos)
    return False


def check_result(workflow: str | None, sinks: Sequence[str], report: Reporter, pos: Pos) -> None:
    """W12 when no result_task is given: the workflow has exactly one sink."""
    if len(sinks) != 1:
        report.fail(
            codes.RESULT,
            contract.SINKS.format(
                workflow=describe_workflow(workflow), count=len(sinks), sinks=", ".join(sinks)
            ),
            pos,
        )


def check_job_config(
    workflow: str | None,
    roots: Sequence[RootInput],
    config: Type,
    report: Reporter,
    pos: Pos,
    bare_generic: TypeInfo | None = None,
) -> None:
    """W13: the job config fits the input of every unconfigured root (the first misfit).

    ``bare_generic``: the config is made by calling a generic model without type
    arguments; at run time it is then no instance of a parametrized root model.
    """
    for root in roots:
        if bare_generic is not None and root.model.type is bare_generic and root.model.args:
            report.fail(
                codes.JOB_CONFIG,
                f"Root task '{root.name}' expects input type {report.type(root.model)}, but "
                f'the job config for {describe_workflow(workflow)} is "{bare_generic.name}"',
                pos,
            )
            return
        if not report.assignable(config, root.model):
            report.fail(
                codes.JOB_CONFIG,
                f"Root task '{root.name}' expects input type {report.type(root.model)}, but "
                f"the job config for {describe_workflow(workflow)} is {report.type(config)}",
                pos,
            )
            return


def check_job_config_type(config: Type, wanted: Type, report: Reporter, pos: Pos) -> None:
    """W13 for a workflow whose roots are not known, only its declared config model."""
    if not report.assignable(config, wanted):
        report.fail(
            codes.JOB_CONFIG,
            f"Job config is {report.type(config)}, but the workflow takes {report.type(wanted)}",
            pos,
        )


class ConfiguredValue(NamedTuple):
    """One ``field: value`` of a literal ``JobConfiguration``; ``value`` is ``NOT_LITERAL``
    unless it is a scalar literal."""

    name: str
    value: object
    pos: Pos


class ConfiguredTask(NamedTuple):
    """One task's entry of a literal ``JobConfiguration``; ``fields`` None if not literal."""

    name: str
    fields: list[ConfiguredValue] | None
    pos: Pos


def check_job_configuration(
    workflow: WorkflowFacts, tasks: Sequence[ConfiguredTask], report: Reporter, pos: Pos
) -> None:
    """17.5: keys are instance names, each task's keys its config_fields, values fit, and
    every value only a JobConfiguration can give is there (``pos``: where to say so for a
    task the configuration does not name).

    Only scalar literal values are judged, by pydantic as the runtime does (see
    ``values``); the runtime checks every value when the ``Job`` is built.
    """
    for task in tasks:
        if workflow.tasks is not None and task.name not in workflow.tasks:
            report.fail(
                codes.JOB_CONFIG,
                f"JobConfiguration names task '{task.name}', which is not a task of "
                f"workflow '{workflow.name}' (tasks: {', '.join(workflow.tasks)})",
                task.pos,
            )
            continue
        if workflow.configured is None or task.fields is None:
            continue
        configured = workflow.configured.get(task.name)
        allowed = configured.fields if configured is not None else ()
        unexpected = [field for field in task.fields if field.name not in allowed]
        if unexpected:
            report.fail(
                codes.JOB_CONFIG,
                f"JobConfiguration gives task '{task.name}' field(s) "
                f"{', '.join(field.name for field in unexpected)}, but its config_fields are: "
                f"{', '.join(allowed) or 'none'}",
                unexpected[0].pos,
            )
        if configured is None or configured.model is None:
            continue
        fields = model_fields(configured.model) or {}
        for value in task.fields:
            field = fields.get(value.name)
            if field is None or value.value is NOT_LITERAL or value.name not in allowed:
                continue
            if not is_plain_field(configured.model.type, value.name):
                continue  # Annotated metadata (a validator?) or an alias: mypy cannot see it
            annotation = runtime_annotation(field.type)
            problem = None if annotation is None else value_problem(value.value, annotation)
            if problem is not None:
                report.fail(
                    codes.JOB_CONFIG,
                    contract.CONFIG_INVALID_VALUE.format(
                        task=task.name,
                        field=value.name,
                        model=report.type(configured.model),
                        problem=problem,
                    ),
                    value.pos,
                )

    _check_missing_values(workflow, tasks, report, pos)


def _check_missing_values(
    workflow: WorkflowFacts, tasks: Sequence[ConfiguredTask], report: Reporter, pos: Pos
) -> None:
    """A configured task's required, unwired config fields must each get a value."""
    if workflow.configured is None:
        return
    given = {task.name: task for task in tasks}
    for configured in workflow.configured.values():
        if not configured.required:
            continue
        entry = given.get(configured.name)
        if entry is not None and entry.fields is None:
            continue  # its values are not literal: the runtime decides
        named = {field.name for field in entry.fields or ()} if entry is not None else set()
        missing = [field for field in configured.required if field not in named]
        if missing:
            report.fail(
                codes.JOB_CONFIG,
                contract.CONFIG_MISSING_VALUES.format(
                    task=configured.name, fields=", ".join(missing)
                ),
                entry.pos if entry is not None else pos,
            )


def _model_fields(value: Type, report: Reporter) -> dict[str, ModelField] | None:
    proper = get_proper_type(value)
    if isinstance(proper, Instance):
        return report.fields(proper) if is_model(proper) else {}
    return None


def _source(edge: Wire, source: Source) -> str:
    if edge.source_field is None:
        return f"the output of '{source.name}'"
    return f"field '{edge.source_field}' of '{source.name}'"
