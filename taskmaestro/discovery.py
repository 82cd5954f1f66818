"""Tasks and workflows that installed packages register under entry points, found by name.

A package registers a ``Task`` subclass under the group ``taskmaestro.tasks``
and a ``Workflow`` instance under ``taskmaestro.workflows``; the entry-point
name is the identifier YAML files (``task: acme.clean``) and the command line
use. Convention: prefix it with the provider's name.

The listings (``registered_task_names``, ``registered_workflow_names``) read
package metadata only and import nothing. A lookup imports the one plugin it
names, so a broken plugin fails only the lookups of its own name.

Duplicate policy (the only one): a name is *ambiguous* when two or more
installed distributions register it under the same group with different
values. The listings show it once; every lookup of that name raises
``PluginLoadError`` naming the distributions; other names are unaffected.
The same value registered twice (one package seen twice) is not a duplicate.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Literal

from .exceptions import ConfigLoadError
from .task import Task
from .workflow import Workflow

__all__ = [
    "TASK_ENTRY_POINT_GROUP",
    "WORKFLOW_ENTRY_POINT_GROUP",
    "PluginLoadError",
    "RegisteredName",
    "get_registered_task",
    "get_registered_workflow",
    "registered_task_entries",
    "registered_task_names",
    "registered_tasks",
    "registered_workflow_entries",
    "registered_workflow_names",
    "registered_workflows",
]

TASK_ENTRY_POINT_GROUP = "taskmaestro.tasks"
"""Entry points whose value is a ``Task`` subclass (``module:Class``)."""
WORKFLOW_ENTRY_POINT_GROUP = "taskmaestro.workflows"
"""Entry points whose value is a ``Workflow`` instance (``module:attribute``)."""

type Kind = Literal["task", "workflow"]


class PluginLoadError(ConfigLoadError):
    """A registered name is unknown, ambiguous, or its plugin cannot be loaded.

    ``kind`` is ``"task"`` or ``"workflow"``, ``name`` the identifier looked up.
    A ``ConfigLoadError``, so YAML loading and the command line report it as a
    problem of the file or argument that used the name.
    """

    def __init__(self, message: str, *, kind: Kind, name: str) -> None:
        super().__init__(message)
        self.kind: Kind = kind
        self.name = name


@dataclass(frozen=True, slots=True)
class RegisteredName:
    """One identifier as package metadata lists it (nothing imported).

    ``values`` are the distinct entry-point values (``module:attr``) registered
    under the name, ``distributions`` the packages that register it; more than
    one value makes the name ambiguous.
    """

    name: str
    values: tuple[str, ...]
    distributions: tuple[str, ...]

    @property
    def ambiguous(self) -> bool:
        return len(self.values) > 1


def _group(kind: Kind) -> str:
    return TASK_ENTRY_POINT_GROUP if kind == "task" else WORKFLOW_ENTRY_POINT_GROUP


def _entries(kind: Kind) -> dict[str, tuple[list[metadata.EntryPoint], list[str]]]:
    """Name -> (entry points with distinct values, distributions), from metadata only."""
    found: dict[str, tuple[list[metadata.EntryPoint], list[str]]] = {}
    for entry_point in metadata.entry_points(group=_group(kind)):
        points, distributions = found.setdefault(entry_point.name, ([], []))
        if all(point.value != entry_point.value for point in points):
            points.append(entry_point)
        dist = entry_point.dist
        dist_name = dist.name if dist is not None else "<unknown distribution>"
        if dist_name not in distributions:
            distributions.append(dist_name)
    return found


def _listing(kind: Kind) -> list[RegisteredName]:
    return [
        RegisteredName(name, tuple(point.value for point in points), tuple(distributions))
        for name, (points, distributions) in sorted(_entries(kind).items())
    ]


def registered_task_entries() -> list[RegisteredName]:
    """Every registered task identifier, sorted, with its values; imports nothing."""
    return _listing("task")


def registered_workflow_entries() -> list[RegisteredName]:
    """Every registered workflow identifier, sorted, with its values; imports nothing."""
    return _listing("workflow")


def registered_task_names() -> set[str]:
    """The registered task identifiers (ambiguous ones included); imports nothing."""
    return set(_entries("task"))


def registered_workflow_names() -> set[str]:
    """The registered workflow identifiers (ambiguous ones included); imports nothing."""
    return set(_entries("workflow"))


def _load(kind: Kind, name: str, known: Iterable[str] | None = None) -> object:
    entries = _entries(kind)
    if name not in entries:
        names = sorted(entries if known is None else known)
        listed = ", ".join(names) if names else "none"
        raise PluginLoadError(
            f"No {kind} entry point named '{name}' is registered in '{_group(kind)}' "
            f"(registered: {listed})",
            kind=kind,
            name=name,
        )
    points, distributions = entries[name]
    if len(points) > 1:
        values = ", ".join(point.value for point in points)
        raise PluginLoadError(
            f"The {kind} identifier '{name}' is ambiguous: several packages register it "
            f"in '{_group(kind)}' ({', '.join(distributions)}: {values}); uninstall one",
            kind=kind,
            name=name,
        )
    point = points[0]
    try:
        return point.load()
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # an import error, or the module raised or exited
        raise PluginLoadError(
            f"Cannot load {kind} entry point '{name}' ({point.value}): "
            f"{type(error).__name__}: {error}",
            kind=kind,
            name=name,
        ) from error


def get_registered_task(name: str) -> type[Task[Any, Any]]:
    """The ``Task`` subclass registered as ``name``; imports that plugin only.

    Raises ``PluginLoadError`` if the name is unknown or ambiguous, the plugin
    cannot be imported, or its value is not a concrete ``Task`` subclass.
    """
    found = _load("task", name)
    if not (isinstance(found, type) and issubclass(found, Task)):
        raise PluginLoadError(
            f"Task entry point '{name}' must resolve to a Task subclass, got {_kind(found)}",
            kind="task",
            name=name,
        )
    if inspect.isabstract(found):
        raise PluginLoadError(
            f"Task entry point '{name}' resolves to an abstract class", kind="task", name=name
        )
    task: type[Task[Any, Any]] = found
    return task


def get_registered_workflow(name: str) -> Workflow[Any, Any]:
    """The ``Workflow`` registered as ``name``; imports that plugin only.

    Raises ``PluginLoadError`` as ``get_registered_task`` does.
    """
    found = _load("workflow", name)
    if not isinstance(found, Workflow):
        raise PluginLoadError(
            f"Workflow entry point '{name}' must resolve to a Workflow, got {_kind(found)}",
            kind="workflow",
            name=name,
        )
    workflow: Workflow[Any, Any] = found
    return workflow


def registered_tasks() -> dict[str, type[Task[Any, Any]]]:
    """Every registered task that loads, by identifier (sorted).

    Broken or ambiguous names are left out (their lookups raise; see
    ``registered_task_entries`` for the full listing): one bad plugin never
    hides the others.
    """
    tasks: dict[str, type[Task[Any, Any]]] = {}
    for name in sorted(registered_task_names()):
        try:
            tasks[name] = get_registered_task(name)
        except PluginLoadError:
            continue
    return tasks


def registered_workflows() -> dict[str, Workflow[Any, Any]]:
    """Every registered workflow that loads, by identifier (sorted); see ``registered_tasks``."""
    workflows: dict[str, Workflow[Any, Any]] = {}
    for name in sorted(registered_workflow_names()):
        try:
            workflows[name] = get_registered_workflow(name)
        except PluginLoadError:
            continue
    return workflows


def _kind(found: object) -> str:
    if isinstance(found, type):
        return f"the class {found.__module__}.{found.__qualname__}"
    return f"an object of type {type(found).__name__}"
