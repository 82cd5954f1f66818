"""The one model of a workflow graph that every reader uses.

Each way of declaring a dependency (a class, a name, a ``(Task, "field")``
route, a fan-in dict, a linear list) is normalized once into ``Edge``s on a
``Node``. Validation, planning, the runner, Mermaid and the YAML loader read
``Graph`` and nothing else.

A workflow wrapped as a task (``workflow_task``) is a node kind: its ``nested``
holds the inner graph and the JobConfiguration it runs with, read once from
the task class when the task is added (``nested_graph_of``).
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from . import _contract as contract
from .exceptions import CycleDetectedError
from .mapping import MappedOutput, TaskMap
from .task import Task

__all__ = [
    "NESTED_ATTRIBUTE",
    "ConfigValues",
    "Edge",
    "Graph",
    "NestedGraph",
    "Node",
    "effective_output",
    "model_fields_of",
    "nested_graph_of",
    "successors",
    "topological_order",
    "value_type",
]


@dataclass(frozen=True, slots=True)
class Edge:
    """One value flowing into a task's input.

    ``source_field`` routes one field of the upstream output (``None``: the whole
    output); ``target_field`` is the input field it fills (``None``: the value is
    the whole input, or, when the task has ``config_fields``, its fields are
    spread into the input by name).
    """

    source: str
    source_field: str | None = None
    target_field: str | None = None


type ConfigValues = Mapping[str, Mapping[str, object]]
"""Static input values by task instance name: what a ``JobConfiguration`` holds."""


@dataclass(frozen=True, slots=True)
class NestedGraph:
    """What a nested-workflow node runs: the inner graph and its JobConfiguration."""

    graph: Graph
    job_configuration: ConfigValues | None


NESTED_ATTRIBUTE = "__taskmaestro_nested__"
"""The class attribute of a ``workflow_task`` class that holds its ``NestedGraph``."""


def nested_graph_of(task: type[Task[Any, Any]]) -> NestedGraph | None:
    """The ``NestedGraph`` a task class wraps (set by ``workflow_task``), if any."""
    found = task.__dict__.get(NESTED_ATTRIBUTE)
    return found if isinstance(found, NestedGraph) else None


@dataclass(frozen=True, slots=True)
class Node:
    """A task instance: its name, class, resolved models, config fields and inputs.

    ``nested`` is set when the node is a workflow wrapped as a task; ``mapping``
    when the instance is mapped (it runs once per item; see ``taskmaestro.mapping``).
    """

    name: str
    task: type[Task[Any, Any]]
    input_model: type[BaseModel]
    output_model: type[BaseModel]
    config_fields: tuple[str, ...]
    edges: tuple[Edge, ...]
    index: int
    nested: NestedGraph | None = None
    mapping: TaskMap | None = None

    @property
    def is_root(self) -> bool:
        return not self.edges

    @property
    def fans_in(self) -> bool:
        """True when the edges fill named input fields (a fan-in dict)."""
        return bool(self.edges) and self.edges[0].target_field is not None

    @property
    def spreads(self) -> bool:
        """True when a single dependency's fields are merged with configured fields."""
        return bool(self.edges) and not self.fans_in and bool(self.config_fields)


@dataclass(frozen=True, eq=False)
class Graph:
    """A validated workflow graph: nodes in declaration order and the result node."""

    name: str
    nodes: Mapping[str, Node]
    result: str
    order: tuple[str, ...]
    successors: Mapping[str, tuple[str, ...]]
    """Downstream task names of each task (see ``successors()``)."""

    @cached_property
    def roots(self) -> tuple[Node, ...]:
        return tuple(node for node in self.nodes.values() if node.is_root)

    def value_type(self, edge: Edge) -> object:
        """The annotation of the value an edge carries."""
        return value_type(edge, self.nodes)


def successors(nodes: Mapping[str, Node]) -> dict[str, tuple[str, ...]]:
    """Downstream task names of each task, each listed once, in declaration order."""
    found: dict[str, list[str]] = {}
    for node in nodes.values():
        for source in dict.fromkeys(edge.source for edge in node.edges):
            found.setdefault(source, []).append(node.name)
    none: tuple[str, ...] = ()
    return {name: tuple(found[name]) if name in found else none for name in nodes}


def model_fields_of(annotation: object) -> dict[str, FieldInfo]:
    """The Pydantic fields of ``annotation`` if it is a model class, else none."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return dict(annotation.model_fields)
    return {}


def effective_output(node: Node) -> type[BaseModel]:
    """What the instance produces: its output model, or ``MappedOutput[O]`` when mapped."""
    if node.mapping is None:
        return node.output_model
    return MappedOutput[node.output_model]  # type: ignore[name-defined]


def value_type(edge: Edge, nodes: Mapping[str, Node]) -> object:
    """The annotation of the value an edge carries (its routed field must exist)."""
    output = effective_output(nodes[edge.source])
    if edge.source_field is None:
        return output
    return output.model_fields[edge.source_field].annotation


def topological_order(
    workflow: str, nodes: Mapping[str, Node], following: Mapping[str, tuple[str, ...]]
) -> tuple[str, ...]:
    """Kahn's order, ties broken alphabetically by instance name (as taskmaestro 0.1.0).

    A cycle raises ``CycleDetectedError``, naming the tasks on it.
    ``following`` is ``successors(nodes)``.
    """
    indegree = dict.fromkeys(nodes, 0)
    for targets in following.values():
        for target in targets:
            indegree[target] += 1
    ready = [name for name in nodes if not indegree[name]]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        name = heapq.heappop(ready)
        order.append(name)
        for successor in following[name]:
            indegree[successor] -= 1
            if not indegree[successor]:
                heapq.heappush(ready, successor)
    if len(order) < len(nodes):
        remaining = sorted((n for n in nodes if indegree[n]), key=lambda n: nodes[n].index)
        predecessors = {
            name: [edge.source for edge in nodes[name].edges if indegree[edge.source]]
            for name in remaining
        }
        cycle = contract.find_cycle(predecessors) or remaining
        raise CycleDetectedError(
            contract.CYCLE.format(
                task=cycle[0],
                workflow=contract.describe_workflow(workflow),
                cycle=contract.format_cycle(cycle),
            ),
            cycle,
        )
    return tuple(order)
