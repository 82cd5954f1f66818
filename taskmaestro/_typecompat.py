"""Runtime assignability between annotations: the relation of the wiring rules.

``is_assignable(src, dst)`` answers "may a value typed ``src`` flow where ``dst``
is expected?" the way mypy's subtype check does, for the annotations that
Pydantic models use: classes, builtin and ``collections.abc`` generics, unions
and ``Optional``, ``Literal``, ``Annotated`` (metadata ignored), ``Any``,
``NewType``, ``type`` aliases, ``Callable`` and generic models such as
``ObjectModel[T]``.
An annotation it does not understand is compatible only with itself; it never
raises.
"""

from __future__ import annotations

import collections
import collections.abc as abc
import types
import typing
from typing import Annotated, Any, Literal, NewType, TypeAliasType, Union, get_args, get_origin

from pydantic import BaseModel

__all__ = ["format_annotation", "is_assignable"]

_MAX_DEPTH = 40

_NONE_TYPE = type(None)

# Generic collection origins, by how their type arguments vary.
_COVARIANT_1 = frozenset(
    {
        abc.Sequence,
        abc.Iterable,
        abc.Iterator,
        abc.Collection,
        abc.Container,
        abc.Reversible,
        abc.Set,
        abc.KeysView,
        abc.ValuesView,
        frozenset,
        type,
    }
)
_INVARIANT_1 = frozenset({list, set, collections.deque, abc.MutableSequence, abc.MutableSet})
_MAPPINGS = frozenset(
    {dict, collections.defaultdict, collections.OrderedDict, abc.Mapping, abc.MutableMapping}
)
_COVARIANT_VALUE_MAPPINGS = frozenset({abc.Mapping})

_CALLABLE: type = abc.Callable  # type: ignore[assignment]  # a typing special form to mypy

_INVARIANT = 0
_COVARIANT = 1
_CONTRAVARIANT = -1


def is_assignable(src: object, dst: object) -> bool:
    """True when a value annotated ``src`` may be used where ``dst`` is expected."""
    return _assignable(src, dst, 0)


def _assignable(src: object, dst: object, depth: int) -> bool:
    src, dst = _normalize(src), _normalize(dst)
    if src is Any or dst is Any or dst is object or _same(src, dst):
        return True
    if depth > _MAX_DEPTH:
        return False
    depth += 1
    if _is_union(src):
        return all(_assignable(member, dst, depth) for member in get_args(src))
    if _is_union(dst):
        return any(_assignable(src, member, depth) for member in get_args(dst))
    if get_origin(src) is Literal:
        return _literal_assignable(get_args(src), dst, depth)
    if get_origin(dst) is Literal:
        return False
    if isinstance(src, NewType):
        return _assignable(src.__supertype__, dst, depth)
    if isinstance(src, type) and isinstance(dst, type):
        return _class_assignable(src, dst, depth)
    src_origin, src_args = _split(src)
    dst_origin, dst_args = _split(dst)
    if not isinstance(src_origin, type) or not isinstance(dst_origin, type):
        return False
    if dst_origin is _CALLABLE:
        return _callable_assignable(src_origin, src_args, dst_args, depth)
    if dst_origin is tuple or src_origin is tuple:
        return _tuple_assignable(src_origin, src_args, dst_origin, dst_args, depth)
    if not _is_subclass(src_origin, dst_origin):
        return False
    if not dst_args or not src_args:
        return True  # a bare generic has Any arguments
    mapped = _map_arguments(src_origin, src_args, dst_origin)
    variances = _variances(dst_origin, len(dst_args))
    if mapped is None or variances is None or len(mapped) != len(dst_args):
        return False
    return all(
        _argument_fits(s, d, v, depth) for s, d, v in zip(mapped, dst_args, variances, strict=True)
    )


def _class_assignable(src: type, dst: type, depth: int) -> bool:
    """Plain classes, including parametrized generic models such as ``ObjectModel[X]``."""
    if _is_subclass(src, dst) or _promotes(src, dst):
        return True
    # Two parametrizations of one generic model: compare arguments by variance.
    src_origin, src_args = _split(src)
    dst_origin, dst_args = _split(dst)
    if not src_args and _is_bare_generic(src) and isinstance(dst_origin, type):
        return _is_subclass(src, dst_origin)  # a bare generic model has Any arguments
    if not src_args or src_origin is not dst_origin or not isinstance(dst_origin, type):
        return False
    variances = _variances(dst_origin, len(dst_args))
    if variances is None or len(src_args) != len(dst_args):
        return False
    return all(
        _argument_fits(s, d, v, depth)
        for s, d, v in zip(src_args, dst_args, variances, strict=True)
    )


def _argument_fits(src: object, dst: object, variance: int, depth: int) -> bool:
    if variance == _COVARIANT:
        return _assignable(src, dst, depth)
    if variance == _CONTRAVARIANT:
        return _assignable(dst, src, depth)
    return _assignable(src, dst, depth) and _assignable(dst, src, depth)


def _normalize(annotation: object) -> object:
    for _ in range(_MAX_DEPTH):
        if annotation is None:
            return _NONE_TYPE
        if isinstance(annotation, TypeAliasType):
            annotation = annotation.__value__
            continue
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
            continue
        return annotation
    return annotation


def _same(a: object, b: object) -> bool:
    try:
        return a is b or bool(a == b)
    except Exception:
        return False


def _is_union(annotation: object) -> bool:
    origin = get_origin(annotation)
    return origin is Union or origin is types.UnionType


def _literal_assignable(values: tuple[object, ...], dst: object, depth: int) -> bool:
    if get_origin(dst) is Literal:
        wanted = {(type(v), v) for v in get_args(dst)}
        return all((type(v), v) in wanted for v in values)
    return all(_assignable(type(v), dst, depth) for v in values)


def _split(annotation: object) -> tuple[object, tuple[object, ...]]:
    """Split an annotation into its origin class and type arguments."""
    origin = get_origin(annotation)
    if origin is not None:
        return origin, get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        # BaseModel itself has no metadata (pydantic's metaclass raises AttributeError).
        metadata = getattr(annotation, "__pydantic_generic_metadata__", None)
        if metadata is not None and metadata["origin"] is not None:
            return metadata["origin"], tuple(metadata["args"])
    return annotation, ()


def _is_bare_generic(cls: type) -> bool:
    """A generic class without its type arguments (``Batch``, not ``Batch[int]``)."""
    metadata = getattr(cls, "__pydantic_generic_metadata__", None)
    if metadata is not None:
        return bool(metadata["parameters"]) and metadata["origin"] is None
    return bool(getattr(cls, "__parameters__", ()))


def _promotes(src: type, dst: type) -> bool:
    """mypy's numeric promotions: int -> float -> complex."""
    if dst is float:
        return _is_subclass(src, int)
    if dst is complex:
        return _is_subclass(src, int) or _is_subclass(src, float)
    return False


def _is_subclass(src: type, dst: type) -> bool:
    try:
        return issubclass(src, dst)
    except TypeError:
        return False


def _callable_assignable(
    src_origin: type, src_args: tuple[object, ...], dst_args: tuple[object, ...], depth: int
) -> bool:
    """``Callable[[P...], R]`` as mypy relates it: parameters contravariant, result covariant.

    ``...`` for the parameters fits any parameter list either way; a bare
    ``Callable`` has ``...`` parameters and an ``Any`` result.
    """
    if src_origin is type and len(src_args) == 1 and dst_args:
        # A class is its constructor: against ``...`` parameters only the result counts
        # (a parameter list would need the constructor's signature: refused).
        params, result = _callable_parts(dst_args)
        return params is None and _assignable(src_args[0], result, depth)
    if src_origin is not _CALLABLE:
        return _is_subclass(src_origin, _CALLABLE) and not dst_args
    if not dst_args or not src_args:
        return True
    src_params, src_result = _callable_parts(src_args)
    dst_params, dst_result = _callable_parts(dst_args)
    if not _assignable(src_result, dst_result, depth):
        return False
    if src_params is None or dst_params is None:
        return True
    if len(src_params) != len(dst_params):
        return False
    return all(_assignable(d, s, depth) for s, d in zip(src_params, dst_params, strict=True))


def _callable_parts(args: tuple[object, ...]) -> tuple[tuple[object, ...] | None, object]:
    """The parameter types (None for ``...``) and the result type of a ``Callable``."""
    *params, result = args
    if len(params) == 1 and params[0] is Ellipsis:
        return None, result
    if len(params) == 1 and isinstance(params[0], list):
        return tuple(params[0]), result
    return tuple(params), result


def _tuple_assignable(
    src_origin: type,
    src_args: tuple[object, ...],
    dst_origin: type,
    dst_args: tuple[object, ...],
    depth: int,
) -> bool:
    src_items = _tuple_items(src_args) if src_origin is tuple else None
    if dst_origin is not tuple:
        # tuple[...] into Sequence[X], Iterable[X], ...: every item must fit X.
        if src_items is None or not _is_subclass(tuple, dst_origin):
            return False
        if not dst_args:
            return True
        if len(dst_args) != 1 or _variances(dst_origin, 1) != (_COVARIANT,):
            return False
        return all(_assignable(item, dst_args[0], depth) for item in src_items[0])
    if src_items is None:
        return False
    if not dst_args:
        return True
    dst_items = _tuple_items(dst_args)
    items, variadic = src_items
    wanted, wanted_variadic = dst_items
    if wanted_variadic:
        return all(_assignable(item, wanted[0], depth) for item in items)
    if variadic or len(items) != len(wanted):
        return False
    return all(_assignable(s, d, depth) for s, d in zip(items, wanted, strict=True))


def _tuple_items(args: tuple[object, ...]) -> tuple[tuple[object, ...], bool]:
    """The item types of a tuple annotation and whether it is ``tuple[X, ...]``."""
    if not args:
        return (Any,), True
    if len(args) == 2 and args[1] is Ellipsis:
        return (args[0],), True
    if args == ((),):
        return (), False
    return args, False


def _map_arguments(
    src_origin: type, src_args: tuple[object, ...], dst_origin: type
) -> tuple[object, ...] | None:
    """Express the type arguments of ``src_origin`` as those of ``dst_origin``."""
    if src_origin is dst_origin:
        return src_args
    src_kind, dst_kind = _kind(src_origin), _kind(dst_origin)
    if src_kind == dst_kind and src_kind is not None:
        return src_args
    if src_kind == "mapping" and dst_kind == "single":
        return src_args[:1]  # iterating a mapping yields its keys
    return None


def _kind(origin: type) -> str | None:
    if origin in _MAPPINGS:
        return "mapping"
    if origin in _COVARIANT_1 or origin in _INVARIANT_1:
        return "single"
    return None


def _variances(origin: type, count: int) -> tuple[int, ...] | None:
    if origin in _COVARIANT_1:
        return (_COVARIANT,)
    if origin in _INVARIANT_1:
        return (_INVARIANT,)
    if origin in _COVARIANT_VALUE_MAPPINGS:
        return (_INVARIANT, _COVARIANT)
    if origin in _MAPPINGS:
        return (_INVARIANT, _INVARIANT)
    parameters: tuple[object, ...] = ()
    if issubclass(origin, BaseModel):
        parameters = tuple(origin.__pydantic_generic_metadata__["parameters"])
    else:
        parameters = tuple(getattr(origin, "__parameters__", ()))
    if len(parameters) != count:
        return None
    return tuple(_variance_of(p) for p in parameters)


def _variance_of(parameter: object) -> int:
    if getattr(parameter, "__covariant__", False):
        return _COVARIANT
    if getattr(parameter, "__contravariant__", False):
        return _CONTRAVARIANT
    return _INVARIANT


def format_annotation(annotation: object) -> str:
    """A short, readable spelling of an annotation for messages and diagrams.

    A bare class reads by its qualified name, so a nested model is ``Publish.Inputs``
    (issue 17.6); inside brackets or unions classes keep their short names, as mypy
    (and so the plugin) prints them.
    """
    normalized = _normalize(annotation)
    if (
        isinstance(normalized, type)
        and get_origin(normalized) is None
        and normalized not in (_NONE_TYPE, Any)
    ):
        return normalized.__qualname__.rpartition("<locals>.")[2]
    return _format(normalized)


def _format(annotation: object) -> str:
    annotation = _normalize(annotation)
    if annotation is _NONE_TYPE:
        return "None"
    if annotation is Any:
        return "Any"
    if _is_union(annotation):
        return " | ".join(_format(a) for a in get_args(annotation))
    origin = get_origin(annotation)
    if origin is Literal:
        return f"Literal[{', '.join(repr(a) for a in get_args(annotation))}]"
    if origin is not None:
        args = get_args(annotation)
        name = getattr(origin, "__name__", None) or repr(origin)
        if args == ((),):
            return f"{name}[()]"
        return f"{name}[{', '.join(_format_arg(a) for a in args)}]"
    if isinstance(annotation, type | NewType | typing.TypeVar):
        return str(annotation.__name__)
    return repr(annotation).removeprefix("typing.")


def _format_arg(arg: object) -> str:
    if arg is Ellipsis:
        return "..."
    if isinstance(arg, list):
        return f"[{', '.join(_format(a) for a in arg)}]"
    return _format(arg)
