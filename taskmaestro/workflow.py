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
    chain_order,
    chain_successors,
    effective_output,
    nested_graph_of,
    successors,
    topological_order,
)
from ._rules import check_nodes, check_result, unwrap_mapped
from ._wiring import (
    Dependency,
    DependencyValue,
    Owner,
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


type _Facts = tuple[type[BaseModel], type[BaseModel], NestedGraph | None]
"""A task class's input and output models and the workflow it wraps, if any."""

_FACTS: dict[type, _Facts] = {}
"""``_facts`` per class: fixed when the class is made, and a program adds the same few
classes again and again (issue 13.5: build cost)."""
_FACTS_LIMIT = 4096


def _facts(task: type[Task[Any, Any]]) -> _Facts:
    """What a node reads of its task class; refuses a class that is no task (``task_models``)."""
    try:
        return _FACTS[task]
    except (KeyError, TypeError):  # TypeError: not hashable, hence no task class
        pass
    input_model, output_model = task_models(task)
    facts = (input_model, output_model, nested_graph_of(task))
    if len(_FACTS) >= _FACTS_LIMIT:  # bounded: classes made at run time come and go
        _FACTS.clear()
    _FACTS[task] = facts
    return facts


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
        self._nodes: dict[str, Node] = {}
        """Each instance added, by name, as the graph's node: ``build()`` copies the dict."""
        self._owner = Owner(object(), self._nodes)
        """The token of this builder's handles, and the names they may stand for."""
        self._resolver: Resolver | None = None
        """Made at the first class reference: most workflows name their tasks (``_resolve``)."""
        self._mapped = False
        """Whether an instance is mapped: only then may ``build()`` reroute an edge."""
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

        Nothing is registered when it raises. The node it makes is the graph's: its
        class references are resolved already.
        """
        try:  # the commonest case, inline: a class added before (issue 13.5)
            input_model, output_model, nested = _FACTS[task]
        except (KeyError, TypeError):
            input_model, output_model, nested = _facts(task)
        instance = task.name if name is None else name
        if not (type(instance) is str and instance.isascii() and instance.isidentifier()):
            instance = check_name(instance, self.name)  # an ASCII identifier is a valid name
        nodes = self._nodes
        if instance in nodes:  # W10
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
        collections: tuple[tuple[str, CollectionKind], ...] = ()
        edges: tuple[Edge, ...] = ()
        by_class: list[tuple[str, type[Task[Any, Any]], str | None]] = []
        if isinstance(depends_on, str):  # the commonest spelling: an instance name, as it is
            edges = (Edge(depends_on),)
        elif depends_on is not None:
            try:
                raw = parse_dependency(instance, depends_on, self._owner)
            except WorkflowDefinitionError as error:
                raise error.at(instance) from None
            edges = self._edges(raw.wires, instance, by_class)
            collections = raw.collections
        if mapped_over is not None and not isinstance(mapped_over, TaskMap):
            raise WorkflowDefinitionError(
                contract.MAPPED_OVER_KIND.format(task=instance, value=mapped_over)
            ).at(instance)
        try:  # the class's retry and cache attributes (set after the class, maybe)
            check_task_settings(task)
        except WorkflowDefinitionError as error:
            raise error.at(instance) from None
        if retry is not None and not isinstance(retry, Retry):
            raise WorkflowDefinitionError(
                f"Task '{instance}': retry must be a Retry, got {retry!r}"
            ).at(instance)
        if by_class:
            self._by_class.extend(by_class)
        nodes[instance] = Node(  # positional: a build makes one per task
            instance,
            task,
            input_model,
            output_model,
            fields,
            edges,
            len(nodes),
            nested,
            mapped_over,
            collections,
            retry,
        )
        if self._resolver is not None:
            self._resolver.add(instance, task)
        if mapped_over is not None:
            self._mapped = True
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
        self.add_task(
            task,
            name=name,
            depends_on=depends_on,
            config_fields=config_fields,
            mapped_over=mapped_over,
        )
        node = self._nodes[task.name if name is None else name]  # the one just added
        output = effective_output(node.output_model, node.mapping)
        return TaskHandle(node.name, output, self._owner.token)

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
            problem = contract.TASK_MAP_INVALID.format(task=instance, problem=error)
            raise WorkflowDefinitionError(problem).at(
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

    def _edges(
        self,
        wires: Sequence[Wire],
        task: str,
        by_class: list[tuple[str, type[Task[Any, Any]], str | None]],
    ) -> tuple[Edge, ...]:
        """W9: a class reference becomes the instance name registered for that class, and
        goes to ``by_class`` (``build()`` checks it again); each wire becomes the graph's
        edge (once: ``build()`` only checks the names)."""
        edges = []
        for ref, source_field, target_field, member in wires:
            if isinstance(ref, str):
                source = ref
            else:
                try:
                    source = self._resolve(ref, f"task '{task}'")
                except WorkflowDefinitionError as error:
                    raise error.at(task, ("reference", target_field)) from None
                by_class.append((task, ref, target_field))
            edges.append(Edge(source, source_field, target_field, member))
        return tuple(edges)

    def _resolve(
        self, cls: type[Task[Any, Any]], referrer: str, missing: str = contract.CLASS_NOT_FOUND
    ) -> str:
        """W9: the one instance of class ``cls`` (``missing``: the message when there is
        none); the resolver indexes the instances added so far at the first class
        reference, then each one added after it."""
        if self._resolver is None:
            self._resolver = Resolver(self.name)
            for node in self._nodes.values():
                self._resolver.add(node.name, node.task)
        return self._resolver.resolve_class(cls, referrer, missing)

    def build(self) -> Workflow[InT, OutT]:
        """Check every wiring rule and return the workflow; raises on the first violation.

        Each call returns a new workflow: later builder calls never change it.
        """
        for task, cls, key in self._by_class:  # W9: registered again since: ambiguous
            try:
                self._resolve(cls, f"task '{task}'")
            except WorkflowDefinitionError as error:
                raise error.at(task, ("reference", key)) from None
        try:
            reference = parse_result(self.result_task, self._owner)
            result: str | None = None
            if isinstance(reference, type):
                result = self._resolve(reference, "result_task", contract.RESULT_NOT_FOUND)
            else:
                result = reference
        except WorkflowDefinitionError as error:
            raise error.at(None, ("result_task", None)) from None
        graph = _compile(self.name, dict(self._nodes), self._mapped, result)
        return cast("Workflow[InT, OutT]", Workflow.from_graph(graph))


def _compile(name: str, nodes: dict[str, Node], mapped: bool, result_task: str | None) -> Graph:
    """References (W9), cycles (W11), each task in registration order (W1-W8), result (W12).

    ``nodes`` is the builder's, copied: a mapped upstream may replace a node in it.
    """
    described = contract.describe_workflow(name)
    if not nodes:
        raise WorkflowDefinitionError(contract.NO_TASKS.format(workflow=described))
    order = chain_order(nodes)  # the commonest shape: its references and order are known
    if order is not None:
        following = chain_successors(order)
    else:
        for node in nodes.values():
            for edge in node.edges:
                if edge.source not in nodes:
                    raise WorkflowDefinitionError(
                        contract.NOT_REGISTERED.format(
                            task=node.name, ref=edge.source, workflow=described
                        )
                    ).at(node.name, ("reference", edge.target_field))
        following = successors(nodes)
        order = topological_order(name, nodes, following)  # W11
    if mapped:
        for node in tuple(nodes.values()):  # a mapped upstream into a dict[str, O] field
            nodes[node.name] = unwrap_mapped(node, nodes)
    check_nodes(nodes)  # mapped-task rules, W1-W8
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
