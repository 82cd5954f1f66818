"""``Workflow`` and ``WorkflowBuilder``: declare tasks and their wiring, validated at build."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, Self, cast, overload
from weakref import WeakValueDictionary

from pydantic import BaseModel
from typing_extensions import TypeVar

from . import _contract as contract
from ._graph import (
    ConfigValues,
    Edge,
    Graph,
    NestedGraph,
    Node,
    effective_output,
    nested_graph_of,
    successors,
    topological_order,
)
from ._mermaid import render
from ._plan import Plan, compile_plan
from ._rules import check_node, check_result, required_config_fields, unwrap_mapped
from ._wiring import (
    Dependency,
    DependencyValue,
    Owner,
    Parsed,
    Resolver,
    TaskRef,
    TaskReference,
    Wire,
    check_name,
    parse_dependency,
    parse_result,
)
from .dependencies import CollectionKind, CollectionRef, OutputHandle, OutputRef, TaskHandle
from .exceptions import WorkflowDefinitionError
from .mapping import ErrorMode, MappedOutput, TaskMap
from .models import EmptyConfig
from .task import InT, OutT, Task, check_timeout, task_models

if TYPE_CHECKING:
    from .context import ExecutionContext
    from .job import Job, JobConfiguration

__all__ = ["DepValue", "StoredDeps", "Workflow", "WorkflowBuilder"]

TaskInT = TypeVar("TaskInT", bound=BaseModel)
TaskOutT = TypeVar("TaskOutT", bound=BaseModel)
ResultT = TypeVar("ResultT", bound=BaseModel)

type DepValue = str | tuple[str, str]
"""One stored dependency: an instance name (its whole output) or ``(name, "field")``."""

type StoredDeps = DepValue | dict[str, DepValue | CollectionRef] | None
"""What ``Workflow.get_dependencies`` returns: none (a root), one value, or a fan-in dict
(a collected field as a ``CollectionRef``)."""

type WholeOrNamed = (
    type[Task[Any, Any]]
    | str
    | tuple[TaskRef, str]
    | tuple[TaskHandle[Any], str]
    | OutputHandle[Any]
    | Mapping[str, DependencyValue]
)
"""Every ``depends_on`` spelling but a task handle, which ``task()`` types precisely."""


class _Declaration:
    """One ``add_task`` call, with its references still unresolved."""

    __slots__ = (
        "collections",
        "config_fields",
        "input_model",
        "mapping",
        "name",
        "nested",
        "output_model",
        "task",
        "wires",
    )

    def __init__(
        self,
        name: str,
        task: type[Task[Any, Any]],
        models: tuple[type[BaseModel], type[BaseModel]],
        parsed: Parsed,
        config_fields: tuple[str, ...],
        mapping: TaskMap | None = None,
    ) -> None:
        self.name = name
        self.task = task
        self.input_model, self.output_model = models
        self.wires = parsed.wires
        self.collections: tuple[tuple[str, CollectionKind], ...] = parsed.collections
        self.config_fields = config_fields
        self.nested: NestedGraph | None = nested_graph_of(task)  # the node kind, read once
        self.mapping = mapping


class WorkflowBuilder(Generic[InT, OutT]):
    """Collects ``add_task`` calls; ``build()`` validates them into a ``Workflow``.

    ``add_task`` checks what it can at once, and registers nothing when it
    raises: the instance name (valid, not taken) and class references, which
    must denote a task added before under exactly one name. References by
    instance name may point to tasks added later: ``build()`` checks them, then
    cycles, then each task's wiring in registration order, then the result.
    """

    def __init__(self, name: str, *, result_task: TaskReference | None = None) -> None:
        self.name = name
        self.result_task: TaskReference | None = result_task
        self._declarations: list[_Declaration] = []
        self._names: set[str] = set()
        self._owner = Owner(object(), self._names)
        """The token of this builder's handles, and the names they may stand for."""
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
    ) -> Self:
        """Add an instance of ``task`` (named ``name``, default ``task.name``).

        ``depends_on``: a task class, instance name or handle (its whole output is
        the input), a ``(task, "field")`` route or an output handle (one output
        field is the input), or a fan-in dict ``{"input_field": output or
        collect(...), ...}``. ``config_fields``: input fields whose values come
        from the job's JobConfiguration rather than from upstream tasks.
        ``mapped_over``: run the instance once per entry of a configured mapping
        (see ``TaskMap``).
        """
        self._register(task, name, depends_on, config_fields, mapped_over)
        return self

    @overload
    def task(
        self,
        task: type[Task[TaskInT, TaskOutT]],
        *,
        name: str | None = None,
        depends_on: TaskHandle[TaskInT] | WholeOrNamed | None = None,
        config_fields: None = None,
        mapped_over: None = None,
        **input_dependencies: DependencyValue,
    ) -> TaskHandle[TaskOutT]: ...
    @overload
    def task(
        self,
        task: type[Task[Any, TaskOutT]],
        *,
        name: str | None = None,
        depends_on: Dependency | None = None,
        config_fields: Sequence[str],
        mapped_over: None = None,
        **input_dependencies: DependencyValue,
    ) -> TaskHandle[TaskOutT]: ...
    @overload
    def task(
        self,
        task: type[Task[Any, TaskOutT]],
        *,
        name: str | None = None,
        depends_on: Dependency | None = None,
        config_fields: Sequence[str] | None = None,
        mapped_over: TaskMap,
        **input_dependencies: DependencyValue,
    ) -> TaskHandle[MappedOutput[TaskOutT]]: ...
    def task(
        self,
        task: type[Task[Any, Any]],
        *,
        name: str | None = None,
        depends_on: Dependency | None = None,
        config_fields: Sequence[str] | None = None,
        mapped_over: TaskMap | None = None,
        **input_dependencies: DependencyValue,
    ) -> TaskHandle[Any]:
        """Add an instance as ``add_task`` does, and return its handle.

        Each extra keyword names an input field and gives its value (an output
        or a ``collect(...)``), like a fan-in dict in keyword order; fields
        spelled like this method's parameters must go through ``depends_on``.
        """
        if input_dependencies:
            instance = task.name if name is None else name
            if depends_on is not None:
                raise WorkflowDefinitionError(
                    contract.KEYWORDS_AND_DEPENDS_ON.format(task=instance)
                ).at(instance if isinstance(instance, str) else None)
            depends_on = input_dependencies
        declaration = self._register(task, name, depends_on, config_fields, mapped_over)
        output = effective_output(declaration.output_model, declaration.mapping)
        return TaskHandle(declaration.name, output, self._owner.token)

    def map_task(
        self,
        task: type[Task[Any, TaskOutT]],
        *,
        over: str,
        key_as: str,
        value_as: str,
        error_mode: ErrorMode = "fail_fast",
        name: str | None = None,
        depends_on: Dependency | None = None,
        config_fields: Sequence[str] | None = None,
        **input_dependencies: DependencyValue,
    ) -> TaskHandle[MappedOutput[TaskOutT]]:
        """``task(...)`` mapped over the configured mapping ``over``: one run per entry,
        its key in input field ``key_as`` and its value in ``value_as``."""
        try:
            mapping = TaskMap(over, key_as, value_as, error_mode)
        except ValueError as error:
            instance = task.name if name is None else name
            raise WorkflowDefinitionError(f"Task '{instance}': {error}").at(
                instance if isinstance(instance, str) else None
            ) from None
        return self.task(
            task,
            name=name,
            depends_on=depends_on,
            config_fields=config_fields,
            mapped_over=mapping,
            **input_dependencies,
        )

    @overload
    def set_result_task(self, task: TaskHandle[ResultT]) -> WorkflowBuilder[InT, ResultT]: ...
    @overload
    def set_result_task(self, task: type[Task[Any, ResultT]]) -> WorkflowBuilder[InT, ResultT]: ...
    @overload
    def set_result_task(self, task: str) -> Self: ...
    def set_result_task(self, task: TaskReference) -> WorkflowBuilder[InT, Any]:
        """Make ``task`` the workflow's result (instead of any ``result_task`` given before);
        it is resolved at ``build()``."""
        self.result_task = task
        return self

    def _register(
        self,
        task: type[Task[Any, Any]],
        name: str | None,
        depends_on: object,
        config_fields: Sequence[str] | None,
        mapped_over: object,
    ) -> _Declaration:
        """Check one instance, then register it; nothing is registered when this raises."""
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
        parsed = raw = Parsed()
        if isinstance(depends_on, str):  # the commonest spelling: an instance name, as it is
            parsed = Parsed((Wire(depends_on, None, None),))
        elif depends_on is not None:
            try:
                raw = parse_dependency(instance, depends_on, self._owner)
            except WorkflowDefinitionError as error:
                raise error.at(instance) from None
            wires = tuple(self._by_name(wire, instance) for wire in raw.wires)
            parsed = Parsed(wires, raw.collections)
        if mapped_over is not None and not isinstance(mapped_over, TaskMap):
            raise WorkflowDefinitionError(
                contract.MAPPED_OVER_KIND.format(task=instance, value=mapped_over)
            ).at(instance)
        self._by_class.extend(
            (instance, wire.ref, wire.target_field)
            for wire in raw.wires
            if isinstance(wire.ref, type)
        )
        declaration = _Declaration(instance, task, models, parsed, fields, mapped_over)
        self._declarations.append(declaration)
        self._names.add(instance)
        self._resolver.add(instance, task)
        return declaration

    @staticmethod
    def _config_fields(task: str, config_fields: Sequence[str]) -> tuple[str, ...]:
        """W7's shape: ``config_fields`` is a list of strings."""
        if isinstance(config_fields, str):
            raise WorkflowDefinitionError(
                contract.CONFIG_FIELDS_NOT_A_LIST.format(task=task, value=config_fields)
            )
        if not isinstance(config_fields, Iterable) or isinstance(config_fields, Mapping):
            raise WorkflowDefinitionError(
                contract.CONFIG_FIELDS_KIND.format(task=task, value=config_fields)
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
        return Wire(source, wire.source_field, wire.target_field, wire.member)

    def build(self) -> Workflow[InT, OutT]:
        """Check every wiring rule and return the workflow; raises on the first violation.

        Each call returns a new workflow: later builder calls never change it.
        """
        for task, cls, key in self._by_class:  # W9: registered again since: ambiguous
            try:
                self._resolver.resolve_class(cls, f"task '{task}'")
            except WorkflowDefinitionError as error:
                raise error.at(task, ("reference", key)) from None
        try:
            reference = parse_result(self.result_task, self._owner)
            result: str | None = None
            if isinstance(reference, type):
                result = self._resolver.resolve_class(reference, "result_task")
            else:
                result = reference
        except WorkflowDefinitionError as error:
            raise error.at(None, ("result_task", None)) from None
        graph = _compile(self.name, tuple(self._declarations), result)
        return cast("Workflow[InT, OutT]", Workflow.from_graph(graph))


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
        edges = [
            Edge(str(w.ref), w.source_field, w.target_field, w.member) for w in declaration.wires
        ]
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
            declaration.collections,
        )
    following = successors(nodes)
    order = topological_order(name, nodes, following)  # W11
    for node in tuple(nodes.values()):  # a mapped upstream into a dict[str, O] field
        nodes[node.name] = unwrap_mapped(node, nodes)
    for node in nodes.values():  # mapped-task rules, W1-W8
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
    def builder(
        name: str, *, result_task: TaskReference | None = None
    ) -> WorkflowBuilder[Any, Any]:
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

    def run(
        self,
        input: InT,
        *,
        task_config: JobConfiguration | Mapping[str, Mapping[str, object]] | None = None,
        hooks: Sequence[object] | None = None,
        ctx: ExecutionContext | None = None,
        timeout_seconds: float | None = None,
        executor: Executor | None = None,
    ) -> Job[InT, OutT]:
        """Run the workflow once on ``input`` and return the finished job (read ``.result``).

        ``task_config`` holds the configured values (a dict is wrapped in a
        JobConfiguration); job checks raise ``WorkflowDefinitionError`` here,
        task failures are recorded on the job, as with ``Runner.run``.
        """
        # The job and runner layers sit above this one: the two methods that use
        # them import them here (pyproject's import contract lists these edges).
        from .job import Job, JobConfiguration
        from .runner import Runner

        values = task_config
        if values is not None and not isinstance(values, JobConfiguration):
            values = JobConfiguration(values)
        job = Job(self, input, job_configuration=values)
        return Runner(hooks=hooks, executor=executor).run(
            job, ctx=ctx, timeout_seconds=timeout_seconds
        )

    def as_task(
        self,
        *,
        name: str | None = None,
        job_configuration: JobConfiguration | None = None,
    ) -> type[Task[InT, OutT]]:
        """This workflow as one task of another (``workflow_task(self, ...)``); the inner
        job's configuration checks run now, not when the outer job runs."""
        from .workflow_task import workflow_task

        return workflow_task(self, name=name, job_configuration=job_configuration)

    def __repr__(self) -> str:
        return f"Workflow(name={self.name!r}, tasks={list(self._graph.nodes)!r})"


_WORKFLOWS: WeakValueDictionary[int, Workflow[Any, Any]] = WeakValueDictionary()
"""The workflow of each live graph, by ``id(graph)``: a workflow keeps its graph alive,
so an id is never reused while its entry exists."""


def _stored(edge: Edge) -> DepValue:
    return edge.source if edge.source_field is None else (edge.source, edge.source_field)


def _collection(kind: CollectionKind, members: Sequence[Edge]) -> CollectionRef:
    refs = [(edge.member, OutputRef(edge.source, edge.source_field)) for edge in members]
    if kind == "keyed":
        return CollectionRef(kind, keyed_members=tuple((str(key), ref) for key, ref in refs))
    return CollectionRef(kind, positional_members=tuple(ref for _, ref in refs))
