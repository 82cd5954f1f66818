"""The wiring rules W1-W13 over the graph model (see docs: "Wiring rules").

Each rule is a small function over a node and its incoming edges. The mypy
plugin implements the same rules over mypy types in ``mypy_plugin/rules.py``;
keep names, order and messages parallel.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from pydantic import BaseModel

from . import _contract as contract
from ._graph import Edge, Node, effective_output, model_fields_of, value_type
from ._typecompat import format_annotation, is_assignable
from .exceptions import IncompleteInputError, WorkflowDefinitionError

__all__ = ["assignable", "check_job_config", "check_node", "check_result", "required_config_fields"]


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


def check_node(node: Node, nodes: Mapping[str, Node]) -> None:
    """Every per-task rule, in the contract's order."""
    check_config_fields(node)
    if node.fans_in:
        check_fan_in(node, nodes)
    elif node.edges:
        check_single_dependency(node, nodes)
    else:
        check_root(node)


def check_config_fields(node: Node) -> None:
    """W7: every ``config_fields`` entry is a field of the task's input."""
    if not node.config_fields:
        return
    fields = node.input_model.model_fields
    for name in node.config_fields:
        if name not in fields:
            raise WorkflowDefinitionError(
                contract.CONFIG_FIELD_NOT_FOUND.format(
                    field=name, model=_name(node.input_model), task=node.name
                )
            ).at(node.name, ("config_fields", name))


def check_single_dependency(node: Node, nodes: Mapping[str, Node]) -> None:
    """W1/W2 (whole output), W4 (routed field), W3 (merged with config fields)."""
    edge = node.edges[0]
    value = _edge_value(node, edge, nodes)
    if node.config_fields:
        _check_spread(node, edge, value)
        return
    if not assignable(value, node.input_model):
        raise WorkflowDefinitionError(
            contract.TYPE_MISMATCH.format(
                task=node.name,
                expected=_name(node.input_model),
                source=_source(edge),
                provided=format_annotation(value),
            )
        ).at(node.name, ("depends_on", None))


def _check_spread(node: Node, edge: Edge, value: object) -> None:
    """W3: upstream fields that share a name with input fields must fit them."""
    provided = model_fields_of(value)
    for name, field in node.input_model.model_fields.items():
        upstream = provided.get(name)
        if upstream is not None and not assignable(upstream.annotation, field.annotation):
            raise WorkflowDefinitionError(
                contract.SHARED_FIELD_MISMATCH.format(
                    source_task=edge.source,
                    field=name,
                    provided=format_annotation(upstream.annotation),
                    task=node.name,
                    expected=format_annotation(field.annotation),
                )
            ).at(node.name, ("depends_on", None))
    _check_covered(node, provided.keys())


def check_fan_in(node: Node, nodes: Mapping[str, Node]) -> None:
    """W5: keys are input fields and values fit them; W6: required fields are covered."""
    fields = node.input_model.model_fields
    for edge in node.edges:
        key = edge.target_field
        assert key is not None
        if key not in fields:
            raise WorkflowDefinitionError(
                contract.FAN_IN_KEY_NOT_FOUND.format(
                    key=key, model=_name(node.input_model), task=node.name
                )
            ).at(node.name, ("key", key))
        value = _edge_value(node, edge, nodes)
        wanted = fields[key].annotation
        if not assignable(value, wanted):
            raise WorkflowDefinitionError(
                contract.FAN_IN_TYPE_MISMATCH.format(
                    key=key,
                    task=node.name,
                    expected=format_annotation(wanted),
                    source=_source(edge),
                    provided=format_annotation(value),
                )
            ).at(node.name, ("depends_on", key))
    _check_covered(node, (edge.target_field for edge in node.edges if edge.target_field))


def check_root(node: Node) -> None:
    """W8: a root with config fields (or mapped) gets every required field from them."""
    if node.config_fields or node.mapping is not None:
        _check_covered(node, ())


def _check_covered(node: Node, wired: Iterable[str]) -> None:
    covered = set(wired) | set(node.config_fields)
    if node.mapping is not None:  # each item fills these two
        covered.update((node.mapping.key_as, node.mapping.value_as))
    missing = [
        name
        for name, field in node.input_model.model_fields.items()
        if field.is_required() and name not in covered
    ]
    if missing:
        raise IncompleteInputError(
            contract.REQUIRED_FIELD.format(
                field=missing[0],
                model=_name(node.input_model),
                task=node.name,
                missing=", ".join(missing),
            )
        ).at(node.name)


def _edge_value(node: Node, edge: Edge, nodes: Mapping[str, Node]) -> object:
    """W4/W5: a routed field exists on the upstream output; returns the value's type."""
    output = effective_output(nodes[edge.source])
    if edge.source_field is not None and edge.source_field not in output.model_fields:
        raise WorkflowDefinitionError(
            contract.FIELD_NOT_FOUND.format(
                field=edge.source_field,
                model=_name(output),
                task=node.name,
                source_task=edge.source,
            )
        ).at(node.name, ("route", edge.target_field))
    return value_type(edge, nodes)


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
        if root.config_fields or root.mapping is not None:  # mapped: never gets the config
            continue
        if not isinstance(config, root.input_model):
            raise WorkflowDefinitionError(
                contract.ROOT_INPUT.format(
                    task=root.name,
                    expected=_name(root.input_model),
                    workflow=contract.describe_workflow(workflow),
                    provided=type(config).__name__,
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
    return model.__qualname__.rpartition("<locals>.")[2]
