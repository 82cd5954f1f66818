"""Typed references to registered tasks: handles, and ``collect()`` of several outputs.

``WorkflowBuilder.task(...)`` returns a ``TaskHandle[O]``: the instance it
registered, typed by its effective output ``O``, so a type checker without
the plugin already sees ``depends_on=handle`` against the next task's input.
``handle.field("x")`` is an ``OutputHandle`` (one field of that output).
``collect(a, b)`` and ``collect(k=a)`` gather several outputs into one
``list[T]`` or ``dict[str, T]`` input field. ``get_dependencies`` reports a
collected field as a ``CollectionRef`` of ``OutputRef`` members.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, overload

from pydantic import BaseModel
from typing_extensions import TypeVar

from . import _contract as contract
from .exceptions import WorkflowDefinitionError

if TYPE_CHECKING:
    from .task import Task

__all__ = [
    "Collection",
    "CollectionKind",
    "CollectionRef",
    "Member",
    "OutputHandle",
    "OutputRef",
    "TaskHandle",
    "collect",
]

HandleOutT = TypeVar("HandleOutT", bound=BaseModel, covariant=True, default=Any)
FieldT = TypeVar("FieldT", covariant=True, default=Any)
ElementT = TypeVar("ElementT", covariant=True, default=Any)
ModelT = TypeVar("ModelT", bound=BaseModel)

type CollectionKind = Literal["positional", "keyed"]
"""``positional``: a ``list[T]`` field, in member order; ``keyed``: a ``dict[str, T]`` field."""


@dataclass(frozen=True, slots=True)
class TaskHandle(Generic[HandleOutT]):
    """A task instance registered by ``WorkflowBuilder.task``: its name and effective output.

    Valid in every later ``build()`` of the builder that made it, and only there.
    """

    name: str
    output_type: type[HandleOutT]
    _owner: object = field(default=None, repr=False)

    def field(self, name: str) -> OutputHandle[Any]:
        """One field of this task's output, checked at once to exist."""
        fields = self.output_type.model_fields
        if name not in fields:
            raise WorkflowDefinitionError(
                contract.HANDLE_FIELD_NOT_FOUND.format(
                    field=name, model=contract.model_name(self.output_type), task=self.name
                )
            ).at(self.name)
        return OutputHandle(self.name, name, fields[name].annotation, self._owner)

    def belongs_to(self, owner: object) -> bool:
        """Whether the builder whose token is ``owner`` made this handle."""
        return self._owner is owner


@dataclass(frozen=True, slots=True)
class OutputHandle(Generic[FieldT]):
    """One field of a registered task's output (``TaskHandle.field``)."""

    task_name: str
    field_name: str
    annotation: object
    _owner: object = field(default=None, repr=False)

    def belongs_to(self, owner: object) -> bool:
        """Whether the builder whose token is ``owner`` made this handle."""
        return self._owner is owner


type Member = type[Task[Any, Any]] | str | TaskHandle[Any] | OutputHandle[Any] | tuple[Any, str]
"""A ``collect()`` member: a task (class, instance name or handle), a ``(task, "field")``
route or an output handle."""


@dataclass(frozen=True, slots=True)
class Collection(Generic[ElementT]):
    """What ``collect()`` returns: members not resolved yet, of element type ``ElementT``."""

    kind: CollectionKind
    positional_members: tuple[Member, ...] = ()
    keyed_members: tuple[tuple[str, Member], ...] = ()

    def members(self) -> tuple[tuple[int | str, Member], ...]:
        """``(index or key, member)`` in declaration order."""
        if self.kind == "keyed":
            return self.keyed_members
        return tuple(enumerate(self.positional_members))


@dataclass(frozen=True, slots=True)
class OutputRef:
    """A resolved member: an instance name and, for a route, the output field."""

    task_name: str
    output_field: str | None = None


@dataclass(frozen=True, slots=True)
class CollectionRef:
    """A collected input field as ``Workflow.get_dependencies`` reports it."""

    kind: CollectionKind
    positional_members: tuple[OutputRef, ...] = ()
    keyed_members: tuple[tuple[str, OutputRef], ...] = ()

    def output_refs(self) -> tuple[OutputRef, ...]:
        """The members in declaration order."""
        if self.kind == "keyed":
            return tuple(member for _, member in self.keyed_members)
        return self.positional_members


@overload
def collect(*members: TaskHandle[ModelT]) -> Collection[ModelT]: ...
@overload
def collect(members: Mapping[str, TaskHandle[ModelT]], /) -> Collection[ModelT]: ...
@overload
def collect(**keyed_members: TaskHandle[ModelT]) -> Collection[ModelT]: ...
@overload
def collect(
    *members: Member | Mapping[str, Member], **keyed_members: Member
) -> Collection[Any]: ...
def collect(*members: Member | Mapping[str, Member], **keyed_members: Member) -> Collection[Any]:
    """Several outputs into one input field: positional members fill a ``list[T]``,
    keyed ones (keywords, or one mapping) a ``dict[str, T]``, in declaration order."""
    if members and keyed_members:
        raise TypeError(
            contract.COLLECT_MIXED.format(positional=len(members), keywords=sorted(keyed_members))
        )
    if len(members) == 1 and isinstance(members[0], Mapping):
        keyed = members[0]
        for key in keyed:
            if not isinstance(key, str):
                raise TypeError(contract.COLLECT_KEY.format(key=key))
        return Collection("keyed", keyed_members=tuple(keyed.items()))
    if any(isinstance(member, Mapping) for member in members):
        raise TypeError(contract.COLLECT_MAPPING.format(count=len(members)))
    if keyed_members:
        return Collection("keyed", keyed_members=tuple(keyed_members.items()))
    positional: tuple[Member, ...] = members  # type: ignore[assignment]  # no mapping left
    return Collection("positional", positional_members=positional)
