"""``Workflow`` and ``WorkflowBuilder``: declare tasks and their wiring, validated at build."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, Self

from pydantic import BaseModel

from ._graph import Edge, Graph, Node, successors, topological_order
from ._rules import check_node, check_result, required_config_fields
from ._wiring import Dependency, Resolver, TaskRef, Wire, check_name, parse_dependency
from .errors import WorkflowDefinitionError
from .models import EmptyConfig
from .task import InT, OutT, Task, check_timeout, task_models

if TYPE_CHECKING:
    from ._plan import Plan
    from .job import JobConfiguration

__all__ = ["Workflow", "WorkflowBuilder"]


class _Declaration:
    """One ``add_task`` call, with its references still unresolved."""

    __slots__ = ("config_fields", "input_model", "name", "output_model", "task", "wires")

    def __init__(
        self,
        name: str,
        task: type[Task[Any, Any]],
        models: tuple[type[BaseModel], type[BaseModel]],
        wires: tuple[Wire, ...],
        config_fields: tuple[str, ...],
    ) -> None:
        self.name = name
        self.task = task
        self.input_model, self.output_model = models
        self.wires = wires
        self.config_fields = config_fields


class WorkflowBuilder(Generic[InT, OutT]):
    """Collects ``add_task`` calls; ``build()`` validates them into a ``Workflow``.

    References (classes or instance names) may point to tasks added later: they
    are resolved when ``build()`` runs, which checks every wiring rule.
    """

    def __init__(self, name: str, result_task: TaskRef | None = None) -> None:
        self.name = name
        self.result_task = result_task
        self._declarations: list[_Declaration] = []

    def add_task(
        self,
        task: type[Task[Any, Any]],
        *,
        name: str | None = None,
        depends_on: Dependency | None = None,
        config_fields: Sequence[str] | None = None,
    ) -> Self:
        """Add an instance of ``task`` (named ``name``, default ``task.name``).

        ``depends_on``: a task class or instance name (its whole output is the
        input), a ``(task, "field")`` route (one output field is the input), or a
        fan-in dict ``{"input_field": task or (task, "field"), ...}``.
        ``config_fields``: input fields whose values come from the job's
        JobConfiguration rather than from upstream tasks.
        """
        models = task_models(task)
        instance = check_name(task.name if name is None else name, self.name)
        try:
            check_timeout(task)  # again: it may have been set after the class was defined
        except WorkflowDefinitionError as error:
            raise error.at(instance) from None
        if isinstance(config_fields, str):
            raise WorkflowDefinitionError(
                f"Task '{instance}': config_fields must be a list of field names, "
                f"not the string {config_fields!r}"
            )
        fields = tuple(config_fields or ())
        for field in fields:
            if not isinstance(field, str):
                raise WorkflowDefinitionError(
                    f"Task '{instance}': config_fields entries must be strings, got {field!r}"
                )
        wires = parse_dependency(instance, depends_on)
        self._declarations.append(_Declaration(instance, task, models, wires, fields))
        return self

    def build(self) -> Workflow[InT, OutT]:
        """Resolve references and check every wiring rule; raises on the first violation."""
        return Workflow._from_graph(_compile(self.name, self._declarations, self.result_task))


def _compile(name: str, declarations: Sequence[_Declaration], result_task: TaskRef | None) -> Graph:
    if not declarations:
        raise WorkflowDefinitionError(f"Workflow '{name}' has no tasks")
    seen: set[str] = set()
    for declaration in declarations:  # W10
        if declaration.name in seen:
            raise WorkflowDefinitionError(
                f"Duplicate task name '{declaration.name}' in workflow '{name}'; "
                "give each instance its own name="
            ).at(declaration.name, ("name", None))
        seen.add(declaration.name)
    resolver = Resolver(name, ((d.name, d.task) for d in declarations))
    nodes: dict[str, Node] = {}
    for index, declaration in enumerate(declarations):  # W9
        nodes[declaration.name] = Node(
            name=declaration.name,
            task=declaration.task,
            input_model=declaration.input_model,
            output_model=declaration.output_model,
            config_fields=declaration.config_fields,
            edges=tuple(_resolve(resolver, wire, declaration.name) for wire in declaration.wires),
            index=index,
        )
    for node in nodes.values():  # W1-W8
        try:
            check_node(node, nodes)
        except WorkflowDefinitionError as error:
            raise error.at(node.name) from None
    following = successors(nodes)
    order = topological_order(name, nodes, following)  # W11
    if result_task is not None:
        try:
            result = resolver.resolve(result_task, "result_task")
        except WorkflowDefinitionError as error:
            raise error.at(None, ("result_task", None)) from None
    else:
        result = check_result(name, nodes, following)  # W12
    return Graph(name=name, nodes=nodes, result=result, order=order, successors=following)


def _resolve(resolver: Resolver, wire: Wire, task: str) -> Edge:
    try:
        source = resolver.resolve(wire.ref, f"Task '{task}'")
    except WorkflowDefinitionError as error:
        raise error.at(task, ("reference", wire.target_field)) from None
    return Edge(source, wire.source_field, wire.target_field)


class Workflow(Generic[InT, OutT]):
    """A validated graph of tasks; ``InT`` is the job config model, ``OutT`` the result.

    ``Workflow(name=..., tasks=[A, B, C])`` is a linear chain, each task taking
    the previous one's output; ``Workflow.builder(name=...)`` builds any DAG.
    """

    _graph: Graph

    def __init__(
        self: Workflow[Any, Any],
        name: str,
        tasks: Sequence[type[Task[Any, Any]]],
        result_task: TaskRef | None = None,
    ) -> None:
        builder: WorkflowBuilder[Any, Any] = WorkflowBuilder(name, result_task)
        taken: dict[str, int] = {}
        previous: str | None = None
        for task in tasks:
            instance = _unique(getattr(task, "name", repr(task)), taken)
            builder.add_task(task, name=instance, depends_on=previous)
            previous = instance
        self._graph = _compile(name, builder._declarations, result_task)

    @staticmethod
    def builder(name: str, result_task: TaskRef | None = None) -> WorkflowBuilder[Any, Any]:
        """Start a DAG workflow; chain ``add_task`` calls, then ``build()``."""
        return WorkflowBuilder(name, result_task)

    @classmethod
    def _from_graph(cls, graph: Graph) -> Self:
        workflow = cls.__new__(cls)
        workflow._graph = graph
        return workflow

    @property
    def name(self) -> str:
        return self._graph.name

    @property
    def result_task(self) -> str:
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

    def topological_order(self) -> list[str]:
        """Instance names in execution order (ties in declaration order)."""
        return list(self._graph.order)

    def to_mermaid(self, job_configuration: JobConfiguration | None = None) -> str:
        """A Mermaid flowchart of the workflow, edges labelled with the data types."""
        from ._mermaid import render

        return render(self._graph, job_configuration)

    @cached_property
    def _plan(self) -> Plan:
        from ._plan import compile_plan

        return compile_plan(self._graph)

    @cached_property
    def _required_config(self) -> dict[str, tuple[str, ...]]:
        nodes = self._graph.nodes
        return {
            name: fields
            for name, node in nodes.items()
            if (fields := required_config_fields(node, nodes))
        }

    def __repr__(self) -> str:
        return f"Workflow(name={self.name!r}, tasks={list(self._graph.nodes)!r})"


def _unique(name: str, taken: dict[str, int]) -> str:
    """Linear chains may repeat a task class: later instances get _2, _3, ...

    ``taken`` maps each name in use to the last suffix tried with it as a base,
    so a chain of n copies of one class costs O(n), not O(n^2).
    """
    if name not in taken:
        taken[name] = 1
        return name
    counter = taken[name]
    candidate = name
    while candidate in taken:
        counter += 1
        candidate = f"{name}_{counter}"
    taken[name] = counter
    taken[candidate] = 1
    return candidate
