"""From the spellings users write to graph edges: parsing and resolving references.

``depends_on`` may be a task class, a task instance name, a ``(task, "field")``
route, or a fan-in dict whose values are any of those. ``parse_dependency``
turns each spelling into ``Wire``s once; ``Resolver`` maps class references to
instance names as tasks are added (rule W9), names are checked at build.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import _contract as contract
from .exceptions import WorkflowDefinitionError
from .task import Task

__all__ = ["Dependency", "Resolver", "TaskRef", "Wire", "check_name", "parse_dependency"]

type TaskRef = type[Task[Any, Any]] | str
"""A task given by its class or by its instance name."""

type Route = tuple[TaskRef, str]
"""``(task, "field")``: one field of a task's output."""

type Dependency = TaskRef | Route | Mapping[str, TaskRef | Route]
"""Everything ``depends_on`` accepts."""


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
    if not isinstance(name, str) or not contract.INSTANCE_NAME.fullmatch(name):
        raise WorkflowDefinitionError(
            contract.INVALID_NAME.format(name=name, workflow=contract.describe_workflow(workflow))
        ).at(None, ("name", None))  # no task: there is no instance by that name
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
                    contract.FAN_IN_KEY_NOT_A_STRING.format(task=task, key=key)
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
    raise WorkflowDefinitionError(contract.DEPENDS_ON_KIND.format(task=task, value=value))


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

    def resolve_class(self, ref: type[Task[Any, Any]], referrer: str) -> str:
        """The one instance name registered for class ``ref``; ``referrer`` is for messages."""
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
            contract.CLASS_NOT_FOUND.format(
                cls=ref.__qualname__, workflow=self._workflow, referrer=referrer
            )
        )
