"""Declarations checked one at a time, then the whole chain at ``build()``.

``declare`` runs when a task is added: names (W10), the references that
resolve among the tasks added so far (W9), and the node rules (W1-W8).
``finish`` runs at ``build()`` (or at the end of a linear ``tasks`` list): the
forward references (W9, then their edges' rules), cycles (W11), the result
(W12), and the workflow's type arguments.

What the plugin knows of a builder is always a subset of what the runtime
will have (a builder only grows). Checks that hold for a subset run on any
builder value. Checks that need the whole workflow (a reference to nothing,
the number of sinks, the type arguments) run only when ``complete``: the
chain from ``Workflow.builder(...)`` to ``.build()`` is one expression, so
nothing else can have added a task in between.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import Final, NamedTuple

from mypy.nodes import TypeInfo
from mypy.types import Instance

from taskmaestro import _contract as contract

from . import codes
from .models import MISSING, Slot
from .rules import (
    Node,
    Reporter,
    Source,
    check_has_tasks,
    check_node,
    check_result,
    describe_workflow,
)
from .state import BuilderState, Configured, RootInput
from .wiring import ClassRef, Declaration, Pos, TaskRef, Wire, describe, is_valid_name

__all__ = ["Outcome", "declare", "finish", "instance_name"]


class _Unresolved:
    """A reference that names no task registered so far."""


_UNRESOLVED: Final = _Unresolved()


class _Ambiguous(NamedTuple):
    names: tuple[str, ...]
    before: int
    """How many of the registrations precede the referring task."""


type _Resolution = int | _Ambiguous | _Unresolved | None
"""A declaration index, an ambiguous class, nothing registered yet, or unknowable (None)."""


class Outcome(NamedTuple):
    """What a complete chain gives the workflow type: its models and its unconfigured roots."""

    input: Instance | None
    """None: the job config model cannot be known; EmptyConfig is resolved by the caller."""
    all_configured: bool
    output: Instance | None
    roots: tuple[RootInput, ...]
    tasks: tuple[str, ...] | None = None
    """Every instance name; None when some name is not literal."""
    configured: tuple[Configured, ...] | None = None
    """The tasks with config_fields; None when some config_fields are not literal."""


def instance_name(declaration: Declaration) -> str:
    """The name messages use for a task instance."""
    if declaration.name is not None:
        return declaration.name
    return declaration.task.name if declaration.task is not None else "?"


def declare(
    state: BuilderState, declaration: Declaration, report: Reporter
) -> tuple[Declaration, tuple[Slot, Slot]]:
    """Check one new declaration against the registry.

    Returns it with its pending wires, and its task's models (for ``added``).
    """
    workflow = state.header.workflow
    name = declaration.name
    models = _models(declaration, report)
    if declaration.task is not None:
        _check_models(declaration.task, models, declaration.pos, report)
    if name is not None and not is_valid_name(name):
        report.fail(
            codes.INVALID_NAME,
            contract.INVALID_NAME.format(name=name, workflow=describe_workflow(workflow)),
            declaration.name_pos or declaration.pos,
        )
    elif name is not None and state.by_name(name):
        report.fail(
            codes.DUPLICATE_NAME,
            contract.DUPLICATE_NAME.format(name=name, workflow=describe_workflow(workflow)),
            declaration.name_pos or declaration.pos,
        )
    wires: list[Wire] = []
    sources: dict[Wire, Source] = {}
    index = state.header.size
    changed = False
    for wire in declaration.wires or ():
        resolution = _resolve(state, wire.ref, index)
        pending = isinstance(resolution, _Unresolved)
        checked = wire if wire.pending is pending else wire._replace(pending=pending)
        changed = changed or checked is not wire
        if isinstance(resolution, _Ambiguous):
            _report_ambiguous(wire, resolution, instance_name(declaration), report, workflow)
        elif isinstance(resolution, int):
            sources[checked] = _source(state, resolution)
        wires.append(checked)
    if changed:
        declaration = declaration._replace(wires=tuple(wires))
    check_node(_node(declaration, models[0], report), sources.get, report, first_pass=True)
    return declaration, models


def finish(state: BuilderState, complete: bool, report: Reporter, pos: Pos) -> Outcome | None:
    """Check what needs the whole chain; the workflow's models when ``complete``."""
    declarations = state.declarations()
    workflow = state.header.workflow
    if complete and not check_has_tasks(workflow, len(declarations), report, pos):
        return None
    edges = _resolve_edges(state, declarations, complete, report)
    cyclic = _check_cycles(state, declarations, edges, report, pos)
    if not complete:
        return None
    result = _result(state, declarations, edges, report, pos, check_sinks=not cyclic)
    output = _models(declarations[result], report)[1] if result is not None else None
    return _outcome(declarations, output if isinstance(output, Instance) else None, report)


def _resolve_edges(
    state: BuilderState, declarations: Sequence[Declaration], complete: bool, report: Reporter
) -> list[list[int] | None]:
    """W9 for forward references, then the rules of their edges; the upstream of each task.

    Returns, per declaration, the indexes of its sources, or None when some are unknown.
    """
    edges: list[list[int] | None] = []
    for index, declaration in enumerate(declarations):
        if declaration.wires is None:
            edges.append(None)
            continue
        known: list[int] | None = []
        sources: dict[Wire, Source] = {}
        for wire in declaration.wires:
            resolution = _resolve(state, wire.ref, index)
            if isinstance(resolution, int):
                if known is not None:
                    known.append(resolution)
                if wire.pending:
                    sources[wire] = _source(state, resolution)
                continue
            known = None
            if isinstance(resolution, _Ambiguous) and (wire.pending or resolution.before < 2):
                referrer = instance_name(declaration)
                _report_ambiguous(wire, resolution, referrer, report, state.header.workflow)
            elif isinstance(resolution, _Unresolved) and complete:
                assert wire.ref is not None
                report.fail(
                    codes.REFERENCE,
                    _not_found(wire.ref, f"task '{instance_name(declaration)}'", state),
                    wire.ref_pos or wire.pos,
                )
        edges.append(known)
        if sources:
            node = _node(declaration, state.models(index)[0], report)
            check_node(node, sources.get, report, first_pass=False)
    return edges


def _check_cycles(
    state: BuilderState,
    declarations: Sequence[Declaration],
    edges: Sequence[list[int] | None],
    report: Reporter,
    pos: Pos,
) -> bool:
    """W11 over the edges that are known (an unknown edge can only hide a cycle)."""
    following: list[list[int]] = [[] for _ in declarations]
    indegree = [0] * len(declarations)
    for target, sources in enumerate(edges):
        for source in dict.fromkeys(sources or ()):
            following[source].append(target)
            indegree[target] += 1
    ready = [index for index, degree in enumerate(indegree) if not degree]
    heapq.heapify(ready)
    done = 0
    while ready:
        current = heapq.heappop(ready)
        done += 1
        for successor in following[current]:
            indegree[successor] -= 1
            if not indegree[successor]:
                heapq.heappush(ready, successor)
    if done == len(declarations):
        return False
    remaining = {index for index, degree in enumerate(indegree) if degree}
    predecessors = {
        index: {source for source in edges[index] or () if source in remaining}
        for index in sorted(remaining)
    }
    cycle = contract.find_cycle(predecessors)
    if cycle is None:  # pragma: no cover - Kahn left these nodes, so they hold a cycle
        return True
    # Every cycle has a forward reference (a wire pending when it was added): report there.
    on_cycle = set(cycle)
    forward = (
        wire.ref_pos or wire.pos
        for index in sorted(on_cycle)
        for wire in declarations[index].wires or ()
        if wire.pending and _resolve(state, wire.ref, index) in on_cycle
    )
    names_on_cycle = contract.format_cycle(instance_name(declarations[index]) for index in cycle)
    report.fail(
        codes.CYCLE,
        contract.CYCLE.format(
            task=instance_name(declarations[cycle[0]]),
            workflow=describe_workflow(state.header.workflow),
            cycle=names_on_cycle,
        ),
        next(forward, pos),
    )
    return True


def _result(
    state: BuilderState,
    declarations: Sequence[Declaration],
    edges: Sequence[list[int] | None],
    report: Reporter,
    pos: Pos,
    check_sinks: bool,
) -> int | None:
    """W12 (or W9 for ``result_task``): the index of the result task, if known."""
    given = state.header.result
    workflow = state.header.workflow
    if given is not None:
        resolution = _resolve(state, given.ref, len(declarations))
        if isinstance(resolution, _Ambiguous):
            assert isinstance(given.ref, ClassRef)
            report.fail(
                codes.AMBIGUOUS,
                _ambiguous(given.ref, "result_task", resolution, workflow),
                given.pos,
            )
        elif isinstance(resolution, _Unresolved):
            assert given.ref is not None
            report.fail(
                codes.REFERENCE,
                contract.RESULT_NOT_FOUND.format(
                    ref=describe(given.ref), workflow=describe_workflow(workflow)
                ),
                given.pos,
            )
        return resolution if isinstance(resolution, int) else None
    if any(sources is None for sources in edges):
        return None
    has_successor = [False] * len(declarations)
    for sources in edges:
        for source in sources or ():
            has_successor[source] = True
    sinks = [index for index, followed in enumerate(has_successor) if not followed]
    named = [declaration.name for declaration in declarations]
    if check_sinks and len(set(named)) == len(named):  # after W10 or W11, sinks mean nothing
        check_result(workflow, [instance_name(declarations[i]) for i in sinks], report, pos)
    return sinks[0] if len(sinks) == 1 else None


def _outcome(
    declarations: Sequence[Declaration], output: Instance | None, report: Reporter
) -> Outcome:
    """The job config model: the first root without config_fields, in declaration order."""
    config: Instance | None = None
    known = True
    found = False
    roots: list[RootInput] = []
    for declaration in declarations:
        if declaration.wires is None or declaration.config_fields is None:
            known = False
            continue
        if declaration.wires or declaration.config_fields:
            continue
        model = _models(declaration, report)[0]
        if not found and known:
            config = model if isinstance(model, Instance) else None
        found = True
        if isinstance(model, Instance) and declaration.name is not None:
            roots.append(RootInput(declaration.name, model))
    names = [declaration.name for declaration in declarations]
    tasks = None if None in names else tuple(name for name in names if name is not None)
    configured: list[Configured] = []
    all_literal = True
    for declaration in declarations:
        if declaration.config_fields is None or declaration.name is None:
            all_literal = False
            break
        if declaration.config_fields:
            model = _models(declaration, report)[0]
            fields = tuple(field.name for field in declaration.config_fields)
            input_model = model if isinstance(model, Instance) else None
            required = _required_config(declaration, input_model, report)
            configured.append(Configured(declaration.name, fields, input_model, required))
    return Outcome(
        config,
        known and not found,
        output,
        tuple(roots),
        tasks,
        tuple(configured) if all_literal else None,
    )


def _required_config(
    declaration: Declaration, model: Instance | None, report: Reporter
) -> tuple[str, ...] | None:
    """The config fields only a JobConfiguration can give: required and not wired, as the
    runtime's ``required_config_fields``. Known only when every dependency fills a named
    field (a root, a fan-in): a whole output or a route may fill any of them."""
    wires, config_fields = declaration.wires, declaration.config_fields
    if model is None or wires is None or config_fields is None:
        return None
    if any(wire.target_field is None for wire in wires):
        return None
    fields = report.fields(model)
    if fields is None:
        return None
    wired = {wire.target_field for wire in wires}
    return tuple(
        field.name
        for field in config_fields
        if field.name in fields and fields[field.name].required and field.name not in wired
    )


def _resolve(state: BuilderState, ref: TaskRef | None, index: int) -> _Resolution:
    """Which declaration ``ref`` denotes among those registered so far (W9).

    ``index`` is the referring declaration's: an ambiguity among registrations
    that precede it was already reported when it was added.
    """
    if ref is None:
        return None
    if isinstance(ref, str):
        found = state.by_name(ref)
        if found:
            return found[0]
        return None if state.header.unknown_names else _UNRESOLVED
    found = state.by_class(ref.fullname)
    if found and all(i >= index for i in found):
        found = ()  # by class, only a task added before counts (the runtime resolves it then)
    if len(found) == 1:
        return found[0]
    if found:
        listed = tuple(instance_name(state.declaration(i)) for i in found)
        return _Ambiguous(listed, sum(1 for i in found if i < index))
    return None if state.header.unknown_tasks else _UNRESOLVED


def _report_ambiguous(
    wire: Wire, ambiguous: _Ambiguous, referrer: str, report: Reporter, workflow: str | None
) -> None:
    assert isinstance(wire.ref, ClassRef)
    report.fail(
        codes.AMBIGUOUS,
        _ambiguous(wire.ref, f"task '{referrer}'", ambiguous, workflow),
        wire.ref_pos or wire.pos,
    )


def _ambiguous(ref: ClassRef, referrer: str, ambiguous: _Ambiguous, workflow: str | None) -> str:
    return contract.AMBIGUOUS_CLASS.format(
        cls=ref.name,
        workflow=describe_workflow(workflow),
        referrer=referrer,
        names=" and ".join(f"'{n}'" for n in ambiguous.names),
    )


def _not_found(ref: TaskRef, referrer: str, state: BuilderState) -> str:
    """W9: a reference to no task; by class, the contract says to add the class first."""
    workflow = describe_workflow(state.header.workflow)
    if isinstance(ref, ClassRef):
        return contract.CLASS_NOT_FOUND.format(cls=ref.name, workflow=workflow, referrer=referrer)
    task = referrer.removeprefix("task '").removesuffix("'")
    return contract.NOT_REGISTERED.format(task=task, ref=ref, workflow=workflow)


def _source(state: BuilderState, index: int) -> Source:
    declaration = state.declaration(index)
    output = state.models(index)[1]
    return Source(instance_name(declaration), output if isinstance(output, Instance) else None)


def _node(declaration: Declaration, input_model: Slot, report: Reporter) -> Node:
    model = input_model if isinstance(input_model, Instance) else None
    return Node(
        name=instance_name(declaration),
        input=model,
        fields=report.fields(model) if model is not None else None,
        config_fields=declaration.config_fields,
        edges=declaration.wires,
        pos=declaration.pos,
    )


def _models(declaration: Declaration, report: Reporter) -> tuple[Slot, Slot]:
    info = declaration.task
    return (None, None) if info is None else report.models(info)


def _check_models(info: TypeInfo, models: tuple[Slot, Slot], pos: Pos, report: Reporter) -> None:
    """A task added to a workflow must declare both models (the runtime checks it in add_task)."""
    for role, nested, slot in zip(("input", "output"), ("Inputs", "Outputs"), models, strict=True):
        if slot is MISSING:
            report.fail(
                codes.TASK_MODEL,
                contract.NO_MODEL.format(cls=info.name, role=role, nested=nested),
                pos,
            )
