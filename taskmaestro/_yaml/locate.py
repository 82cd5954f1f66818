"""Pointing at the YAML node that an error of the core concerns.

The core's ``WorkflowDefinitionError`` names the task at fault (``task``);
within that task's entry, the node is the one whose name the message quotes
first after the task's own (a fan-in key, a reference, a routed field, a
config field). When nothing matches, the whole entry is blamed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from yaml.nodes import MappingNode, Node

from ..errors import CycleDetectedError, WorkflowDefinitionError
from ..task import Task
from .format import NestedEntry, TaskEntry, WorkflowSection
from .inputs import InputFile
from .shapes import Marked
from .source import Source

__all__ = ["Clue", "CoreDependency", "ResolvedTask", "TaskRef", "blame", "blame_job", "needles"]

type TaskRef = type[Task[Any, Any]] | str
type CoreDependency = TaskRef | tuple[TaskRef, str] | dict[str, TaskRef | tuple[TaskRef, str]]


@dataclass(frozen=True, eq=False)
class Clue:
    """A node of a task entry, and the names that mean it when a core message quotes them."""

    needles: tuple[str, ...]
    source: Source
    node: Node


@dataclass(eq=False)
class ResolvedTask:
    """One task entry, resolved: its class, instance name, config fields and clues."""

    entry: TaskEntry | NestedEntry
    at: str
    task: type[Task[Any, Any]]
    name: str
    dependency: CoreDependency | None
    clues: list[Clue]
    config_fields: dict[str, tuple[Source, Node]] = field(default_factory=dict)

    @property
    def key_node(self) -> Node:
        """The node that names what the entry adds: its ``task:`` or ``workflow:`` value."""
        entry = self.entry
        return entry.task.node if isinstance(entry, TaskEntry) else entry.workflow.node


def blame(
    error: WorkflowDefinitionError,
    tasks: list[ResolvedTask],
    source: Source,
    section: WorkflowSection,
) -> tuple[Source, Node]:
    """The file and node a ``build()`` error concerns."""
    message = str(error)
    if isinstance(error, CycleDetectedError) and len(error.cycle) >= 2:
        upstream, downstream = error.cycle[0], error.cycle[1]
        task = _named(tasks, downstream)
        if task is not None:
            clue = next((c for c in task.clues if f"'{upstream}'" in c.needles), None)
            return (clue.source, clue.node) if clue is not None else (source, task.key_node)
    if error.task is not None:
        matching = [task for task in tasks if task.name == error.task]
        if len(matching) > 1:  # a duplicate name: blame the second declaration
            entry = matching[1].entry
            return source, entry.name.node if entry.name is not None else matching[1].key_node
        if matching:
            return _refine(matching[0], message, source)
    if section.result_task is not None and "result_task" in message:
        return source, section.result_task.node
    return source, _key_node(source, section.node, "tasks")


def _refine(task: ResolvedTask, message: str, source: Source) -> tuple[Source, Node]:
    """Within a task's entry, the node whose name the message quotes first (after the task's)."""
    own = message.find(f"'{task.name}'")
    start = own + len(task.name) + 2 if own >= 0 else 0
    best: tuple[int, Source, Node] | None = None
    for clue in _clues(task):
        for needle in clue.needles:
            position = message.find(needle, start)
            if position >= 0 and (best is None or position < best[0]):
                best = (position, clue.source, clue.node)
    if best is not None:
        return best[1], best[2]
    return source, task.entry.node


def _clues(task: ResolvedTask) -> Iterator[Clue]:
    yield from task.clues
    for name, (where, node) in task.config_fields.items():
        yield Clue((f"'{name}'",), where, node)


def blame_job(
    error: WorkflowDefinitionError,
    inputs: InputFile | None,
    tasks: list[ResolvedTask],
    source: Source,
    section: WorkflowSection,
) -> tuple[Source, Node]:
    """The node a Job error concerns: the task's values in the input file, else its entry."""
    message = str(error)
    mentioned = [task for task in tasks if f"'{task.name}'" in message]
    if inputs is not None:
        node = inputs.task_key(mentioned[0].name) if mentioned else inputs.source.root
        return inputs.source, node
    if mentioned:
        return source, mentioned[0].entry.node
    return source, section.node


def needles(path: Marked[str], ref: TaskRef) -> tuple[str, ...]:
    if isinstance(ref, str):
        return (f"'{ref}'",)
    return (f"'{path.value}'", ref.__qualname__, f"'{ref.name}'")


def _key_node(source: Source, mapping: Node, key: str) -> Node:
    """The node of ``key`` in a mapping (the mapping itself if it has no such key)."""
    if isinstance(mapping, MappingNode):
        for key_node, _ in source.pairs(mapping):
            if key_node.value == key:
                return key_node
    return mapping


def _named(tasks: list[ResolvedTask], name: str) -> ResolvedTask | None:
    return next((task for task in tasks if task.name == name), None)
