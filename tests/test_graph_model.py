"""Node and Edge set their slots in a hand-written ``__init__`` (issue 13.5: build cost):
they still behave as frozen, slotted dataclasses."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass

import pytest

from taskmaestro import Retry, TaskMap, WorkflowDefinitionError
from taskmaestro._graph import Edge, Node, slot_setters, successors
from taskmaestro.dependencies import CollectionKind
from taskmaestro.task import check_task_settings, task_models

from .helpers import AddOne, Number, Pair, Sum, Total


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
