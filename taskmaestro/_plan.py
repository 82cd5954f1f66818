"""The execution plan: the graph compiled once into steps with ready-made input assembly."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from ._graph import Edge, Graph, NestedGraph, Node, model_fields_of, value_type
from .cache import CachePolicy, cache_policy
from .dependencies import CollectionKind
from .mapping import TaskMap
from .retry import Retry
from .task import Task, retry_of

__all__ = ["Assemble", "Items", "Plan", "Shared", "Step", "compile_plan"]

Assemble = Callable[[Mapping[str, BaseModel], BaseModel, Mapping[str, object]], BaseModel]
"""(upstream outputs by task name, job config, configured values) -> the task's input."""

Shared = Callable[[Mapping[str, BaseModel], Mapping[str, object]], dict[str, object]]
"""(upstream outputs, configured values) -> the input values every item of a mapped task gets."""


@dataclass(frozen=True, slots=True)
class Items:
    """What a mapped step runs per item: where the items are and how to make each input.

    ``shared`` gives the named dependencies and the configured values but the
    ``over`` mapping; ``validate`` makes an item's input from them plus its key
    and value; ``output_model`` is what each item must return.
    """

    mapping: TaskMap
    shared: Shared
    validate: Callable[[dict[str, object]], BaseModel]
    output_model: type[BaseModel]


@dataclass(frozen=True, slots=True)
class Step:
    """One task of the plan, with everything the runner needs precomputed.

    ``index`` is its place in ``Plan.steps``; ``nested`` is set when the node
    is a workflow wrapped as a task, which the parallel driver runs itself;
    ``items`` when it is mapped (``output_model`` is then ``MappedOutput[O]``
    and ``assemble`` is not used). ``retry`` is the instance's retry policy;
    ``cache`` its cache policy (``None``: not cached).
    """

    name: str
    index: int
    task: type[Task[Any, Any]]
    configured: bool
    """Whether the task takes values from the JobConfiguration (its ``config_fields``)."""
    output_model: type[BaseModel]
    timeout_seconds: float | None
    assemble: Assemble
    nested: NestedGraph | None
    retry: Retry
    cache: CachePolicy | None
    items: Items | None = None
    plain: bool = False
    passes: str | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """The steps in topological order, and for the parallel driver, by step index:
    the steps that consume each one's output and how many steps each one waits for."""

    steps: tuple[Step, ...]
    result: str
    successors: tuple[tuple[int, ...], ...]
    needs: tuple[int, ...]


def compile_plan(graph: Graph) -> Plan:
    index = {name: position for position, name in enumerate(graph.order)}
    nodes = [graph.nodes[name] for name in graph.order]
    return Plan(
        steps=tuple(_step(node, index[node.name], graph) for node in nodes),
        result=graph.result,
        successors=tuple(
            tuple(index[target] for target in graph.successors[node.name]) for node in nodes
        ),
        needs=tuple(len({edge.source for edge in node.edges}) for node in nodes),
    )


def _step(node: Node, index: int, graph: Graph) -> Step:
    retry = node.retry if node.retry is not None else retry_of(node.task)
    cache = cache_policy(node.task.cache)
    timeout_seconds = node.task.timeout_seconds
    return Step(
        name=node.name,
        index=index,
        task=node.task,
        configured=bool(node.config_fields),
        output_model=node.effective_output,
        timeout_seconds=timeout_seconds,
        assemble=_assembler(node, graph),
        nested=node.nested,
        retry=retry,
        cache=cache,
        items=None if node.mapping is None else _items(node, node.mapping),
        plain=(
            node.mapping is None and cache is None and timeout_seconds is None and not retry.retries
        ),
        passes=_passes(node, graph),
    )


def _passes(node: Node, graph: Graph) -> str | None:
    """The upstream task whose output is ``node``'s input as it is, if there is one."""
    if node.is_root or node.fans_in or node.config_fields or node.mapping is not None:
        return None
    edge = node.edges[0]
    if edge.source_field is not None or not issubclass(
        graph.nodes[edge.source].effective_output, node.input_model
    ):
        return None
    return edge.source


def _items(node: Node, mapping: TaskMap) -> Items:
    """A mapped node's per-item plan; its dependencies fill named fields (the rules say so)."""
    sources = [(edge.target_field or "", _reader(edge)) for edge in node.edges]
    over = mapping.over
    validate = node.input_model.model_validate

    def shared(outputs: Mapping[str, BaseModel], values: Mapping[str, object]) -> dict[str, object]:
        data = {key: read(outputs) for key, read in sources}
        data.update((key, value) for key, value in values.items() if key != over)
        return data

    return Items(
        mapping=mapping,
        shared=shared,
        validate=lambda data: validate(data, by_name=True),
        output_model=node.output_model,
    )


def _assembler(node: Node, graph: Graph) -> Assemble:
    model = node.input_model
    validate = model.model_validate

    if node.is_root:
        if not node.config_fields:
            return lambda outputs, config, values: config
        return lambda outputs, config, values: validate(dict(values), by_name=True)

    if node.fans_in:
        kinds = dict(node.collections)
        sources = [
            (edge.target_field or "", _reader(edge))
            for edge in node.edges
            if edge.target_field not in kinds
        ]
        sources += [(field, _collector(node, field, kind)) for field, kind in node.collections]

        def fan_in(
            outputs: Mapping[str, BaseModel], config: BaseModel, values: Mapping[str, object]
        ) -> BaseModel:
            data = {key: read(outputs) for key, read in sources}
            data.update(values)
            return validate(data, by_name=True)

        return fan_in

    edge = node.edges[0]
    read = _reader(edge)
    if node.config_fields:
        value_fields = value_type(edge, graph.nodes)
        shared = [name for name in model_fields_of(value_fields) if name in model.model_fields]

        def spread(
            outputs: Mapping[str, BaseModel], config: BaseModel, values: Mapping[str, object]
        ) -> BaseModel:
            value = read(outputs)
            data: dict[str, object] = {name: getattr(value, name) for name in shared}
            data.update(values)
            return validate(data, by_name=True)

        return spread

    if edge.source_field is None:  # the commonest case (a chain): no reader call
        source = edge.source

        def output(
            outputs: Mapping[str, BaseModel], config: BaseModel, values: Mapping[str, object]
        ) -> BaseModel:
            value = outputs[source]
            return value if isinstance(value, model) else validate(value, by_name=True)

        return output

    def whole(
        outputs: Mapping[str, BaseModel], config: BaseModel, values: Mapping[str, object]
    ) -> BaseModel:
        value = read(outputs)
        return value if isinstance(value, model) else validate(value, by_name=True)

    return whole


def _collector(
    node: Node, field: str, kind: CollectionKind
) -> Callable[[Mapping[str, BaseModel]], Any]:
    """The value of a collected field: its members' values as a list, or a dict by key."""
    members = [(edge.member, _reader(edge)) for edge in node.collected(field)]
    if kind == "keyed":
        return lambda outputs: {key: read(outputs) for key, read in members}
    return lambda outputs: [read(outputs) for _, read in members]


def _reader(edge: Edge) -> Callable[[Mapping[str, BaseModel]], Any]:
    source, field = edge.source, edge.source_field
    if field is None:
        return lambda outputs: outputs[source]
    return lambda outputs: getattr(outputs[source], field)
