"""Hooks from ``runner.hooks`` entries: ``params`` checked against the constructor.

Each parameter must be one the constructor takes by keyword; its value is
validated against the parameter's annotation (pydantic, lax mode, so a ``Path``
parameter gets a ``Path``), and a relative path given to a parameter that
accepts a ``Path`` is taken relative to the workflow file's folder.
"""

from __future__ import annotations

import inspect
import os
import types
import typing
from pathlib import PurePath
from typing import Any, cast

from pydantic import ConfigDict, TypeAdapter, ValidationError

from .._typecompat import format_annotation
from ..hooks.base import EVENTS, TASK_RETRY, BaseHook, Hook
from .format import HookEntry
from .shapes import Marked
from .source import Source

__all__ = ["check_hook_class", "make_hook"]

CANNOT_INSTANTIATE = "Cannot instantiate hook"
"""0.1.0's key phrase for a hook that cannot be built from its entry."""

_BY_KEYWORD = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def check_hook_class(found: object, path: Marked[str], source: Source, at: str) -> type[Hook]:
    """``found`` itself if it is a hook class, else a located error saying what a hook is.

    As for the runner, any class with at least one hook method is a hook: it
    need not subclass ``BaseHook`` (events it lacks a method for are skipped).
    """
    if isinstance(found, type) and (
        issubclass(found, BaseHook)
        or any(callable(getattr(found, e, None)) for e in (*EVENTS, TASK_RETRY))
    ):
        return cast("type[Hook]", found)
    raise source.error(
        path.node,
        f"{at}: '{path.value}' is not a BaseHook subclass, nor a class with any of the hook "
        f"methods ({', '.join(EVENTS)})",
    )


def make_hook(cls: type[Hook], entry: HookEntry, source: Source, at: str) -> Hook:
    """An instance of ``cls`` built from ``entry.params``, each checked first."""
    shown = entry.hook.value
    try:
        parameters = inspect.signature(cls).parameters
    except (TypeError, ValueError):  # no signature to check against: pass params as they are
        parameters = None
    hints = _type_hints(cls)
    arguments: dict[str, object] = {}
    for key, value in entry.params:
        name = key.value
        parameter = parameters.get(name) if parameters is not None else None
        if parameters is not None and (parameter is None or parameter.kind not in _BY_KEYWORD):
            if parameter is None and _takes_any_keyword(parameters):
                arguments[name] = value.value
                continue
            accepted = [p.name for p in parameters.values() if p.kind in _BY_KEYWORD]
            raise source.error(
                key.node,
                f"{at}.params: {CANNOT_INSTANTIATE} '{shown}': it has no parameter '{name}' "
                f"(its parameters: {', '.join(accepted) or 'none'})",
            )
        annotation = hints.get(name, parameter.annotation if parameter else inspect.Parameter.empty)
        arguments[name] = _validated(value, annotation, source, f"{at}.params.{name}")
    if parameters is not None:
        missing = [
            p.name
            for p in parameters.values()
            if p.kind in _BY_KEYWORD and p.default is p.empty and p.name not in arguments
        ]
        if missing:
            raise source.error(
                entry.node,
                f"{at}: {CANNOT_INSTANTIATE} '{shown}': it needs the parameter(s) "
                f"{', '.join(missing)} under 'params'",
            )
    try:
        return cls(**arguments)
    except Exception as error:
        raise source.error(
            entry.hook.node,
            f"{at}: {CANNOT_INSTANTIATE} '{shown}': {type(error).__name__}: {error}",
        ) from error


def _takes_any_keyword(parameters: typing.Mapping[str, inspect.Parameter]) -> bool:
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())


def _type_hints(cls: type[Hook]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls.__init__)
    except Exception:  # unresolvable annotations (e.g. names imported only for type checking)
        return {}


def _validated(value: Marked[object], annotation: object, source: Source, at: str) -> object:
    data = value.value
    if annotation is inspect.Parameter.empty or annotation is Any:
        return data
    if isinstance(data, str) and _accepts_path(annotation):
        data = source.directory / data
    adapter = _adapter(annotation)
    if adapter is None:  # an annotation pydantic cannot check: the constructor decides
        return data
    try:
        return adapter.validate_python(data)
    except ValidationError as error:
        first = error.errors()[0]
        raise source.error(
            value.node,
            f"{at}: expected {format_annotation(annotation)}: {first['msg']}",
        ) from None


def _adapter(annotation: object) -> TypeAdapter[Any] | None:
    for config in (ConfigDict(arbitrary_types_allowed=True), None):
        try:
            return TypeAdapter(cast("Any", annotation), config=config)
        except Exception:  # e.g. config is refused for model types; then try without
            continue
    return None


def _accepts_path(annotation: object) -> bool:
    """True for ``Path``, ``PurePath`` and ``os.PathLike``, alone or in a union."""
    if isinstance(annotation, type):
        return issubclass(annotation, PurePath) or annotation is os.PathLike
    origin = typing.get_origin(annotation)
    if origin is os.PathLike:
        return True
    if origin is typing.Union or origin is types.UnionType or origin is typing.Annotated:
        return any(_accepts_path(argument) for argument in typing.get_args(annotation))
    return False
