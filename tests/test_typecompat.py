"""The runtime assignability relation of the wiring contract, case by case."""

from __future__ import annotations

import collections
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, Generic, Literal, NewType, Optional, TypeVar, Union

import pytest
from pydantic import BaseModel

from taskmaestro import ExecutionContext, ObjectModel, Task, Workflow
from taskmaestro._typecompat import format_annotation, is_assignable
from taskmaestro.exceptions import WorkflowDefinitionError

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Base(BaseModel):
    x: int = 0


class Sub(Base):
    y: int = 0


class Other(BaseModel):
    x: int = 0


class Handle:
    pass


class OtherHandle:
    pass


class Box(BaseModel, Generic[T]):
    item: T


class Frozen(BaseModel, Generic[T_co]):
    item: T_co


UserId = NewType("UserId", int)
type IntList = list[int]


class Extra(ObjectModel[Handle]):
    note: str = ""


ASSIGNABLE = [
    (Base, Base),
    (Sub, Base),
    (int, float),
    (bool, int),
    (int, complex),
    (float, complex),
    (Any, Base),
    (Base, Any),
    (Base, object),
    (Base, Base | None),
    (Base, Optional[Base]),  # noqa: UP045 - the typing spelling is what users write too
    (None, Base | None),
    (Sub, Union[Other, Base]),  # noqa: UP007
    (Literal["x"], str),
    (Literal["x"], Literal["x", "y"]),
    (Literal[1, 2], int),
    (Annotated[int, "meta"], int),
    (int, Annotated[int, "meta"]),
    (list[int], list[int]),
    (list[Any], list[int]),
    (list[int], Sequence[int]),
    (list[Sub], Sequence[Base]),
    (typing.List[int], list[int]),  # noqa: UP006
    (list, list[int]),
    (dict[str, Sub], Mapping[str, Base]),
    (dict[str, int], dict[str, int]),
    (collections.OrderedDict[str, int], dict[str, int]),
    (tuple[int, str], tuple[int, str]),
    (tuple[int, int], tuple[int, ...]),
    (tuple[Sub, ...], Sequence[Base]),
    (frozenset[Sub], frozenset[Base]),
    (type[Sub], type[Base]),
    (UserId, int),
    (IntList, list[int]),
    (ObjectModel[Handle], ObjectModel[Handle]),
    (Extra, ObjectModel[Handle]),
    (Frozen[Sub], Frozen[Base]),
    (int | None, float | None),
    (Literal["a"] | None, str | None),
    # Callable: parameters contravariant, result covariant, `...` fits any parameters.
    (Callable[[float], int], Callable[[float], float]),
    (Callable[[float], int], Callable[[int], int]),
    (Callable[[], Sub], Callable[[], Base]),
    (Callable[..., int], Callable[[int, str], int]),
    (Callable[[int], int], Callable[..., float]),
    (typing.Callable[[int], int], Callable[[int], int]),
    (Callable, Callable[[int], int]),
    (Callable[[int], int], Callable),
    (Callable[[int], int], Callable[[int], int] | None),
    (type[Sub], Callable[..., Base]),  # a class is its constructor, as for mypy
    (type[Base], Callable[..., Any]),
    (Box, Box[Base]),  # a bare generic model has Any arguments, as for mypy
]

NOT_ASSIGNABLE = [
    (Base, Sub),
    (Other, Base),
    (float, int),
    (str, int),
    (Base | None, Base),
    (None, Base),
    (str, Literal["x"]),
    (Literal["z"], Literal["x", "y"]),
    (Literal[1], Literal[True]),
    (list[Sub], list[Base]),
    (list[int], list[str]),
    (dict[str, Sub], dict[str, Base]),
    (Sequence[int], list[int]),
    (dict[str, int], Mapping[int, int]),
    (tuple[int, str], tuple[int, ...]),
    (tuple[int], tuple[int, int]),
    (tuple[int, ...], tuple[int, int]),
    (set[int], Sequence[int]),
    (int, UserId),
    (ObjectModel[Handle], ObjectModel[OtherHandle]),
    (Extra, ObjectModel[OtherHandle]),
    (Box[Sub], Box[Base]),
    (Base, int),
    (Callable[[float], float], Callable[[float], int]),
    (Callable[[int], int], Callable[[float], int]),
    (Callable[[int, str], int], Callable[[int], int]),
    (Callable[[Base], int], Callable[[Base], str]),
    (Callable[[int], int], int),
    (int, Callable[[int], int]),
    (list[Base], list[BaseModel]),  # pydantic's BaseModel itself: no generic metadata
    (type[Other], Callable[..., Base]),
    (type[Base], Callable[[int], Base]),  # the constructor's signature is not compared
    (BaseModel, Base),
]


@pytest.mark.parametrize(("src", "dst"), ASSIGNABLE, ids=repr)
def test_assignable(src: object, dst: object) -> None:
    assert is_assignable(src, dst)


@pytest.mark.parametrize(("src", "dst"), NOT_ASSIGNABLE, ids=repr)
def test_not_assignable(src: object, dst: object) -> None:
    assert not is_assignable(src, dst)


class Owner:
    class Nested(BaseModel):
        x: int


class Weird:
    """An annotation object nobody knows: only equal to itself."""

    def __eq__(self, other: object) -> bool:
        raise TypeError("cannot compare")

    __hash__ = object.__hash__


def test_unknown_annotations_never_raise() -> None:
    weird = Weird()
    assert is_assignable(weird, weird)
    assert not is_assignable(weird, int)
    assert not is_assignable(int, weird)
    assert not is_assignable("ForwardRef", int)
    assert is_assignable(typing.ForwardRef("X"), typing.ForwardRef("X"))


type Tree = list[Tree] | int


def test_recursive_alias_terminates() -> None:
    assert is_assignable(int, Tree)
    assert not is_assignable(str, Tree)


@pytest.mark.parametrize(
    ("annotation", "text"),
    [
        (Base, "Base"),
        (list[str], "list[str]"),
        (dict[str, int], "dict[str, int]"),
        (int | None, "int | None"),
        (Literal["a", 1], "Literal['a', 1]"),
        (tuple[int, ...], "tuple[int, ...]"),
        (Annotated[int, "m"], "int"),
        (Any, "Any"),
        (UserId, "UserId"),
        (Owner.Nested, "Owner.Nested"),  # issue 17.6, as the plugin prints it
        (list[Owner.Nested], "list[Nested]"),
        (Owner.Nested | None, "Nested | None"),
    ],
)
def test_format_annotation(annotation: object, text: str) -> None:
    assert format_annotation(annotation) == text


class _Made(BaseModel):
    to_int: Callable[[float], int]
    to_float: Callable[[float], float]


class _Wants(BaseModel):
    fn: Callable[[float], float]


class _WantsInt(BaseModel):
    fn: Callable[[float], int]


class _Make(Task[_Wants, _Made]):
    def run(self, input: _Wants, ctx: ExecutionContext) -> _Made:
        return _Made(to_int=round, to_float=abs)


class _Use(Task[_Wants, _Wants]):
    def run(self, input: _Wants, ctx: ExecutionContext) -> _Wants:
        return input


class _UseInt(Task[_WantsInt, _Wants]):
    def run(self, input: _WantsInt, ctx: ExecutionContext) -> _Wants:
        return _Wants(fn=float)


def test_callable_routes_agree_with_the_plugin() -> None:
    """typetests/test-types.yml::callable_route_follows_mypy_relation, at run time."""
    Workflow.builder(name="w").add_task(_Make).add_task(
        _Use, depends_on={"fn": (_Make, "to_int")}
    ).build()
    with pytest.raises(WorkflowDefinitionError, match="field 'fn'"):
        Workflow.builder(name="w").add_task(_Make).add_task(
            _UseInt,
            depends_on={"fn": (_Make, "to_float")},  # type: ignore[taskmaestro-type]
        ).build()
