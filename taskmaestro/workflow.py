"""``Workflow`` and ``WorkflowBuilder``: declare tasks and their wiring, validated at build."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any, Generic, Self
from weakref import WeakValueDictionary

from pydantic import BaseModel

from . import _contract as contract
from ._graph import (
    ConfigValues,
    Edge,
    Graph,
    NestedGraph,
    Node,
    nested_graph_of,
    successors,
    topological_order,
)
from ._mermaid import render
from ._plan import Plan, compile_plan
from ._rules import check_node, check_result, required_config_fields
from ._wiring import Dependency, Resolver, TaskRef, Wire, check_name, parse_dependency
from .exceptions import WorkflowDefinitionError
from .mapping import TaskMap
from .models import EmptyConfig
from .retry import Retry
from .task import InT, OutT, Task, check_task_settings, check_timeout, task_models

__all__ = ["DepValue", "StoredDeps", "Workflow", "WorkflowBuilder"]

type DepValue = str | tuple[str, str]
"""One stored dependency: an instance name (its whole output) or ``(name, "field")``."""

type StoredDeps = DepValue | dict[str, DepValue] | None
"""What ``Workflow.get_dependencies`` returns: none (a root), one value, or a fan-in dict."""


class _Declaration:
    """One ``add_task`` call, with its references still unresolved."""

    __slots__ = (
        "config_fields",
        "input_model",
        "mapping",
        "name",
        "nested",
        "output_model",
        "retry",
        "task",
        "wires",
    )

    def __init__(
        self,
        name: str,
        task: type[Task[Any, Any]],
        models: tuple[type[BaseModel], type[BaseModel]],
        wires: tuple[Wire, ...],
        config_fields: tuple[str, ...],
        mapping: TaskMap | None = None,
        retry: Retry | None = None,
    ) -> None:
        self.name = name
        self.task = task
        self.input_model, self.output_model = models
        self.wires = wires
        self.config_fields = config_fields
        self.nested: NestedGraph | None = nested_graph_of(task)  # the node kind, read once
        self.mapping = mapping
        self.retry = retry


class WorkflowBuilder(Generic[InT, OutT]):
    """Collects ``add_task`` calls; ``build()`` validates them into a ``Workflow``.

    ``add_task`` checks what it can at once, and registers nothing when it
    raises: the instance name (valid, not taken) and class references, which
    must denote a task added before under exactly one name. References by
    instance name may point to tasks added later: ``build()`` checks them, then
    cycles, then each task's wiring in registration order, then the result.
    """

    def __init__(self, name: str, *, result_task: TaskRef | None = None) -> None:
        self.name = name
        self.result_task = result_task
        self._declarations: list[_Declaration] = []
        self._names: set[str] = set()
        self._resolver = Resolver(name)
        self._by_class: list[tuple[str, type[Task[Any, Any]], str | None]] = []
        """(task, class referred to, fan-in key): rechecked at build (W9)."""

    def add_task(
        self,
        task: type[Task[Any, Any]],
        *,
        name: str | None = None,
        depends_on: Dependency | None = None,
        config_fields: Sequence[str] | None = None,
        mapped_over: TaskMap | None = None,
        retry: Retry | None = None,
    ) -> Self:
        """Add an instance of ``task`` (named ``name``, default ``task.name``).

        ``depends_on``: a task class or instance name (its whole output is the
        input), a ``(task, "field")`` route (one output field is the input), or a
        fan-in dict ``{"input_field": task or (task, "field"), ...}``.
        ``config_fields``: input fields whose values come from the job's
        JobConfiguration rather than from upstream tasks.
        ``mapped_over``: run the instance once per entry of a configured mapping
        (see ``TaskMap``).
        ``retry``: this instance's retry policy, replacing the one its class
        declares (``retries``, ``retry_delay_seconds``...) as a whole.
        """
        models = task_models(task)
        instance = check_name(task.name if name is None else name, self.name)
        if instance in self._names:  # W10
            raise WorkflowDefinitionError(
                contract.DUPLICATE_NAME.format(
                    name=instance, workflow=contract.describe_workflow(self.name)
                )
            ).at(instance, ("name", None))
        if task.timeout_seconds is not None:  # again: it may have been set after the class
            try:
                check_timeout(task)
            except WorkflowDefinitionError as error:
                raise error.at(instance) from None
        fields = () if config_fields is None else self._config_fields(instance, config_fields)
        wires: tuple[Wire, ...] = ()
        if isinstance(depends_on, str):  # the commonest spelling: an instance name, as it is
            wires = (Wire(depends_on, None, None),)
        elif depends_on is not None:
            parsed = parse_dependency(instance, depends_on)
            wires = tuple(self._by_name(wire, instance) for wire in parsed)
            self._by_class.extend(
                (instance, wire.ref, wire.target_field)
                for wire in parsed
                if isinstance(wire.ref, type)
            )
        if mapped_over is not None and not isinstance(mapped_over, TaskMap):
            raise WorkflowDefinitionError(
                f"Task '{instance}': mapped_over must be a TaskMap, got {mapped_over!r}"
            ).at(instance)
        self._check_settings(instance, task, retry)
        self._declarations.append(
            _Declaration(instance, task, models, wires, fields, mapped_over, retry)
        )
        self._names.add(instance)
        self._resolver.add(instance, task)
        return self

    @staticmethod
    def _check_settings(instance: str, task: type[Task[Any, Any]], retry: object) -> None:
        """The class's retry and cache attributes (set after the class, maybe), and ``retry``."""
        try:
            check_task_settings(task)
        except WorkflowDefinitionError as error:
            raise error.at(instance) from None
        if retry is not None and not isinstance(retry, Retry):
            raise WorkflowDefinitionError(
                f"Task '{instance}': retry must be a Retry, got {retry!r}"
            ).at(instance)

    @staticmethod
    def _config_fields(task: str, config_fields: Sequence[str]) -> tuple[str, ...]:
        """W7's shape: ``config_fields`` is a list of strings."""
        if isinstance(config_fields, str):
            raise WorkflowDefinitionError(
                contract.CONFIG_FIELDS_NOT_A_LIST.format(task=task, value=config_fields)
            )
        fields = tuple(config_fields)
        for field in fields:
            if not isinstance(field, str):
                raise WorkflowDefinitionError(
                    contract.CONFIG_FIELD_NOT_A_STRING.format(task=task, value=field)
                )
        return fields

    def _by_name(self, wire: Wire, task: str) -> Wire:
        """W9: a class reference becomes the instance name registered for that class."""
        if isinstance(wire.ref, str):
            return wire
        try:
            source = self._resolver.resolve_class(wire.ref, f"task '{task}'")
        except WorkflowDefinitionError as error:
            raise error.at(task, ("reference", wire.target_field)) from None
        return Wire(source, wire.source_field, wire.target_field)

    def build(self) -> Workflow[InT, OutT]:
        """Check every wiring rule and return the workflow; raises on the first violation."""
        for task, cls, key in self._by_class:  # W9: registered again since: ambiguous
            try:
                self._resolver.resolve_class(cls, f"task '{task}'")
            except WorkflowDefinitionError as error:
                raise error.at(task, ("reference", key)) from None
        result: str | None = None
        if self.result_task is not None and not isinstance(self.result_task, str):
            try:
                result = self._resolver.resolve_class(self.result_task, "result_task")
            except WorkflowDefinitionError as error:
                raise error.at(None, ("result_task", None)) from None
        elif self.result_task is not None:
            result = self.result_task
        return Workflow.from_graph(_compile(self.name, self._declarations, result))


def _compile(name: str, declarations: Sequence[_Declaration], result_task: str | None) -> Graph:
    """References (W9), cycles (W11), each task in registration order (W1-W8), result (W12)."""
    described = contract.describe_workflow(name)
    if not declarations:
        raise WorkflowDefinitionError(contract.NO_TASKS.format(workflow=described))
    names = {declaration.name for declaration in declarations}
    nodes: dict[str, Node] = {}
    for index, declaration in enumerate(declarations):
        for wire in declaration.wires:
            if wire.ref not in names:
                raise WorkflowDefinitionError(
                    contract.NOT_REGISTERED.format(
                        task=declaration.name, ref=wire.ref, workflow=described
                    )
                ).at(declaration.name, ("reference", wire.target_field))
        edges = [Edge(str(w.ref), w.source_field, w.target_field) for w in declaration.wires]
        nodes[declaration.name] = Node(  # positional: a build makes one per task
            declaration.name,
            declaration.task,
            declaration.input_model,
            declaration.output_model,
            declaration.config_fields,
            tuple(edges),
            index,
            declaration.nested,
            declaration.mapping,
            declaration.retry,
        )
    following = successors(nodes)
    order = topological_order(name, nodes, following)  # W11
    for node in nodes.values():  # W1-W8
        try:
            check_node(node, nodes)
        except WorkflowDefinitionError as error:
            raise error.at(node.name) from None
    if result_task is None:
        result = check_result(name, nodes, following)  # W12
    elif result_task in nodes:
        result = result_task
    else:
        raise WorkflowDefinitionError(
            contract.RESULT_NOT_FOUND.format(ref=result_task, workflow=described)
        ).at(None, ("result_task", None))
    return Graph(name=name, nodes=nodes, result=result, order=order, successors=following)


class Workflow(Generic[InT, OutT]):
    """A validated graph of tasks; ``InT`` is the job config model, ``OutT`` the result.

    ``Workflow(name, tasks=[A, B, C])`` is a linear chain, each task taking the
    previous one's output (a class listed twice gets the names ``a``, ``a_2``);
    ``Workflow.builder(name)`` builds any DAG. A workflow is validated when it
    is made, so there is no empty or half-checked workflow: ``tasks`` must list
    at least one task.
    """

    _graph: Graph

    def __init__(
        self: Workflow[Any, Any],
        name: str,
        tasks: Sequence[type[Task[Any, Any]]] | None = None,
        *,
        result_task: TaskRef | None = None,
    ) -> None:
        builder: WorkflowBuilder[Any, Any] = WorkflowBuilder(name, result_task=result_task)
        taken: dict[str, int] = {}
        previous: str | None = None
        for task in tasks or ():
            instance = contract.unique_name(getattr(task, "name", repr(task)), taken)
            builder.add_task(task, name=instance, depends_on=previous)
            previous = instance
        self._graph = builder.build()._graph
        _WORKFLOWS[id(self._graph)] = self

    @staticmethod
    def builder(name: str, *, result_task: TaskRef | None = None) -> WorkflowBuilder[Any, Any]:
        """Start a DAG workflow; chain ``add_task`` calls, then ``build()``."""
        return WorkflowBuilder(name, result_task=result_task)

    @classmethod
    def from_graph(cls, graph: Graph) -> Workflow[Any, Any]:
        """The workflow of a validated ``graph`` (the same object while one is alive).

        The execution core uses it to run the inner graph of a nested-workflow
        node; being one object per graph, its plan is compiled once.
        """
        found = _WORKFLOWS.get(id(graph))
        if found is not None and found._graph is graph:
            return found
        workflow: Workflow[Any, Any] = cls.__new__(cls)
        workflow._graph = graph
        _WORKFLOWS[id(graph)] = workflow
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
            if not root.config_fields:
                return root.input_model
        return EmptyConfig

    @property
    def output_model(self) -> type[BaseModel]:
        """The result task's output model."""
        return self._graph.nodes[self._graph.result].output_model

    def topological_order(self) -> list[tuple[str, type[Task[Any, Any]]]]:
        """``(instance name, task class)`` in execution order (Kahn; ties alphabetical)."""
        nodes = self._graph.nodes
        return [(name, nodes[name].task) for name in self._graph.order]

    def get_dependencies(self, task_name: str) -> StoredDeps:
        """What ``task_name`` depends on, by instance name; ``KeyError`` if no such task.

        ``None`` (a root), ``"up"`` (a whole output), ``("up", "field")`` (a
        routed field) or a fan-in dict ``{"input_field": "up" or ("up", "field")}``.
        """
        node = self._graph.nodes[task_name]
        if not node.edges:
            return None
        if node.fans_in:
            return {edge.target_field or "": _stored(edge) for edge in node.edges}
        return _stored(node.edges[0])

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


_WORKFLOWS: WeakValueDictionary[int, Workflow[Any, Any]] = WeakValueDictionary()
"""The workflow of each live graph, by ``id(graph)``: a workflow keeps its graph alive,
so an id is never reused while its entry exists."""


def _stored(edge: Edge) -> DepValue:
    return edge.source if edge.source_field is None else (edge.source, edge.source_field)
