"""The wiring rules W1-W13 over the graph model (see docs: "Wiring rules").

Each rule is a small function over a node and its incoming edges. The mypy
plugin implements the same rules over mypy types in ``mypy_plugin/rules.py``;
keep names, order and messages parallel.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any, Final, get_args, get_origin

from pydantic import BaseModel

from . import _contract as contract
from ._graph import Edge, Node, model_fields_of, value_type
from ._typecompat import format_annotation, is_assignable
from .dependencies import CollectionKind
from .exceptions import IncompleteInputError, WorkflowDefinitionError

__all__ = [
    "Report",
    "assignable",
    "check_job_config",
    "check_node",
    "check_nodes",
    "check_result",
    "element_type",
    "raise_first",
    "required_config_fields",
    "unwrap_mapped",
]

type Report = Callable[[WorkflowDefinitionError], None]
"""Where the per-task rules send each violation."""


def raise_first(error: WorkflowDefinitionError) -> None:
    """The builder's report: the first violation is raised."""
    raise error


_UNKNOWN: Final = object()
"""The value of an edge whose routed field does not exist (reported already)."""


_ASSIGNABLE: dict[tuple[object, object], bool] = {}
"""``is_assignable`` per pair of annotations: it does not depend on the workflow, and a
program wires the same few models again and again (issue 13.5: build cost)."""
_ASSIGNABLE_LIMIT = 4096


def assignable(provided: object, expected: object) -> bool:
    """``is_assignable(provided, expected)``, remembered per pair of (hashable) annotations."""
    key = (provided, expected)
    try:
        return _ASSIGNABLE[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable annotation: not remembered
        return is_assignable(provided, expected)
    if len(_ASSIGNABLE) >= _ASSIGNABLE_LIMIT:  # bounded: classes made at run time come and go
        _ASSIGNABLE.clear()
    result = _ASSIGNABLE[key] = is_assignable(provided, expected)
    return result


def check_nodes(nodes: Mapping[str, Node]) -> None:
    """``check_node`` on every node in order, raising the first violation at its node.

    A root without config fields or mapping, and a chain's link (a plain upstream's
    whole output into the very model the task takes, no config fields, no mapping),
    satisfy every per-task rule: they are passed at sight, without a call (issue
    13.5: build cost).
    """
    for node in nodes.values():
        if not node.config_fields and node.mapping is None and not node.collections:
            edges = node.edges
            if not edges:  # a plain root: W8 has nothing to check
                continue
            edge = edges[0]
            if len(edges) == 1 and edge.source_field is None and edge.target_field is None:
                source = nodes[edge.source]
                if source.output_model is node.input_model and source.mapping is None:
                    continue
        try:
            check_node(node, nodes)
        except WorkflowDefinitionError as error:
            raise error.at(node.name) from None


def check_node(node: Node, nodes: Mapping[str, Node], report: Report = raise_first) -> None:
    """Every per-task rule, in the contract's order (a mapped task's own rules first);
    each violation goes to ``report``. The mapped task's rules raise their first
    violation: what follows them would be judged on a wrong premise."""
    if node.config_fields:  # the commonest case has none: no call (issue 13.5)
        check_config_fields(node, report)
    if node.mapping is not None:
        check_mapping(node)
    if node.fans_in:
        check_fan_in(node, nodes, report)
    elif node.edges:
        check_single_dependency(node, nodes, report)
    else:
        check_root(node, report)


def check_config_fields(node: Node, report: Report = raise_first) -> None:
    """W7: every ``config_fields`` entry is a field of the task's input."""
    if not node.config_fields:
        return
    fields = node.input_model.model_fields
    for name in node.config_fields:
        if name not in fields:
            report(
                WorkflowDefinitionError(
                    contract.CONFIG_FIELD_NOT_FOUND.format(
                        field=name, model=_name(node.input_model), task=node.name
                    ),
                    fields=[name],
                ).at(node.name, ("config_fields", name))
            )


def check_mapping(node: Node) -> None:
    """A mapped task: its key and value fields exist, take no other source, the key
    field accepts strings, and its dependencies fill named fields."""
    mapping = node.mapping
    assert mapping is not None
    fields = node.input_model.model_fields
    item_fields = (mapping.key_as, mapping.value_as)
    for name in item_fields:
        if name not in fields:
            raise WorkflowDefinitionError(
                contract.MAP_FIELD_NOT_FOUND.format(
                    field=name, model=_name(node.input_model), task=node.name
                )
            ).at(node.name, ("map", name))
    key_type = fields[mapping.key_as].annotation
    if not assignable(str, key_type):
        raise WorkflowDefinitionError(
            contract.MAP_KEY_NOT_STR.format(
                task=node.name, field=mapping.key_as, provided=format_annotation(key_type)
            )
        ).at(node.name, ("map", mapping.key_as))
    configured = [f for f in (mapping.over, *item_fields) if f in node.config_fields]
    if configured:
        raise WorkflowDefinitionError(
            contract.MAP_CONFIG_FIELDS.format(task=node.name, fields=_listed(configured))
        ).at(node.name, ("config_fields", configured[0]))
    if node.edges and not node.fans_in:
        raise WorkflowDefinitionError(contract.MAP_NAMED_DEPS.format(task=node.name)).at(
            node.name, ("depends_on", None)
        )
    wired = {edge.target_field for edge in node.edges} | {f for f, _ in node.collections}
    clashing = [f for f in item_fields if f in wired]
    if clashing:
        raise WorkflowDefinitionError(
            contract.MAP_DEP_FIELDS.format(task=node.name, fields=_listed(clashing))
        ).at(node.name, ("depends_on", clashing[0]))


def unwrap_mapped(node: Node, nodes: Mapping[str, Node]) -> Node:
    """A named field fed a mapped upstream's whole output: when it accepts ``dict[str, O]``
    but not ``MappedOutput[O]``, the edge routes the upstream's ``root`` (the dict)."""
    changed: list[Edge] | None = None  # made at the first change: most nodes have none
    for position, edge in enumerate(node.edges):
        if edge.target_field is None or edge.source_field is not None or edge.member is not None:
            continue
        source = nodes[edge.source]
        if source.mapping is None:
            continue
        field = node.input_model.model_fields.get(edge.target_field)
        if field is None:
            continue
        wanted = field.annotation
        items = dict[str, source.output_model]  # type: ignore[name-defined]
        if not assignable(source.effective_output, wanted) and assignable(items, wanted):
            if changed is None:
                changed = list(node.edges)
            changed[position] = dataclasses.replace(edge, source_field="root")
    if changed is None:
        return node
    return dataclasses.replace(node, edges=tuple(changed))


def check_single_dependency(
    node: Node, nodes: Mapping[str, Node], report: Report = raise_first
) -> None:
    """W1/W2 (whole output), W4 (routed field), W3 (merged with config fields)."""
    edge = node.edges[0]
    value = _edge_value(node, edge, nodes, report)
    if value is _UNKNOWN:
        return
    if node.config_fields:
        if edge.source_field is None and nodes[edge.source].mapping is not None:
            report(
                WorkflowDefinitionError(
                    contract.MAP_UPSTREAM_SPREAD.format(source=edge.source, task=node.name)
                ).at(node.name, ("depends_on", None))
            )
            return
        _check_spread(node, edge, value, report)
        return
    if not assignable(value, node.input_model):
        report(
            WorkflowDefinitionError(
                contract.TYPE_MISMATCH.format(
                    task=node.name,
                    expected=_name(node.input_model),
                    source=_source(edge),
                    provided=format_annotation(value),
                )
            ).at(node.name, ("depends_on", None))
        )


def _check_spread(node: Node, edge: Edge, value: object, report: Report) -> None:
    """W3: upstream fields that share a name with input fields must fit them."""
    provided = model_fields_of(value)
    for name, field in node.input_model.model_fields.items():
        upstream = provided.get(name)
        if upstream is not None and not assignable(upstream.annotation, field.annotation):
            report(
                WorkflowDefinitionError(
                    contract.SHARED_FIELD_MISMATCH.format(
                        source_task=edge.source,
                        field=name,
                        provided=format_annotation(upstream.annotation),
                        task=node.name,
                        expected=format_annotation(field.annotation),
                    ),
                    fields=[name],
                ).at(node.name, ("depends_on", None))
            )
    _check_covered(node, provided.keys(), report)


def check_fan_in(node: Node, nodes: Mapping[str, Node], report: Report = raise_first) -> None:
    """W5: keys are input fields and values fit them; W6: required fields are covered.

    A collected field is checked as one value: its shape, then each member.
    """
    fields = node.input_model.model_fields
    kinds = dict(node.collections)
    for collected, kind in node.collections:
        if _check_key(node, collected, report):
            check_collection(node, collected, kind, nodes, report)
    for edge in node.edges:
        key = edge.target_field
        assert key is not None
        if key in kinds:
            continue
        if key not in fields:  # no call per key that exists (issue 13.5)
            _check_key(node, key, report)
            continue
        wanted = fields[key].annotation
        source = nodes[edge.source]
        if edge.source_field is None and source.mapping is None:  # a whole output: no call
            value: object = source.output_model
            if value is wanted:
                continue
        else:
            value = _edge_value(node, edge, nodes, report)
        if value is not _UNKNOWN and not assignable(value, wanted):
            report(
                WorkflowDefinitionError(
                    contract.FAN_IN_TYPE_MISMATCH.format(
                        key=key,
                        task=node.name,
                        expected=format_annotation(wanted),
                        source=_source(edge),
                        provided=format_annotation(value),
                    ),
                    fields=[key],
                ).at(node.name, ("depends_on", key))
            )
    wired = [edge.target_field for edge in node.edges if edge.target_field]
    _check_covered(node, [*wired, *kinds], report)


def _check_key(node: Node, key: str, report: Report) -> bool:
    """A fan-in key (or collected field) is an input field; reports it when it is not."""
    if key in node.input_model.model_fields:
        return True
    report(
        WorkflowDefinitionError(
            contract.FAN_IN_KEY_NOT_FOUND.format(
                key=key, model=_name(node.input_model), task=node.name
            ),
            fields=[key],
        ).at(node.name, ("key", key))
    )
    return False


def check_collection(
    node: Node,
    key: str,
    kind: CollectionKind,
    nodes: Mapping[str, Node],
    report: Report = raise_first,
) -> None:
    """A collected field is exactly ``list[T]`` (positional) or ``dict[str, T]`` (keyed),
    not also a config field, and each member's value is assignable to ``T``."""
    annotation = node.input_model.model_fields[key].annotation
    element = element_type(annotation, kind)
    if element is None:
        template = (
            contract.COLLECTION_KEYED_TARGET
            if kind == "keyed"
            else contract.COLLECTION_POSITIONAL_TARGET
        )
        report(
            WorkflowDefinitionError(
                template.format(task=node.name, field=key, provided=format_annotation(annotation)),
                fields=[key],
            ).at(node.name, ("depends_on", key))
        )
        return
    if key in node.config_fields:
        report(
            WorkflowDefinitionError(
                contract.COLLECTION_AND_CONFIG.format(field=key, task=node.name), fields=[key]
            ).at(node.name, ("config_fields", key))
        )
    for edge in node.collected(key):
        value = _edge_value(node, edge, nodes, report)
        if value is not _UNKNOWN and not assignable(value, element):
            source = (
                edge.source if edge.source_field is None else (f"{edge.source}.{edge.source_field}")
            )
            report(
                WorkflowDefinitionError(
                    contract.COLLECTION_MISMATCH.format(
                        task=node.name,
                        field=key,
                        label=edge.member,
                        source=source,
                        provided=format_annotation(value),
                        expected=format_annotation(element),
                    ),
                    fields=[key],
                ).at(node.name, ("depends_on", key))
            )


def element_type(annotation: object, kind: CollectionKind) -> object | None:
    """``T`` of a ``list[T]`` (positional) or ``dict[str, T]`` (keyed) annotation, else None.

    ``Annotated`` metadata is ignored; a bare ``list``/``dict`` has elements of type ``Any``.
    """
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    wanted: type = dict if kind == "keyed" else list
    if annotation is wanted:
        return Any
    if get_origin(annotation) is not wanted:
        return None
    args = get_args(annotation)
    if kind == "positional":
        return args[0] if len(args) == 1 else None
    if len(args) == 2 and args[0] is str:
        found: object = args[1]
        return found
    return None


def check_root(node: Node, report: Report = raise_first) -> None:
    """W8: a root with config fields (or a mapped root) gets every required field."""
    if node.config_fields or node.mapping is not None:
        _check_covered(node, (), report)


def _check_covered(node: Node, wired: Iterable[str], report: Report) -> None:
    covered = set(wired) | set(node.config_fields)
    if node.mapping is not None:
        covered |= {node.mapping.key_as, node.mapping.value_as}
    fields = node.input_model.model_fields
    if covered.issuperset(fields):  # every field has a source (a fan-in's usual case)
        return
    missing = [
        name for name, field in fields.items() if field.is_required() and name not in covered
    ]
    if missing:
        template = contract.REQUIRED_FIELD if node.mapping is None else contract.MAP_REQUIRED
        report(
            IncompleteInputError(
                template.format(
                    field=missing[0],
                    model=_name(node.input_model),
                    task=node.name,
                    missing=", ".join(missing),
                ),
                fields=missing,
            ).at(node.name)
        )


def _edge_value(node: Node, edge: Edge, nodes: Mapping[str, Node], report: Report) -> object:
    """W4/W5: a routed field exists on the upstream output; returns the value's type
    (``_UNKNOWN`` when it does not)."""
    output = nodes[edge.source].effective_output
    if edge.source_field is None:  # the whole output
        return output
    if edge.source_field not in output.model_fields:
        computed = edge.source_field in output.model_computed_fields
        report(
            WorkflowDefinitionError(
                (contract.FIELD_IS_COMPUTED if computed else contract.FIELD_NOT_FOUND).format(
                    field=edge.source_field,
                    model=_name(output),
                    task=node.name,
                    source_task=edge.source,
                ),
                fields=[edge.target_field] if edge.target_field is not None else None,
            ).at(node.name, ("route", edge.target_field))
        )
        return _UNKNOWN
    return output.model_fields[edge.source_field].annotation


def _listed(names: Iterable[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


def check_result(workflow: str, nodes: Mapping[str, Node], successors: Mapping[str, object]) -> str:
    """W12 when no result_task is given: the workflow has exactly one sink."""
    sinks = [name for name in nodes if not successors[name]]
    if len(sinks) != 1:
        raise WorkflowDefinitionError(
            contract.SINKS.format(
                workflow=contract.describe_workflow(workflow),
                count=len(sinks),
                sinks=", ".join(sinks),
            )
        )
    return sinks[0]


def check_job_config(workflow: str, roots: Sequence[Node], config: object) -> None:
    """W13: the job config is an instance of every unconfigured root's input."""
    for root in roots:
        if root.is_input_root and not isinstance(config, root.input_model):
            raise WorkflowDefinitionError(
                contract.ROOT_INPUT.format(
                    task=root.name,
                    expected=_name(root.input_model),
                    workflow=contract.describe_workflow(workflow),
                    provided=format_annotation(type(config)),
                )
            ).at(root.name)


def required_config_fields(node: Node, nodes: Mapping[str, Node]) -> tuple[str, ...]:
    """Config fields whose value only a JobConfiguration can give (required, not wired)."""
    if not node.config_fields:
        return ()
    wired: set[str] = set()
    for edge in node.edges:
        if edge.target_field is not None:
            wired.add(edge.target_field)
        else:
            wired.update(model_fields_of(value_type(edge, nodes)))
    fields = node.input_model.model_fields
    return tuple(f for f in node.config_fields if fields[f].is_required() and f not in wired)


def _source(edge: Edge) -> str:
    if edge.source_field is None:
        return f"the output of '{edge.source}'"
    return f"field '{edge.source_field}' of '{edge.source}'"


def _name(model: type[BaseModel]) -> str:
    """A model by its qualified name, so nested models read ``Publish.Inputs`` (issue 17.6)."""
    return contract.model_name(model)
