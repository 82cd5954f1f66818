"""From the spellings users write to graph edges: parsing and resolving references.

``depends_on`` may be a task class, a task instance name, a task handle, a
``(task, "field")`` route, an output handle, or a fan-in dict (or keyword
arguments) whose values are any of those or a ``collect(...)``.
``parse_dependency`` turns each spelling into ``Wire``s once (handles become
instance names there); ``Resolver`` maps class references to instance names as
tasks are added (rule W9), names are checked at build.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from . import _contract as contract
from .dependencies import Collection, CollectionKind, OutputHandle, TaskHandle
from .exceptions import WorkflowDefinitionError
from .task import Task

__all__ = [
    "Dependency",
    "DependencyValue",
    "Parsed",
    "Resolver",
    "TaskRef",
    "Wire",
    "check_name",
    "parse_dependency",
    "parse_result",
]

type TaskRef = type[Task[Any, Any]] | str
"""A task given by its class or by its instance name."""

type TaskReference = TaskRef | TaskHandle[Any]
"""A task given by its class, its instance name or its handle."""

type Route = tuple[TaskRef, str]
"""``(task, "field")``: one field of a task's output."""

type OutputReference = TaskReference | Route | tuple[TaskHandle[Any], str] | OutputHandle[Any]
"""A whole output or one routed field."""

type DependencyValue = OutputReference | Collection[Any]
"""A value of a fan-in dict or a keyword dependency: an output, or several collected."""

type Dependency = OutputReference | Mapping[str, DependencyValue]
"""Everything ``depends_on`` accepts."""


class Wire(NamedTuple):
    """An edge whose upstream task is still a reference (resolved at build time).

    ``member`` is the list index or dict key of a ``collect()`` member. A named
    tuple: a fan-in makes one per key, and a tuple is made at a third of the cost
    of a frozen dataclass (issue 13.5).
    """

    ref: TaskRef
    source_field: str | None
    target_field: str | None
    member: int | str | None = None


@dataclass(frozen=True, slots=True)
class Parsed:
    """One task's dependencies: its wires, and each collected field with its kind."""

    wires: tuple[Wire, ...] = ()
    collections: tuple[tuple[str, CollectionKind], ...] = ()


@dataclass(frozen=True, slots=True)
class Owner:
    """Whose handles a parse accepts: the builder's token, and the names it registered."""

    token: object
    names: Container[str]


def describe(ref: object) -> str:
    """How a reference reads in messages: a name as is, a class by its name."""
    if isinstance(ref, type):
        return ref.__qualname__
    return str(ref)


def check_name(name: object, workflow: str) -> str:
    """W10: instance names are identifiers (letters, digits, ``_``, ``-``)."""
    if not isinstance(name, str) or not contract.INSTANCE_NAME.fullmatch(name):
        raise WorkflowDefinitionError(
            contract.INVALID_NAME.format(name=name, workflow=contract.describe_workflow(workflow))
        ).at(None, ("name", None))  # no task: there is no instance by that name
    return name


def parse_dependency(task: str, depends_on: object, owner: Owner) -> Parsed:
    """Normalize one ``depends_on`` value into wires, or explain what is wrong with it."""
    if depends_on is None:
        return Parsed()
    if isinstance(depends_on, Collection):
        raise WorkflowDefinitionError(contract.COLLECTION_NOT_A_FIELD.format(task=task))
    if not isinstance(depends_on, Mapping):
        ref, field = _parse_value(task, depends_on, owner)
        return Parsed((Wire(ref, field, None),))
    wires: list[Wire] = []
    collections: list[tuple[str, CollectionKind]] = []
    for key, value in depends_on.items():
        if not isinstance(key, str):
            raise WorkflowDefinitionError(
                contract.FAN_IN_KEY_NOT_A_STRING.format(task=task, key=key)
            )
        if isinstance(value, str):  # the commonest value, an instance name: no call
            wires.append(Wire(value, None, key))
            continue
        if isinstance(value, Collection):
            collections.append((key, value.kind))
            wires.extend(_parse_members(task, key, value, owner))
            continue
        ref, field = _parse_value(task, value, owner)
        wires.append(Wire(ref, field, key))
    return Parsed(tuple(wires), tuple(collections))


def _parse_members(task: str, key: str, collection: Collection[Any], owner: Owner) -> list[Wire]:
    wires = []
    for label, member in collection.members():
        if not _reference_shaped(member):
            raise WorkflowDefinitionError(
                contract.COLLECT_MEMBER_KIND.format(
                    task=task, label=repr(label), field=key, value=member
                )
            )
        ref, field = _parse_value(task, member, owner)
        wires.append(Wire(ref, field, key, label))
    return wires


def _reference_shaped(value: object) -> bool:
    """A task, a handle, an output handle or a ``(task, "field")`` pair, by its shape."""
    if isinstance(value, tuple):
        return len(value) == 2 and isinstance(value[1], str)
    return isinstance(value, str | TaskHandle | OutputHandle) or (
        isinstance(value, type) and issubclass(value, Task)
    )


def parse_result(result: object, owner: Owner) -> TaskRef | None:
    """A ``result_task``: a class, a name or a handle of this builder (as its name)."""
    if result is None or isinstance(result, str):
        return result
    if isinstance(result, type) and issubclass(result, Task):
        return result
    if isinstance(result, TaskHandle):
        return _handle_name("result_task", result, owner)
    if isinstance(result, OutputHandle):  # named, not shown by repr: the plugin says the same
        raise WorkflowDefinitionError(
            contract.RESULT_FIELD.format(field=result.field_name, task=result.task_name)
        )
    raise WorkflowDefinitionError(contract.RESULT_KIND.format(value=result))


def _parse_value(task: str, value: object, owner: Owner) -> tuple[TaskRef, str | None]:
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], str):
        return _parse_ref(task, value[0], owner), value[1]
    if isinstance(value, OutputHandle):
        ours = value.belongs_to(owner.token)
        return _owned(f"task '{task}'", value.task_name, ours, owner), value.field_name
    return _parse_ref(task, value, owner), None


def _parse_ref(task: str, value: object, owner: Owner) -> TaskRef:
    if isinstance(value, str) or (isinstance(value, type) and issubclass(value, Task)):
        return value
    if isinstance(value, TaskHandle):
        return _handle_name(f"task '{task}'", value, owner)
    raise WorkflowDefinitionError(contract.DEPENDS_ON_KIND.format(task=task, value=value))


def _handle_name(referrer: str, handle: TaskHandle[Any], owner: Owner) -> str:
    return _owned(referrer, handle.name, handle.belongs_to(owner.token), owner)


def _owned(referrer: str, name: str, ours: bool, owner: Owner) -> str:
    """The instance name a handle stands for, if this builder made it and registered it."""
    if not ours:
        raise WorkflowDefinitionError(contract.HANDLE_FOREIGN.format(referrer=referrer, name=name))
    if name not in owner.names:
        raise WorkflowDefinitionError(
            contract.HANDLE_NOT_REGISTERED.format(name=name, referrer=referrer)
        )
    return name


class Resolver:
    """Maps task references to instance names within one workflow (W9).

    Filled as tasks are added: a class reference denotes the one instance
    registered so far for that class; a name may denote any instance, checked
    once every task is known.
    """

    def __init__(self, workflow: str) -> None:
        self._workflow = contract.describe_workflow(workflow)
        self._by_class: dict[type[Task[Any, Any]], list[str]] = {}

    def add(self, name: str, task: type[Task[Any, Any]]) -> None:
        self._by_class.setdefault(task, []).append(name)

    def resolve_class(
        self, ref: type[Task[Any, Any]], referrer: str, missing: str = contract.CLASS_NOT_FOUND
    ) -> str:
        """The one instance name registered for class ``ref``; ``referrer`` is for messages,
        ``missing`` the template when there is none (``result_task`` has its own)."""
        names = self._by_class.get(ref, [])
        if len(names) == 1:
            return names[0]
        if names:
            raise WorkflowDefinitionError(
                contract.AMBIGUOUS_CLASS.format(
                    cls=ref.__qualname__,
                    workflow=self._workflow,
                    referrer=referrer,
                    names=" and ".join(f"'{n}'" for n in names),
                )
            )
        raise WorkflowDefinitionError(
            missing.format(
                cls=ref.__qualname__,
                ref=ref.__qualname__,
                workflow=self._workflow,
                referrer=referrer,
            )
        )
