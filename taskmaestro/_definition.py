"""``WorkflowDefinition``: a validated graph of tasks and every query on it.

``Workflow`` (``workflow.py``) is this plus the ways to make one, ``run`` and
``as_task``: it sits above the job, runner and nested-workflow layers it uses,
which only read a definition, so every layer imports downward.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any, Generic, Self
from weakref import WeakValueDictionary

from pydantic import BaseModel

from ._graph import ConfigValues, Edge, Graph
from ._mermaid import render
from ._plan import Plan, compile_plan
from ._rules import required_config_fields
from .dependencies import CollectionKind, CollectionRef, OutputRef
from .mapping import TaskMap
from .models import EmptyConfig
from .task import InT, OutT, Task

__all__ = ["WORKFLOWS", "DepValue", "StoredDeps", "WorkflowDefinition"]

type DepValue = str | tuple[str, str]
"""One stored dependency: an instance name (its whole output) or ``(name, "field")``."""

type StoredDeps = DepValue | dict[str, DepValue | CollectionRef] | None
"""What ``Workflow.get_dependencies`` returns: none (a root), one value, or a fan-in dict
(a collected field as a ``CollectionRef``)."""


class WorkflowDefinition(Generic[InT, OutT]):
    """A validated graph of tasks and its queries; ``InT`` is the job config model,
    ``OutT`` the result. Every ``Workflow`` is one; the layers below ``workflow.py``
    (jobs, the execution core) take this type since they only read the graph.
    """

    _graph: Graph

    @classmethod
    def from_graph(cls, graph: Graph) -> Self:
        """The workflow of a validated ``graph`` (the same object while one is alive).

        The execution core uses it to run the inner graph of a nested-workflow
        node; being one object per graph, its plan is compiled once. Called on
        ``Workflow``, it returns a ``Workflow``.
        """
        found = WORKFLOWS.get(id(graph))
        if found is not None and found._graph is graph and isinstance(found, cls):
            return found
        workflow = cls.__new__(cls)
        workflow._graph = graph
        WORKFLOWS[id(graph)] = workflow
        return workflow

    @property
    def name(self) -> str:
        return self._graph.name

    @property
    def graph(self) -> Graph:
        """The validated graph (read-only): nodes, edges, order and result, by instance name."""
        return self._graph

    @property
    def result_task(self) -> type[Task[Any, Any]]:
        """The class of the task whose output is the job's result."""
        return self._graph.nodes[self._graph.result].task

    @property
    def result_task_name(self) -> str:
        """The instance name of the task whose output is the job's result."""
        return self._graph.result

    @property
    def task_names(self) -> tuple[str, ...]:
        """Instance names in declaration order."""
        return tuple(self._graph.nodes)

    @cached_property
    def input_model(self) -> type[BaseModel]:
        """The job config model: the first unconfigured root's input, else EmptyConfig."""
        for root in self._graph.roots:
            if root.is_input_root:
                return root.input_model
        return EmptyConfig

    @property
    def output_model(self) -> type[BaseModel]:
        """The result task's effective output model (``MappedOutput[O]`` when mapped)."""
        return self._graph.nodes[self._graph.result].effective_output

    @cached_property
    def mapped_task_names(self) -> tuple[str, ...]:
        """The mapped instances, in declaration order."""
        return tuple(name for name, node in self._graph.nodes.items() if node.mapping)

    def input_root_names(self) -> tuple[str, ...]:
        """The roots that take the job's config (no ``config_fields``, not mapped)."""
        return tuple(root.name for root in self._graph.roots if root.is_input_root)

    def get_task_map(self, name: str) -> TaskMap | None:
        """The ``TaskMap`` of instance ``name`` if it is mapped; ``KeyError`` if no such task."""
        return self._graph.nodes[name].mapping

    def is_mapped_task(self, name: str) -> bool:
        """Whether instance ``name`` runs once per item; ``KeyError`` if no such task."""
        return self._graph.nodes[name].mapping is not None

    def get_output_annotation(self, name: str) -> type[BaseModel]:
        """What instance ``name`` hands downstream: its output or ``MappedOutput[O]``."""
        return self._graph.nodes[name].effective_output

    def topological_order(self) -> list[tuple[str, type[Task[Any, Any]]]]:
        """``(instance name, task class)`` in execution order (Kahn; ties alphabetical)."""
        nodes = self._graph.nodes
        return [(name, nodes[name].task) for name in self._graph.order]

    def get_dependencies(self, task_name: str) -> StoredDeps:
        """What ``task_name`` depends on, by instance name; ``KeyError`` if no such task.

        ``None`` (a root), ``"up"`` (a whole output), ``("up", "field")`` (a
        routed field) or a fan-in dict ``{"input_field": "up" or ("up", "field")}``
        where a collected field is a ``CollectionRef``.
        """
        node = self._graph.nodes[task_name]
        if node.is_root:
            return None
        if not node.fans_in:
            return _stored(node.edges[0])
        kinds = dict(node.collections)
        found: dict[str, DepValue | CollectionRef] = {}
        for edge in node.edges:
            field = edge.target_field or ""
            if field not in kinds:
                found[field] = _stored(edge)
            elif field not in found:
                found[field] = _collection(kinds[field], node.collected(field))
        for field, kind in node.collections:  # empty ones have no edges
            found.setdefault(field, _collection(kind, ()))
        return found

    def get_config_fields(self, task_name: str) -> set[str]:
        """The ``config_fields`` of ``task_name`` (empty if none or no such task)."""
        node = self._graph.nodes.get(task_name)
        return set(node.config_fields) if node is not None else set()

    def to_mermaid(self, *, job_configuration: ConfigValues | None = None) -> str:
        """A Mermaid flowchart of the workflow, edges labelled with the data types.

        With a ``job_configuration``, configured tasks also get dashed edges
        from a JobConfiguration node.
        """
        return render(self._graph, job_configuration)

    @cached_property
    def plan(self) -> Plan:
        """The execution plan (steps in order, input assembly), compiled on first use."""
        return compile_plan(self._graph)

    @cached_property
    def required_config(self) -> dict[str, tuple[str, ...]]:
        """The input fields each task must get from a JobConfiguration, by task name."""
        nodes = self._graph.nodes
        return {
            name: fields
            for name, node in nodes.items()
            if (fields := required_config_fields(node, nodes))
        }

    def __repr__(self) -> str:
        return f"Workflow(name={self.name!r}, tasks={list(self._graph.nodes)!r})"


WORKFLOWS: WeakValueDictionary[int, WorkflowDefinition[Any, Any]] = WeakValueDictionary()
"""The workflow of each live graph, by ``id(graph)``: a workflow keeps its graph alive,
so an id is never reused while its entry exists."""


def _stored(edge: Edge) -> DepValue:
    return edge.source if edge.source_field is None else (edge.source, edge.source_field)


def _collection(kind: CollectionKind, members: Sequence[Edge]) -> CollectionRef:
    refs = [(edge.member, OutputRef(edge.source, edge.source_field)) for edge in members]
    if kind == "keyed":
        return CollectionRef(kind, keyed_members=tuple((str(key), ref) for key, ref in refs))
    return CollectionRef(kind, positional_members=tuple(ref for _, ref in refs))
