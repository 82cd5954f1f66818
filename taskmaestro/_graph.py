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
import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from itertools import pairwise
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from . import _contract as contract
from .dependencies import CollectionKind
from .exceptions import CycleDetectedError
from .mapping import MappedOutput, TaskMap
from .retry import Retry
from .task import Task

__all__ = [
    "NESTED_ATTRIBUTE",
    "ConfigValues",
    "Edge",
    "Graph",
    "NestedGraph",
    "Node",
    "chain_order",
    "chain_successors",
    "effective_output",
    "model_fields_of",
    "nested_graph_of",
    "slot_setters",
    "successors",
    "topological_order",
    "value_type",
]


@dataclass(frozen=True, slots=True, init=False)
class Edge:
    """One value flowing into a task's input.

    ``source_field`` routes one field of the upstream output (``None``: the whole
    output); ``target_field`` is the input field it fills (``None``: the value is
    the whole input, or, when the task has ``config_fields``, its fields are
    spread into the input by name). ``member`` is set when the edge is one member
    of a collected field (see ``Node.collections``): its list index or dict key.
    """

    source: str
    source_field: str | None = None
    target_field: str | None = None
    member: int | str | None = None

    def __init__(
        self,
        source: str,
        source_field: str | None = None,
        target_field: str | None = None,
        member: int | str | None = None,
    ) -> None:
        source_, source_field_, target_field_, member_ = _EDGE_SLOTS
        source_(self, source)
        source_field_(self, source_field)
        target_field_(self, target_field)
        member_(self, member)


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


@dataclass(frozen=True, slots=True, init=False)
class Node:
    """A task instance: its name, class, resolved models, config fields and inputs.

    ``nested`` is set when the node is a workflow wrapped as a task; ``mapping``
    when the instance is mapped (it runs once per item; see ``taskmaestro.mapping``).
    ``collections`` lists each input field filled by ``collect()`` once, with its
    kind; its members are the edges whose ``target_field`` it is (none when empty).
    ``retry`` is set when the instance replaces its class's retry policy
    (``add_task(retry=)``).
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
    collections: tuple[tuple[str, CollectionKind], ...] = ()
    retry: Retry | None = None

    def __init__(
        self,
        name: str,
        task: type[Task[Any, Any]],
        input_model: type[BaseModel],
        output_model: type[BaseModel],
        config_fields: tuple[str, ...],
        edges: tuple[Edge, ...],
        index: int,
        nested: NestedGraph | None = None,
        mapping: TaskMap | None = None,
        collections: tuple[tuple[str, CollectionKind], ...] = (),
        retry: Retry | None = None,
    ) -> None:
        (
            name_,
            task_,
            input_,
            output_,
            config_,
            edges_,
            index_,
            nested_,
            mapping_,
            collections_,
            retry_,
        ) = _NODE_SLOTS
        name_(self, name)
        task_(self, task)
        input_(self, input_model)
        output_(self, output_model)
        config_(self, config_fields)
        edges_(self, edges)
        index_(self, index)
        nested_(self, nested)
        mapping_(self, mapping)
        collections_(self, collections)
        retry_(self, retry)

    @property
    def is_root(self) -> bool:
        return not self.edges and not self.collections

    @property
    def is_input_root(self) -> bool:
        """A root that takes the job's config: no config_fields and not mapped."""
        return self.is_root and not self.config_fields and self.mapping is None

    @property
    def fans_in(self) -> bool:
        """True when the edges fill named input fields (a fan-in dict, collections)."""
        if self.collections:
            return True
        return bool(self.edges) and self.edges[0].target_field is not None

    @property
    def effective_output(self) -> type[BaseModel]:
        """What downstream tasks get: the output model, or ``MappedOutput[O]`` when mapped."""
        return effective_output(self.output_model, self.mapping)

    def collected(self, field: str) -> tuple[Edge, ...]:
        """The member edges of collected input ``field``, in declaration order."""
        return tuple(edge for edge in self.edges if edge.target_field == field)

    @property
    def spreads(self) -> bool:
        """True when a single dependency's fields are merged with configured fields."""
        return bool(self.edges) and not self.fans_in and bool(self.config_fields)


def slot_setters(cls: type) -> tuple[Callable[[object, object], None], ...]:
    """The setters of a frozen, slotted dataclass's fields, in order, for its own ``__init__``.

    A build makes a ``Node`` per task and an ``Edge`` per dependency, and the
    ``__init__`` dataclasses writes for a frozen class calls ``object.__setattr__``
    per field: twice the cost of setting the slots directly (issue 13.5). The
    hand-written ``__init__`` must take exactly the fields, in order: checked here,
    so a field added later cannot be forgotten.
    """
    names = [field.name for field in fields(cls)]
    parameters = list(inspect.signature(cls).parameters)
    if parameters != names:
        raise TypeError(f"{cls.__name__}.__init__ takes {parameters}, its fields are {names}")
    return tuple(cls.__dict__[name].__set__ for name in names)


_EDGE_SLOTS = slot_setters(Edge)
_NODE_SLOTS = slot_setters(Node)


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


def effective_output(output: type[BaseModel], mapping: TaskMap | None) -> type[BaseModel]:
    """``output``, or ``MappedOutput[output]`` for a mapped instance (pydantic caches it)."""
    if mapping is None:
        return output
    return MappedOutput[output]  # type: ignore[valid-type]


def successors(nodes: Mapping[str, Node]) -> dict[str, tuple[str, ...]]:
    """Downstream task names of each task, each listed once, in declaration order."""
    found: dict[str, list[str]] = {}
    for node in nodes.values():
        edges = node.edges
        if len(edges) == 1:  # the commonest case: no duplicates to drop (issue 13.5)
            sources: Iterable[str] = (edges[0].source,)
        elif edges:
            sources = dict.fromkeys([edge.source for edge in edges])
        else:
            continue
        for source in sources:
            if source in found:
                found[source].append(node.name)
            else:
                found[source] = [node.name]
    none: tuple[str, ...] = ()
    return {name: tuple(found[name]) if name in found else none for name in nodes}


def model_fields_of(annotation: object) -> dict[str, FieldInfo]:
    """The Pydantic fields of ``annotation`` if it is a model class, else none."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return dict(annotation.model_fields)
    return {}


def value_type(edge: Edge, nodes: Mapping[str, Node]) -> object:
    """The annotation of the value an edge carries (its routed field must exist)."""
    output = nodes[edge.source].effective_output
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
    # The ready tasks, smallest name first: the roots sorted once (popped from the end),
    # the tasks made ready on the way in a heap; many roots cost no heap pops (issue 13.5).
    roots = sorted((name for name in nodes if not indegree[name]), reverse=True)
    ready: list[str] = []
    order: list[str] = []
    while roots or ready:
        if ready and (not roots or ready[0] < roots[-1]):
            name = heapq.heappop(ready)
        else:
            name = roots.pop()
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
            task_name=cycle[0],
        )
    return tuple(order)


def chain_order(nodes: Mapping[str, Node]) -> tuple[str, ...] | None:
    """The order of ``nodes`` if they form a linear chain, the commonest shape, else ``None``.

    In a chain the first task is the only root and every other one takes values
    of the task declared just before it only: one task at a time is ready, so
    Kahn's order (``topological_order``) is the declaration order, and there is no
    cycle and no reference to an unknown task (issue 13.5: build cost).
    """
    previous: str | None = None
    for name, node in nodes.items():
        edges = node.edges
        if len(edges) == 1:
            if edges[0].source != previous:
                return None
        elif edges:
            if previous is None or any(edge.source != previous for edge in edges):
                return None
        elif previous is not None:
            return None
        previous = name
    return tuple(nodes)


def chain_successors(order: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """``successors(nodes)`` of the chain in ``order`` (``chain_order``): the next task."""
    following: dict[str, tuple[str, ...]] = {name: (after,) for name, after in pairwise(order)}
    if order:
        following[order[-1]] = ()
    return following
