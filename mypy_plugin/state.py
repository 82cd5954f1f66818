"""What a builder has registered so far, carried in the type of each builder value.

Each ``add_task`` hook reads the registry from its receiver's type and returns
the builder type with one more declaration, so no hook walks the chain back.
The registry lives in ``Instance.extra_attrs`` (the precedent is mypy's own
``functools.partial`` plugin), under keys with spaces so that they can never
resolve as attributes. Values are mypy types, as extra_attrs requires: task
classes as ``type[...]``, everything else as JSON in a ``Literal`` string.
Lookups by name and by class are keyed, so a hook touches only what it needs.

The keyed entries hang one level down, in the ``extra_attrs`` of one ``str``
instance under ``_REGISTRY``, beside the header. mypy hashes the builder type
of each call it checks, on more than one copy (``copy_modified`` shares
``extra_attrs`` but an ``Instance`` caches its hash, ``ExtraAttrs`` does not),
and every hash went through all the entries: twice per ``add_task``. One
level down, the entries are hashed once, by the instance that holds them. That
is still once per ``add_task`` (each call makes a new registry), so a chain of
n calls costs mypy O(n^2) hashing, half of what it was.

A built workflow keeps, the same way, its name and the input models of its
roots, which the ``Job`` hook checks the job config against (W13).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final, cast

from mypy.types import ExtraAttrs, Instance, LiteralType, Type, TypeType, get_proper_type
from mypy.typevars import fill_typevars_with_any

from .wiring import ClassRef, ConfigField, Declaration, Pos, TaskRef, Wire

__all__ = ["BuilderState", "Header", "Result", "RootInput", "Span", "read_roots", "with_roots"]

_HEADER: Final = "taskmaestro builder"
_REGISTRY: Final = "taskmaestro registry"
_WORKFLOW: Final = "taskmaestro workflow"

type Span = tuple[int, int, int, int]
"""line, column, end line, end column of the call expression that made a builder value."""

type _Json = bool | int | float | str | list[_Json] | dict[str, _Json] | None


@dataclass(frozen=True, slots=True)
class Result:
    """``result_task``: a reference (None: not literal) and where it was given."""

    ref: TaskRef | None
    pos: Pos


@dataclass(frozen=True, slots=True)
class Header:
    workflow: str | None
    """The workflow's name, when it is a literal."""
    count: int
    complete: bool
    """True while every step since ``Workflow.builder(...)`` is one fluent expression."""
    span: Span
    result: Result | None
    unknown_names: bool
    """Some declaration has a name that is not literal."""
    unknown_tasks: bool
    """Some declaration's task is not a literal class."""


class BuilderState:
    """The registry of one builder value: a header plus keyed entries."""

    __slots__ = ("_attrs", "_cache", "header")

    def __init__(self, header: Header, attrs: dict[str, Type]) -> None:
        self.header = header
        self._attrs = attrs
        self._cache: dict[int, Declaration] = {}

    @classmethod
    def new(
        cls, workflow: str | None, result: Result | None, span: Span, complete: bool = True
    ) -> BuilderState:
        """An empty registry; ``complete=False`` for a builder that may hold unseen tasks."""
        header = Header(workflow, 0, complete, span, result, False, False)
        return cls(header, {})

    @classmethod
    def read(cls, typ: Type) -> BuilderState | None:
        proper = get_proper_type(typ)
        if not isinstance(proper, Instance) or proper.extra_attrs is None:
            return None
        attrs = proper.extra_attrs.attrs
        raw = _literal(attrs.get(_HEADER))
        registry = get_proper_type(attrs.get(_REGISTRY))
        if raw is None or not isinstance(registry, Instance) or registry.extra_attrs is None:
            return None
        data = json.loads(raw)
        result = data["result"]
        header = Header(
            workflow=data["workflow"],
            count=data["count"],
            complete=data["complete"],
            span=cast("Span", tuple(data["span"])),
            result=None if result is None else Result(_ref(result["ref"]), Pos(*result["pos"])),
            unknown_names=data["unknown_names"],
            unknown_tasks=data["unknown_tasks"],
        )
        return cls(header, registry.extra_attrs.attrs)

    def attach(self, instance: Instance, str_type: Instance) -> Instance:
        """``instance`` carrying this registry (a copy: types are shared)."""
        header = self.header
        result = header.result
        data: dict[str, _Json] = {
            "workflow": header.workflow,
            "count": header.count,
            "complete": header.complete,
            "span": list(header.span),
            "result": None
            if result is None
            else {"ref": _ref_json(result.ref), "pos": [result.pos.line, result.pos.column]},
            "unknown_names": header.unknown_names,
            "unknown_tasks": header.unknown_tasks,
        }
        attrs: dict[str, Type] = {
            _HEADER: LiteralType(json.dumps(data), str_type),
            _REGISTRY: _with_attrs(str_type, dict(self._attrs)),
        }
        return _with_attrs(instance, attrs)

    def declaration(self, index: int) -> Declaration:
        cached = self._cache.get(index)
        if cached is not None:
            return cached
        raw = _literal(self._attrs.get(_declaration_key(index)))
        assert raw is not None, f"builder registry has no declaration {index}"
        data = json.loads(raw)
        task = get_proper_type(self._attrs.get(_task_key(index)))
        info = None
        if isinstance(task, TypeType) and isinstance(task.item, Instance):
            info = task.item.type
        config = data["config"]
        wires = data["wires"]
        declaration = Declaration(
            name=data["name"],
            task=info,
            config_fields=None
            if config is None
            else tuple(ConfigField(name, Pos(line, column)) for name, line, column in config),
            wires=None if wires is None else tuple(_wire(wire) for wire in wires),
            pos=Pos(*data["pos"]),
        )
        self._cache[index] = declaration
        return declaration

    def declarations(self) -> list[Declaration]:
        return [self.declaration(index) for index in range(self.header.count)]

    def by_name(self, name: str) -> Sequence[int]:
        """Indexes of the declarations registered under ``name``."""
        return _indexes(self._attrs.get(_name_key(name)))

    def by_class(self, fullname: str) -> Sequence[int]:
        """Indexes of the declarations of the task class ``fullname``."""
        return _indexes(self._attrs.get(_class_key(fullname)))

    def added(
        self, declaration: Declaration, complete: bool, span: Span, str_type: Instance
    ) -> BuilderState:
        """A new registry: this one plus ``declaration`` (this one is left unchanged)."""
        index = self.header.count
        attrs = dict(self._attrs)
        task = declaration.task
        if task is not None:
            attrs[_task_key(index)] = TypeType(fill_typevars_with_any(task))
            key = _class_key(task.fullname)
            attrs[key] = _literal_json([*self.by_class(task.fullname), index], str_type)
        if declaration.name is not None:
            key = _name_key(declaration.name)
            attrs[key] = _literal_json([*self.by_name(declaration.name), index], str_type)
        attrs[_declaration_key(index)] = _literal_json(_declaration_json(declaration), str_type)
        header = replace(
            self.header,
            count=index + 1,
            complete=complete,
            span=span,
            unknown_names=self.header.unknown_names or declaration.name is None,
            unknown_tasks=self.header.unknown_tasks or task is None,
        )
        state = BuilderState(header, attrs)
        state._cache = dict(self._cache)
        state._cache[index] = declaration
        return state


@dataclass(frozen=True, slots=True)
class RootInput:
    """A root task without config_fields: the job config must fit its input (W13)."""

    name: str
    model: Instance


def with_roots(
    instance: Instance, workflow: str | None, roots: Sequence[RootInput], str_type: Instance
) -> Instance:
    """A ``Workflow[I, O]`` type that also records its name and root inputs."""
    attrs: dict[str, Type] = {
        _WORKFLOW: _literal_json({"name": workflow, "roots": [r.name for r in roots]}, str_type)
    }
    for index, root in enumerate(roots):
        attrs[f"taskmaestro root {index}"] = root.model
    return _with_attrs(instance, attrs)


def read_roots(typ: Instance) -> tuple[str | None, list[RootInput]] | None:
    """The workflow name and root inputs recorded by ``with_roots``, if any."""
    if typ.extra_attrs is None:
        return None
    attrs = typ.extra_attrs.attrs
    raw = _literal(attrs.get(_WORKFLOW))
    if raw is None:
        return None
    data = json.loads(raw)
    roots: list[RootInput] = []
    for index, name in enumerate(data["roots"]):
        model = get_proper_type(attrs.get(f"taskmaestro root {index}"))
        if isinstance(model, Instance):
            roots.append(RootInput(name, model))
    return data["name"], roots


def _with_attrs(instance: Instance, attrs: dict[str, Type]) -> Instance:
    copy = instance.copy_modified()
    copy.extra_attrs = ExtraAttrs(attrs)
    return copy


def _task_key(index: int) -> str:
    return f"taskmaestro task {index}"


def _declaration_key(index: int) -> str:
    return f"taskmaestro declaration {index}"


def _name_key(name: str) -> str:
    return f"taskmaestro name {name}"


def _class_key(fullname: str) -> str:
    return f"taskmaestro class {fullname}"


def _literal(typ: Type | None) -> str | None:
    proper = get_proper_type(typ) if typ is not None else None
    if isinstance(proper, LiteralType) and isinstance(proper.value, str):
        return proper.value
    return None


def _literal_json(value: _Json, str_type: Instance) -> LiteralType:
    return LiteralType(json.dumps(value, separators=(",", ":")), str_type)


def _indexes(typ: Type | None) -> Sequence[int]:
    raw = _literal(typ)
    return () if raw is None else tuple(json.loads(raw))


def _ref_json(ref: TaskRef | None) -> _Json:
    if ref is None:
        return None
    if isinstance(ref, ClassRef):
        return ["class", ref.fullname, ref.name]
    return ["name", ref]


def _ref(data: _Json) -> TaskRef | None:
    if not isinstance(data, list):
        return None
    if data[0] == "class":
        return ClassRef(str(data[1]), str(data[2]))
    return str(data[1])


def _declaration_json(declaration: Declaration) -> _Json:
    config = declaration.config_fields
    wires = declaration.wires
    return {
        "name": declaration.name,
        "config": None
        if config is None
        else [[field.name, field.pos.line, field.pos.column] for field in config],
        "wires": None
        if wires is None
        else [
            [
                _ref_json(wire.ref),
                wire.source_field,
                wire.target_field,
                wire.pos.line,
                wire.pos.column,
                wire.pending,
            ]
            for wire in wires
        ],
        "pos": [declaration.pos.line, declaration.pos.column],
    }


def _wire(data: list[_Json]) -> Wire:
    ref, source_field, target_field, line, column, pending = data
    assert source_field is None or isinstance(source_field, str)
    assert target_field is None or isinstance(target_field, str)
    assert isinstance(line, int)
    assert isinstance(column, int)
    assert isinstance(pending, bool)
    return Wire(_ref(ref), source_field, target_field, Pos(line, column), pending)
