"""Node and Edge set their slots in a hand-written ``__init__`` (issue 13.5: build cost):
they still behave as frozen, slotted dataclasses."""

from __future__ import annotations

import dataclasses
import heapq
import pickle
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taskmaestro import CycleDetectedError, Retry, TaskMap, Workflow, WorkflowDefinitionError
from taskmaestro._graph import (
    Edge,
    Node,
    chain_order,
    chain_successors,
    slot_setters,
    successors,
    topological_order,
)
from taskmaestro.dependencies import CollectionKind
from taskmaestro.task import check_task_settings, task_models

from .helpers import AddOne, Boom, Double, Number, Pair, Sum, Total, ToText


def node(
    name: str,
    *edges: Edge,
    mapping: TaskMap | None = None,
    collections: tuple[tuple[str, CollectionKind], ...] = (),
    retry: Retry | None = None,
) -> Node:
    return Node(
        name, Sum, Pair, Total, (), edges, 0, mapping=mapping, collections=collections, retry=retry
    )


def test_an_edge_takes_its_fields_by_position_and_keyword() -> None:
    edge = Edge("load", "value", "a", 2)
    assert (edge.source, edge.source_field, edge.target_field, edge.member) == (
        "load",
        "value",
        "a",
        2,
    )
    assert Edge("load") == Edge(source="load", source_field=None, target_field=None)
    assert Edge("load").member is None


def test_edges_compare_hash_print_replace_and_pickle_as_dataclasses() -> None:
    edge = Edge("load", None, "a")
    assert edge == Edge("load", None, "a")
    assert edge != Edge("load", None, "b")
    assert hash(edge) == hash(Edge("load", None, "a"))
    assert repr(edge) == "Edge(source='load', source_field=None, target_field='a', member=None)"
    assert dataclasses.replace(edge, member="x") == Edge("load", None, "a", "x")
    assert pickle.loads(pickle.dumps(edge)) == edge
    with pytest.raises(dataclasses.FrozenInstanceError):
        edge.source = "other"  # type: ignore[misc]


def test_a_node_keeps_every_field_and_its_defaults() -> None:
    mapping = TaskMap(over="load", key_as="key", value_as="value")
    collections: tuple[tuple[str, CollectionKind], ...] = (("a", "positional"),)
    made = node(
        "sum",
        Edge("load", None, "a", 0),
        mapping=mapping,
        collections=collections,
        retry=Retry(retries=2),
    )
    assert (made.name, made.task, made.input_model, made.output_model) == ("sum", Sum, Pair, Total)
    assert (made.mapping, made.collections, made.retry) == (mapping, collections, Retry(retries=2))
    plain = node("sum")
    assert (plain.nested, plain.mapping, plain.collections, plain.retry) == (None, None, (), None)
    assert plain.is_root
    assert not made.is_root


def test_nodes_compare_hash_print_replace_and_pickle_as_dataclasses() -> None:
    made = node("sum", Edge("load", None, "a"))
    assert made == node("sum", Edge("load", None, "a")) != node("sum")
    assert hash(made) == hash(node("sum", Edge("load", None, "a")))
    assert repr(made).startswith("Node(name='sum', task=<class ")
    assert dataclasses.replace(made, index=3).index == 3
    assert pickle.loads(pickle.dumps(made)) == made
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.index = 1  # type: ignore[misc]


def test_a_hand_written_init_must_take_exactly_the_fields() -> None:
    @dataclass(frozen=True, slots=True, init=False)
    class Forgot:
        kept: int
        added: int = 0

        def __init__(self, kept: int) -> None:
            pass

    with pytest.raises(TypeError, match=r"takes \['kept'\], its fields are \['kept', 'added'\]"):
        slot_setters(Forgot)


def test_successors_lists_each_downstream_task_once_in_declaration_order() -> None:
    nodes = {
        "load": node("load"),
        "sum": node("sum", Edge("load", None, "a"), Edge("load", None, "b")),
        "last": node("last", Edge("sum")),
    }
    assert successors(nodes) == {"load": ("sum",), "sum": ("last",), "last": ()}


def test_task_models_are_remembered_and_non_tasks_still_refused() -> None:
    assert task_models(AddOne) == (Number, Number)
    assert task_models(AddOne) is task_models(AddOne)
    for wrong in (int, [AddOne]):
        with pytest.raises(WorkflowDefinitionError, match="is not a Task subclass"):
            task_models(wrong)  # type: ignore[arg-type]


def test_task_settings_are_checked_again_when_they_change() -> None:
    class Flaky(AddOne):
        retries = 1

    check_task_settings(Flaky)
    check_task_settings(Flaky)  # remembered
    Flaky.retries = True  # equal to 1, but no integer count
    with pytest.raises(WorkflowDefinitionError, match="retries must be an integer"):
        check_task_settings(Flaky)
    Flaky.retries = -1
    with pytest.raises(WorkflowDefinitionError, match="retries must be an integer"):
        check_task_settings(Flaky)
    Flaky.retry_on = [ValueError]  # type: ignore[assignment]  # unhashable: checked anyway
    Flaky.retries = 1
    with pytest.raises(WorkflowDefinitionError, match="retry_on must be"):
        check_task_settings(Flaky)


def kahn(nodes: dict[str, Node]) -> tuple[str, ...]:
    """Kahn's order with ties broken alphabetically, written plainly: the reference."""
    waiting = {name: {edge.source for edge in node.edges} for name, node in nodes.items()}
    ready = [name for name, sources in waiting.items() if not sources]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        done = heapq.heappop(ready)
        order.append(done)
        for name, sources in waiting.items():
            if done in sources:
                sources.discard(done)
                if not sources:
                    heapq.heappush(ready, name)
    return tuple(order)


@st.composite
def graphs(draw: st.DrawFn) -> dict[str, Node]:
    """Tasks in declaration order, often a chain (or nearly one), whose order the build
    takes without the heap; a source declared later may close a cycle."""
    names = draw(st.lists(st.text("abct0123", min_size=1, max_size=3), unique=True, min_size=1))
    chain = draw(st.booleans())
    nodes: dict[str, Node] = {}
    for index, name in enumerate(names):
        if chain and index:
            sources = [names[index - 1]] * draw(st.integers(1, 2))
            swerve = draw(st.integers(0, 5))
            if swerve == 0:  # now and then, one more source, or any sources (maybe none)
                sources.append(draw(st.sampled_from(names)))
            elif swerve == 1:
                sources = draw(st.lists(st.sampled_from(names), max_size=2))
        else:
            earlier = names[: index or 1] if draw(st.integers(0, 4)) else names
            sources = draw(st.lists(st.sampled_from(earlier), max_size=3)) if index else []
        edges = tuple(Edge(source, None, f"f{i}") for i, source in enumerate(sources))
        nodes[name] = node(name, *edges)
    return nodes


@given(graphs())
def test_the_order_is_kahns_with_alphabetical_ties_chain_or_not(nodes: dict[str, Node]) -> None:
    expected = kahn(nodes)
    chained = chain_order(nodes)
    if len(expected) < len(nodes):
        assert chained is None
        with pytest.raises(CycleDetectedError):
            topological_order("w", nodes, successors(nodes))
        return
    assert topological_order("w", nodes, successors(nodes)) == expected
    if chained is not None:  # the build's shortcut for a chain
        assert chained == expected
        assert chain_successors(chained) == successors(nodes)


def test_a_chain_is_known_by_each_task_taking_the_one_before_it_only() -> None:
    nodes = {"b": node("b"), "a": node("a", Edge("b")), "c": node("c", Edge("a"), Edge("a"))}
    assert chain_order(nodes) == ("b", "a", "c")  # against the alphabet
    assert chain_successors(("b", "a", "c")) == {"b": ("a",), "a": ("c",), "c": ()}
    assert chain_order({**nodes, "d": node("d")}) is None  # a second root
    assert chain_order({**nodes, "d": node("d", Edge("a"))}) is None  # a branch
    assert chain_order({**nodes, "d": node("d", Edge("c"), Edge("nope"))}) is None  # unknown
    nodes = {"a": node("a"), "b": node("b", Edge("a", None, "x"), Edge("c", None, "y"))}
    nodes["c"] = node("c", Edge("b"))  # b takes values of a, as a link, and of c: a cycle
    assert chain_order(nodes) is None
    assert chain_order({"a": node("a", Edge("a"))}) is None
    assert chain_order({}) == ()


def test_class_references_see_every_instance_added_before_them() -> None:
    """The builder indexes classes at the first class reference, then each task added."""
    workflow = (
        Workflow.builder(name="w")
        .add_task(AddOne, name="first")
        .add_task(Double, depends_on=AddOne)  # the index is made here
        .add_task(ToText, depends_on=Double)
        .add_task(Boom, name="late", depends_on="first")  # added to the index
        .add_task(Sum, depends_on={"a": Boom, "b": Double})
        .set_result_task(Sum)
        .build()
    )
    assert workflow.get_dependencies("to_text") == "double"
    assert workflow.get_dependencies("sum") == {"a": "late", "b": "double"}
    builder = Workflow.builder(name="w").add_task(AddOne, name="one")
    builder.add_task(Double, depends_on=AddOne).add_task(AddOne, name="two")
    with pytest.raises(WorkflowDefinitionError, match="registered as 'one' and 'two'"):
        builder.build()


@pytest.mark.parametrize("name", ["t0", "1st", "_", "a-b", "Step-1_a", "class", "x" * 200])
def test_valid_names_are_taken_as_they_are(name: str) -> None:
    assert Workflow.builder(name="w").add_task(AddOne, name=name).build().task_names == (name,)
