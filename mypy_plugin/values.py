"""A literal JobConfiguration value judged as the runtime judges it: by pydantic (17.5).

``Job(...)`` validates each configured value with pydantic in lax mode, so ``"3"``
fits an ``int`` field and ``"slow"`` a ``Literal["fast", "slow"]`` one, while mypy's
relation would refuse the first. Where the field's type is one pydantic can be asked
about directly (``int``, ``float``, ``str``, ``bool``, ``bytes``, ``None``, literals,
unions of them, and lists, sets, dicts and tuples of them), the plugin asks it, and
reports the runtime's own words; for any other type it says nothing (the runtime
decides alone).
"""

from __future__ import annotations

import operator
from functools import lru_cache, reduce
from typing import Any, Final, Literal

from mypy.types import (
    Instance,
    LiteralType,
    NoneType,
    TupleType,
    Type,
    UnionType,
    get_proper_type,
)

__all__ = ["NOT_LITERAL", "runtime_annotation", "value_problem"]

NOT_LITERAL: Final = object()
"""The value of an expression that is no scalar literal."""

_CONTAINERS: Final[dict[str, type]] = {
    "builtins.list": list,
    "builtins.set": set,
    "builtins.frozenset": frozenset,
    "builtins.dict": dict,
    "builtins.tuple": tuple,
}
_BUILTINS: Final[dict[str, type]] = {
    "builtins.int": int,
    "builtins.float": float,
    "builtins.str": str,
    "builtins.bool": bool,
    "builtins.bytes": bytes,
}


def runtime_annotation(typ: Type) -> object | None:
    """The run-time annotation a field type stands for, or None if it is none of the above."""
    proper = get_proper_type(typ)
    if isinstance(proper, Instance) and not proper.args and not proper.type.is_enum:
        return _BUILTINS.get(proper.type.fullname)
    if isinstance(proper, Instance) and proper.type.fullname in _CONTAINERS:
        arguments = [runtime_annotation(arg) for arg in proper.args]
        if any(arg is None for arg in arguments):
            return None
        container: Any = _CONTAINERS[proper.type.fullname]
        if container is tuple:
            arguments.append(...)  # mypy's tuple[X, ...] is an Instance of one argument
        spelled_container: object = container[tuple(arguments)]
        return spelled_container
    if isinstance(proper, TupleType) and proper.partial_fallback.type.fullname == "builtins.tuple":
        items = [runtime_annotation(item) for item in proper.items]
        if any(item is None for item in items) or not items:
            return None
        fixed: Any = tuple
        spelled_tuple: object = fixed[tuple(items)]
        return spelled_tuple
    if isinstance(proper, NoneType):
        return type(None)
    if isinstance(proper, LiteralType) and not proper.is_enum_literal():
        literal: Any = Literal
        spelled: object = literal[proper.value]
        return spelled
    if isinstance(proper, UnionType):
        return _union(proper.items)
    return None


def _union(members: list[Type]) -> object | None:
    """mypy spells ``Literal["a", "b"]`` as a union of one-value literals: they become one
    ``Literal`` again, where the first stood, so pydantic words its error as at run time."""
    items: list[object] = []
    values: list[object] = []
    for member in members:
        proper = get_proper_type(member)
        if isinstance(proper, LiteralType) and not proper.is_enum_literal():
            if not values:
                items.append(values)  # a placeholder for the joined literal
            values.append(proper.value)
            continue
        item = runtime_annotation(proper)
        if item is None:
            return None
        items.append(item)
    literal: Any = Literal
    joined = [literal[tuple(values)] if item is values else item for item in items]
    union: object = reduce(operator.or_, joined)
    return union


def value_problem(value: object, annotation: object) -> str | None:
    """Why pydantic refuses ``value`` for ``annotation``, in its words (as the runtime joins
    them); None when it accepts it."""
    if isinstance(value, list | dict | set):
        return _problem.__wrapped__(type(value).__name__, value, annotation)  # not hashable
    return _problem(type(value).__name__, value, annotation)


@lru_cache(maxsize=256)
def _problem(kind: str, value: object, annotation: Any) -> str | None:
    """``kind`` keeps ``1``, ``1.0`` and ``True`` apart in the cache."""
    # Imported here, not at the top: only a module with a literal JobConfiguration pays
    # for pydantic's validators; every other mypy run loads the plugin without them.
    from pydantic import TypeAdapter, ValidationError

    try:
        TypeAdapter(annotation).validate_python(value)
    except ValidationError as invalid:
        return "; ".join(error["msg"] for error in invalid.errors(include_url=False))
    return None
