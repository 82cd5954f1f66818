"""Pointing at the YAML node that an error of the core concerns.

The core's ``WorkflowDefinitionError`` says which task is at fault (``task``)
and which piece of its declaration (``part``: a fan-in key, a dependency, a
routed field, a reference, a config field, the name). While a task entry is
read, each such piece is recorded as a ``Clue`` with the same ``part``; the
error's node is the clue with the error's part, or the whole entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from yaml.nodes import MappingNode, Node

from .._wiring import Route, TaskRef
from ..dependencies import Collection
from ..exceptions import CycleDetectedError, WorkflowDefinitionError
from ..mapping import TaskMap
from ..task import Task
from .format import NestedEntry, TaskEntry, WorkflowSection
from .inputs import InputFile
from .source import Source

__all__ = ["Clue", "CoreDependency", "ResolvedTask", "TaskRef", "blame", "blame_job"]

type CoreDependency = TaskRef | Route | dict[str, TaskRef | Route | Collection[Any]]
"""What the loader hands to ``add_task(depends_on=...)``."""
type Part = tuple[str, str | None]


@dataclass(frozen=True, eq=False)
class Clue:
    """A node of a task entry, and the part of the declaration it holds.

    ``refers_to`` is set on reference clues: the task they name.
    """

    part: Part
    source: Source
    node: Node
    refers_to: TaskRef | None = None


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
    mapping: TaskMap | None = None

    @property
    def key_node(self) -> Node:
        """The node that names what the entry adds: its ``task:`` or ``workflow:`` value."""
        entry = self.entry
        return entry.task.node if isinstance(entry, TaskEntry) else entry.workflow.node

    def node_of(self, part: Part | None, source: Source) -> tuple[Source, Node]:
        """The node holding ``part`` of this declaration (the whole entry if none does)."""
        if part is not None:
            if part == ("name", None) and self.entry.name is not None:
                return source, self.entry.name.node
            if part[0] == "config_fields" and part[1] in self.config_fields:
                return self.config_fields[part[1]]
            for clue in self.clues:
                if clue.part == part:
                    return clue.source, clue.node
        return source, self.entry.node


def blame(
    error: WorkflowDefinitionError,
    tasks: list[ResolvedTask],
    source: Source,
    section: WorkflowSection,
) -> tuple[Source, Node]:
    """The file and node a ``build()`` error concerns."""
    by_name = {task.name: task for task in reversed(tasks)}  # the first of duplicates
    if isinstance(error, CycleDetectedError) and len(error.cycle) >= 2:
        upstream, downstream = by_name.get(error.cycle[0]), by_name.get(error.cycle[1])
        if upstream is not None and downstream is not None:
            for clue in downstream.clues:
                if clue.refers_to in (upstream.name, upstream.task):
                    return clue.source, clue.node
            return source, downstream.key_node
    if error.task is not None and error.task in by_name:
        task = by_name[error.task]
        if error.part == ("name", None):  # a duplicate: blame the later declaration
            task = [t for t in tasks if t.name == error.task][-1]
        return task.node_of(error.part, source)
    if section.result_task is not None and error.part == ("result_task", None):
        return source, section.result_task.node
    return source, _key_node(source, section.node, "tasks")


def blame_job(
    error: WorkflowDefinitionError,
    inputs: InputFile | None,
    tasks: list[ResolvedTask],
    source: Source,
    section: WorkflowSection,
) -> tuple[Source, Node]:
    """The node a Job error concerns: the task's values in the input file, else its entry."""
    task = next((t for t in tasks if t.name == error.task), None)
    if inputs is not None:
        node = inputs.task_key(task.name) if task is not None else inputs.source.root
        return inputs.source, node
    if task is not None:
        return source, task.entry.node
    return source, section.node


def _key_node(source: Source, mapping: Node, key: str) -> Node:
    """The node of ``key`` in a mapping (the mapping itself if it has no such key)."""
    if isinstance(mapping, MappingNode):
        for key_node, _ in source.pairs(mapping):
            if key_node.value == key:
                return key_node
    return mapping
