"""From the spellings users write to graph edges: parsing and resolving references.

``depends_on`` may be a task class, a task instance name, a ``(task, "field")``
route, or a fan-in dict whose values are any of those. ``parse_dependency``
turns each spelling into ``Wire``s once; ``Resolver`` maps their references to
instance names when the workflow is built (rules W9 and W10).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import WorkflowDefinitionError
from .task import Task

__all__ = ["Dependency", "Resolver", "TaskRef", "Wire", "check_name", "parse_dependency"]

type TaskRef = type[Task[Any, Any]] | str
"""A task given by its class or by its instance name."""

type Route = tuple[TaskRef, str]
"""``(task, "field")``: one field of a task's output."""

type Dependency = TaskRef | Route | Mapping[str, TaskRef | Route]
"""Everything ``depends_on`` accepts."""

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")


@dataclass(frozen=True, slots=True)
class Wire:
    """An edge whose upstream task is still a reference (resolved at build time)."""

    ref: TaskRef
    source_field: str | None
    target_field: str | None


def describe(ref: object) -> str:
    """How a reference reads in messages: a name as is, a class by its name."""
    if isinstance(ref, type):
        return ref.__qualname__
    return str(ref)


def check_name(name: object, workflow: str) -> str:
    """W10: instance names are identifiers (letters, digits, ``_``, ``-``)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise WorkflowDefinitionError(
            f"Invalid task name {name!r} in workflow '{workflow}': use letters, digits, "
            "'_' and '-' (no spaces, dots or path separators)"
        )
    return name


def parse_dependency(task: str, depends_on: object) -> tuple[Wire, ...]:
    """Normalize one ``depends_on`` value into wires, or explain what is wrong with it."""
    if depends_on is None:
        return ()
    if isinstance(depends_on, Mapping):
        wires = []
        for key, value in depends_on.items():
            if not isinstance(key, str):
                raise WorkflowDefinitionError(
                    f"Fan-in of task '{task}': keys must be input field names, got {key!r}"
                )
            ref, field = _parse_value(task, value)
            wires.append(Wire(ref, field, key))
        return tuple(wires)
    ref, field = _parse_value(task, depends_on)
    return (Wire(ref, field, None),)


def _parse_value(task: str, value: object) -> tuple[TaskRef, str | None]:
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], str):
        return _parse_ref(task, value[0]), value[1]
    return _parse_ref(task, value), None


def _parse_ref(task: str, value: object) -> TaskRef:
    if isinstance(value, str) or (isinstance(value, type) and issubclass(value, Task)):
        return value
    raise WorkflowDefinitionError(
        f"Task '{task}': depends_on takes a Task class, a task name, a (task, 'field') "
        f"tuple or a dict of those, got {value!r}"
    )


class Resolver:
    """Maps task references to instance names within one workflow (W9)."""

    def __init__(self, workflow: str, names: Iterable[tuple[str, type[Task[Any, Any]]]]) -> None:
        self._workflow = workflow
        self._names: set[str] = set()
        self._by_class: dict[type[Task[Any, Any]], list[str]] = {}
        for name, task in names:
            self._names.add(name)
            self._by_class.setdefault(task, []).append(name)

    def resolve(self, ref: TaskRef, referrer: str) -> str:
        """The instance name ``ref`` denotes; ``referrer`` says who refers, for messages."""
        if isinstance(ref, str):
            if ref in self._names:
                return ref
        else:
            names = self._by_class.get(ref, [])
            if len(names) == 1:
                return names[0]
            if names:
                listed = " and ".join(f"'{n}'" for n in names)
                raise WorkflowDefinitionError(
                    f"{referrer} refers to {ref.__qualname__} by class, but it is registered "
                    f"as {listed}; refer to it by instance name"
                )
        raise WorkflowDefinitionError(
            f"{referrer} refers to '{describe(ref)}', which is not a task of "
            f"workflow '{self._workflow}'"
        )
