"""``Workflow`` and ``WorkflowBuilder``: declare tasks and their wiring, validated at build.

The queries live on ``WorkflowDefinition`` (``_definition.py``), low in the layers;
``Workflow`` adds ``run`` and ``as_task``, so this module sits above the job, runner
and nested-workflow layers they use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any, Generic, Self, cast, overload

from pydantic import BaseModel
from typing_extensions import TypeVar

from . import _contract as contract
from ._definition import WORKFLOWS, DepValue, StoredDeps, WorkflowDefinition
from ._graph import (
    Edge,
    Graph,
    NestedGraph,
    Node,
    effective_output,
    nested_graph_of,
    successors,
    topological_order,
)
from ._rules import check_node, check_result, unwrap_mapped
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
from .dependencies import CollectionKind, OutputHandle, TaskHandle
from .exceptions import WorkflowDefinitionError
from .job import Job, JobConfiguration
from .mapping import ErrorMode, MappedOutput, TaskMap
from .retry import Retry
from .runner import Runner
from .task import InT, OutT, Task, check_task_settings, check_timeout, task_models
from .workflow_task import workflow_task

if TYPE_CHECKING:
    from .context import ExecutionContext

__all__ = ["DepValue", "StoredDeps", "Workflow", "WorkflowBuilder"]

TaskInT = TypeVar("TaskInT", bound=BaseModel)
TaskOutT = TypeVar("TaskOutT", bound=BaseModel)
ResultT = TypeVar("ResultT", bound=BaseModel)

type WholeOrNamed = (
    type[Task[Any, Any]]
    | str
    | tuple[TaskRef, str]
    | tuple[TaskHandle[Any], str]
    | OutputHandle[Any]
    | Mapping[str, DependencyValue]
)
"""Every ``depends_on`` spelling but a task handle, which ``task()`` types precisely."""


_NO_DEPENDENCY = Parsed()
"""What ``depends_on=None`` (a root) and a plain instance name parse to: no wires to resolve."""


class _Declaration:
    """One ``add_task`` call: its edges name instances (class references resolved),
    which ``build()`` checks exist."""

    __slots__ = (
        "collections",
        "config_fields",
        "edges",
        "input_model",
        "mapping",
        "name",
        "nested",
        "output_model",
        "retry",
        "task",
    )

    def __init__(
        self,
        name: str,
        task: type[Task[Any, Any]],
        models: tuple[type[BaseModel], type[BaseModel]],
        edges: tuple[Edge, ...],
        collections: tuple[tuple[str, CollectionKind], ...],
        config_fields: tuple[str, ...],
        mapping: TaskMap | None = None,
        retry: Retry | None = None,
    ) -> None:
        self.name = name
        self.task = task
        self.input_model, self.output_model = models
        self.edges = edges
        self.collections = collections
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
        retry: Retry | None = None,
    ) -> Self:
        """Add an instance of ``task`` (named ``name``, default ``task.name``).

        ``depends_on``: a task class, instance name or handle (its whole output is
        the input), a ``(task, "field")`` route or an output handle (one output
        field is the input), or a fan-in dict ``{"input_field": output or
        collect(...), ...}``. ``config_fields``: input fields whose values come
        from the job's JobConfiguration rather than from upstream tasks.
        ``mapped_over``: run the instance once per entry of a configured mapping
        (see ``TaskMap``).
        ``retry``: this instance's retry policy, replacing the one its class
        declares (``retries``, ``retry_delay_seconds``...) as a whole.
        """
        self._register(task, name, depends_on, config_fields, mapped_over, retry)
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
        retry: Retry | None = None,
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
        raw = _NO_DEPENDENCY
        edges: tuple[Edge, ...] = ()
        if isinstance(depends_on, str):  # the commonest spelling: an instance name, as it is
            edges = (Edge(depends_on),)
        elif depends_on is not None:
            try:
                raw = parse_dependency(instance, depends_on, self._owner)
            except WorkflowDefinitionError as error:
                raise error.at(instance) from None
            edges = tuple(self._by_name(wire, instance) for wire in raw.wires)
        if mapped_over is not None and not isinstance(mapped_over, TaskMap):
            raise WorkflowDefinitionError(
                contract.MAPPED_OVER_KIND.format(task=instance, value=mapped_over)
            ).at(instance)
        self._check_settings(instance, task, retry)
        if raw.wires:
            self._by_class.extend(
                (instance, wire.ref, wire.target_field)
                for wire in raw.wires
                if isinstance(wire.ref, type)
            )
        declaration = _Declaration(
            instance, task, models, edges, raw.collections, fields, mapped_over, retry
        )
        self._declarations.append(declaration)
        self._names.add(instance)
        self._resolver.add(instance, task)
        return declaration

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

    def _by_name(self, wire: Wire, task: str) -> Edge:
        """W9: a class reference becomes the instance name registered for that class;
        the wire becomes the graph's edge (once: ``build()`` only checks the name)."""
        if isinstance(wire.ref, str):
            return Edge(wire.ref, wire.source_field, wire.target_field, wire.member)
        try:
            source = self._resolver.resolve_class(wire.ref, f"task '{task}'")
        except WorkflowDefinitionError as error:
            raise error.at(task, ("reference", wire.target_field)) from None
        return Edge(source, wire.source_field, wire.target_field, wire.member)

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
                result = self._resolver.resolve_class(
                    reference, "result_task", missing=contract.RESULT_NOT_FOUND
                )
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
        for edge in declaration.edges:
            if edge.source not in names:
                raise WorkflowDefinitionError(
                    contract.NOT_REGISTERED.format(
                        task=declaration.name, ref=edge.source, workflow=described
                    )
                ).at(declaration.name, ("reference", edge.target_field))
        nodes[declaration.name] = Node(  # positional: a build makes one per task
            declaration.name,
            declaration.task,
            declaration.input_model,
            declaration.output_model,
            declaration.config_fields,
            declaration.edges,
            index,
            declaration.nested,
            declaration.mapping,
            declaration.collections,
            declaration.retry,
        )
    following = successors(nodes)
    order = topological_order(name, nodes, following)  # W11
    if any(declaration.mapping is not None for declaration in declarations):
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


class Workflow(WorkflowDefinition[InT, OutT]):
    """A validated graph of tasks; ``InT`` is the job config model, ``OutT`` the result.

    ``Workflow(name, tasks=[A, B, C])`` is a linear chain, each task taking the
    previous one's output (a class listed twice gets the names ``a``, ``a_2``);
    ``Workflow.builder(name)`` builds any DAG. A workflow is validated when it
    is made, so there is no empty or half-checked workflow: ``tasks`` must list
    at least one task.
    """

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
        WORKFLOWS[id(self._graph)] = self

    @staticmethod
    def builder(
        name: str, *, result_task: TaskReference | None = None
    ) -> WorkflowBuilder[Any, Any]:
        """Start a DAG workflow; chain ``add_task`` calls, then ``build()``."""
        return WorkflowBuilder(name, result_task=result_task)

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
        return workflow_task(self, name=name, job_configuration=job_configuration)
