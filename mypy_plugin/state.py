"""What a builder has registered so far, carried in the type of each builder value.

Each ``add_task`` hook reads the registry from its receiver's type and returns
the builder type with one more declaration, so no hook walks the chain back.
The registry lives in ``Instance.extra_attrs`` (the precedent is mypy's own
``functools.partial`` plugin), under keys with spaces so that they can never
resolve as attributes. Values are mypy types, as extra_attrs requires: task
classes as ``type[...]``, everything else as JSON in a ``Literal`` string.

A builder type is immutable and mypy hashes it at each call it checks, so the
registry is shaped for sharing (issue 17.4): the builder type's own
``extra_attrs`` hold the header and, by reference, fixed-size chunks of
declarations and buckets of the name and class indexes (each in the
``extra_attrs`` of a ``str`` instance of its own). Adding a task copies one
chunk, at most two buckets and the small table of references; every other
part is shared with the receiver's registry, and each ``Instance`` caches its
hash, so mypy re-hashes only what changed. The cost of an ``add_task`` no
longer grows with the number of tasks before it (a bucket grows by n/64, a
tiny fraction of the whole registry).

Every builder type of a chain stays alive until mypy has checked the whole
statement (it keeps the type of each subexpression), and mypy's own
expression cache holds a type map per nesting level of the chain. Each
object the garbage collector tracks that a step keeps alive brings its next
young collection closer, and a collection during a long chain walks those
large maps: so a step keeps as few tracked objects as it can (no registry
instance between the builder type and its parts, one shared empty
``immutable`` set), and decoded entries are remembered by the identity of
the literal they come from (``_Memo``) instead of parsed again by each
later step.

A built workflow keeps, the same way, its name and the input models of its
roots, which the ``Job`` hook checks the job config against (W13).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Final, NamedTuple, cast

from mypy.types import ExtraAttrs, Instance, LiteralType, Type, TypeType, get_proper_type
from mypy.typevars import fill_typevars_with_any

from .models import Slot, declared_models
from .wiring import ClassRef, ConfigField, Declaration, Pos, TaskRef, Wire

__all__ = [
    "BuilderState",
    "Configured",
    "Header",
    "Result",
    "RootInput",
    "Span",
    "WorkflowFacts",
    "read_roots",
    "with_roots",
]

_CHUNK: Final = 64
"""Declarations per chunk."""
_BUCKETS: Final = 64
"""Buckets of the name and class indexes."""

_HEADER: Final = "taskmaestro builder"
_WORKFLOW: Final = "taskmaestro workflow"

type Span = tuple[int, int, int, int]
"""line, column, end line, end column of the call expression that made a builder value."""

type _Json = bool | int | float | str | list[_Json] | dict[str, _Json] | None


class Result(NamedTuple):
    """``result_task``: a reference (None: not literal) and where it was given."""

    ref: TaskRef | None
    pos: Pos


class Header(NamedTuple):
    workflow: str | None
    """The workflow's name, when it is a literal."""
    size: int
    """How many declarations the registry holds."""
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

    __slots__ = ("_attrs", "_cache", "_owned", "header")

    def __init__(self, header: Header, attrs: dict[str, Type], owned: bool = False) -> None:
        self.header = header
        self._attrs = attrs
        self._owned = owned
        """``attrs`` is this registry's own dict, not yet in any type: ``attach`` may fill it."""
        self._cache: dict[int, Declaration] = {}

    @classmethod
    def new(
        cls, workflow: str | None, result: Result | None, span: Span, complete: bool = True
    ) -> BuilderState:
        """An empty registry; ``complete=False`` for a builder that may hold unseen tasks."""
        header = Header(workflow, 0, complete, span, result, False, False)
        return cls(header, {}, owned=True)

    @classmethod
    def read(cls, typ: Type) -> BuilderState | None:
        proper = get_proper_type(typ)
        if not isinstance(proper, Instance) or proper.extra_attrs is None:
            return None
        attrs = proper.extra_attrs.attrs
        literal = get_proper_type(attrs.get(_HEADER))
        if not isinstance(literal, LiteralType) or not isinstance(literal.value, str):
            return None
        header = _headers.take(literal)  # made by the step before: not parsed again
        return cls(header, attrs)  # shared, never changed: its header key is replaced on attach

    def attach(self, instance: Instance, str_type: Instance) -> Instance:
        """``instance`` carrying this registry (a copy: types are shared)."""
        header = self.header
        result = header.result
        data: dict[str, _Json] = {
            "workflow": header.workflow,
            "count": header.size,
            "complete": header.complete,
            "span": list(header.span),
            "result": None
            if result is None
            else {"ref": _ref_json(result.ref), "pos": _pos_json(result.pos)},
            "unknown_names": header.unknown_names,
            "unknown_tasks": header.unknown_tasks,
        }
        attrs = self._attrs if self._owned else dict(self._attrs)
        self._owned = False
        literal = LiteralType(json.dumps(data), str_type)
        _headers.remember(literal, header)
        attrs[_HEADER] = literal
        return _with_attrs(instance, attrs)

    def declaration(self, index: int) -> Declaration:
        cached = self._cache.get(index)
        if cached is not None:
            return cached
        chunk = _part(self._attrs, _chunk_key(index))
        literal = get_proper_type(chunk.get(_declaration_key(index)))
        assert isinstance(literal, LiteralType), f"builder registry has no declaration {index}"
        parsed = _declarations(literal)
        task = get_proper_type(chunk.get(_task_key(index)))
        info = None
        if isinstance(task, TypeType) and isinstance(task.item, Instance):
            info = task.item.type
        declaration = parsed if parsed.task is info else parsed._replace(task=info)
        self._cache[index] = declaration
        return declaration

    def models(self, index: int) -> tuple[Slot, Slot]:
        """The (input, output) models of declaration ``index``'s task (None: unknown)."""
        task = get_proper_type(_part(self._attrs, _chunk_key(index)).get(_task_key(index)))
        return _models_of(task) if isinstance(task, TypeType) else (None, None)

    def declarations(self) -> list[Declaration]:
        return [self.declaration(index) for index in range(self.header.size)]

    def by_name(self, name: str) -> Sequence[int]:
        """Indexes of the declarations registered under ``name``."""
        key = _name_key(name)
        return _indexes(_part(self._attrs, _bucket_key(key)).get(key))

    def by_class(self, fullname: str) -> Sequence[int]:
        """Indexes of the declarations of the task class ``fullname``."""
        key = _class_key(fullname)
        return _indexes(_part(self._attrs, _bucket_key(key)).get(key))

    def with_result(self, result: Result | None, complete: bool, span: Span) -> BuilderState:
        """A new registry: this one with ``result`` as its result (``set_result_task``).

        The declarations and indexes are shared: only the header differs.
        """
        header = self.header._replace(result=result, complete=complete, span=span)
        state = BuilderState(header, self._attrs)
        state._cache = self._cache
        return state

    def added(
        self,
        declaration: Declaration,
        complete: bool,
        span: Span,
        str_type: Instance,
        models: tuple[Slot, Slot] | None = None,
    ) -> BuilderState:
        """A new registry: this one plus ``declaration`` (this one is left unchanged).

        ``models``: its task's models, if the caller has them already.
        """
        index = self.header.size
        attrs = dict(self._attrs)  # references to the parts: _CHUNK + 2 * _BUCKETS at most
        chunk_key = _chunk_key(index)
        chunk = dict(_part(self._attrs, chunk_key))
        task = declaration.task
        updates: dict[str, dict[str, Type]] = {}
        if task is not None:
            task_type = TypeType(fill_typevars_with_any(task))
            chunk[_task_key(index)] = task_type
            if models is not None:
                _models_of.remember(task_type, models)
            key = _class_key(task.fullname)
            _index_entry(
                updates, self._attrs, key, [*self.by_class(task.fullname), index], str_type
            )
        if declaration.name is not None:
            key = _name_key(declaration.name)
            _index_entry(
                updates, self._attrs, key, [*self.by_name(declaration.name), index], str_type
            )
        literal = _literal_json(_declaration_json(declaration), str_type)
        _declarations.remember(literal, declaration._replace(name_pos=None))
        chunk[_declaration_key(index)] = literal
        attrs[chunk_key] = _with_attrs(str_type, chunk)
        for bucket_key, bucket in updates.items():
            attrs[bucket_key] = _with_attrs(str_type, bucket)
        header = self.header._replace(
            size=index + 1,
            complete=complete,
            span=span,
            unknown_names=self.header.unknown_names or declaration.name is None,
            unknown_tasks=self.header.unknown_tasks or task is None,
        )
        state = BuilderState(header, attrs, owned=True)
        state._cache[index] = declaration
        return state


class RootInput(NamedTuple):
    """A root task without config_fields: the job config must fit its input (W13)."""

    name: str
    model: Instance


class Configured(NamedTuple):
    """A task with ``config_fields``: what a ``JobConfiguration`` may give it (17.5)."""

    name: str
    fields: tuple[str, ...]
    model: Instance | None
    required: tuple[str, ...] | None = None
    """The config fields only a JobConfiguration can give (required, not wired);
    None when the wiring does not show it (a whole output or a route feeds the task)."""


class WorkflowFacts(NamedTuple):
    """What a built workflow's type records for the ``Job`` hook."""

    name: str | None
    roots: list[RootInput]
    tasks: list[str] | None
    """Every instance name, in order; None when some name is not literal."""
    configured: dict[str, Configured] | None
    """The tasks with config_fields; None when some task's config_fields are not literal."""


def with_roots(
    instance: Instance,
    workflow: str | None,
    roots: Sequence[RootInput],
    str_type: Instance,
    tasks: Sequence[str] | None = None,
    configured: Sequence[Configured] | None = None,
) -> Instance:
    """A ``Workflow[I, O]`` type that also records its name, root inputs and configured tasks."""
    data: dict[str, _Json] = {
        "name": workflow,
        "roots": [r.name for r in roots],
        "tasks": None if tasks is None else list(tasks),
        "configured": None
        if configured is None
        else [
            [c.name, list(c.fields), None if c.required is None else list(c.required)]
            for c in configured
        ],
    }
    attrs: dict[str, Type] = {_WORKFLOW: _literal_json(data, str_type)}
    for index, root in enumerate(roots):
        attrs[f"taskmaestro root {index}"] = root.model
    for index, task in enumerate(configured or ()):
        if task.model is not None:
            attrs[f"taskmaestro configured {index}"] = task.model
    return _with_attrs(instance, attrs)


def read_roots(typ: Instance) -> WorkflowFacts | None:
    """What ``with_roots`` recorded, if anything."""
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
    configured: dict[str, Configured] | None = None
    if data.get("configured") is not None:
        configured = {}
        for index, entry in enumerate(data["configured"]):
            name, fields = entry[0], entry[1]
            required = entry[2] if len(entry) > 2 else None  # a cache written before it
            model = get_proper_type(attrs.get(f"taskmaestro configured {index}"))
            configured[name] = Configured(
                name,
                tuple(fields),
                model if isinstance(model, Instance) else None,
                None if required is None else tuple(required),
            )
    return WorkflowFacts(data["name"], roots, data.get("tasks"), configured)


_NO_IMMUTABLE: Final[set[str]] = set()
"""The ``immutable`` names of every registry part: none. One set shared by all of them
(mypy only reads it, and copies it when it narrows), instead of a new set per part."""


def _with_attrs(instance: Instance, attrs: dict[str, Type]) -> Instance:
    copy = instance.copy_modified()
    copy.extra_attrs = ExtraAttrs(attrs, _NO_IMMUTABLE)
    return copy


class _Memo[K: Type, T]:
    """Values derived from registry parts once per part object while they are recent.

    A part of a registry (a literal, a task's ``type[...]``) is never changed
    once made, and later steps of a chain share it by reference: keyed by its
    identity (the entry holds the part, so the identity cannot be reused while
    it is remembered), the value is the same as deriving it again; callers do
    not change it. The step that makes a part remembers what it was made from
    (``remember``), so the next steps need not decode it. Lookups go mostly to
    the tasks added just before, so a few hundred entries suffice; more would
    keep values alive for the garbage collector to walk (see the module's
    docstring). A daemon's next run makes new parts: nothing stale is found.
    """

    LIMIT: Final = 512

    def __init__(self, derive: Callable[[K], T]) -> None:
        self._derive = derive
        self._entries: dict[int, tuple[K, T]] = {}

    def __call__(self, part: K) -> T:
        entry = self._entries.get(id(part))
        if entry is not None and entry[0] is part:
            return entry[1]
        value = self._derive(part)
        self.remember(part, value)
        return value

    def take(self, part: K) -> T:
        """Like a call, but forgets the entry: for a part read once (a receiver's header).

        A part read again (the same builder value extended twice) is derived again.
        """
        entry = self._entries.pop(id(part), None)
        if entry is not None and entry[0] is part:
            return entry[1]
        return self._derive(part)

    def remember(self, part: K, value: T) -> None:
        if len(self._entries) >= self.LIMIT:
            self._entries.clear()
        self._entries[id(part)] = (part, value)


def _parse_header(literal: LiteralType) -> Header:
    assert isinstance(literal.value, str)
    data = json.loads(literal.value)
    result = data["result"]
    return Header(
        workflow=data["workflow"],
        size=data["count"],
        complete=data["complete"],
        span=cast("Span", tuple(data["span"])),
        result=None if result is None else Result(_ref(result["ref"]), Pos(*result["pos"])),
        unknown_names=data["unknown_names"],
        unknown_tasks=data["unknown_tasks"],
    )


def _parse_indexes(literal: LiteralType) -> tuple[int, ...]:
    assert isinstance(literal.value, str)
    return tuple(json.loads(literal.value))


def _parse_declaration(literal: LiteralType) -> Declaration:
    """A declaration without its task class (kept beside it as a type, not in the JSON)."""
    assert isinstance(literal.value, str)
    data = json.loads(literal.value)
    config = data["config"]
    wires = data["wires"]
    return Declaration(
        name=data["name"],
        task=None,
        config_fields=None
        if config is None
        else tuple(ConfigField(name, Pos(*where)) for name, *where in config),
        wires=None if wires is None else tuple(_wire(wire) for wire in wires),
        pos=Pos(*data["pos"]),
    )


def _task_models(task: TypeType) -> tuple[Slot, Slot]:
    item = task.item
    return declared_models(item.type) if isinstance(item, Instance) else (None, None)


_headers: Final = _Memo(_parse_header)
_indexes_of: Final = _Memo(_parse_indexes)
_declarations: Final = _Memo(_parse_declaration)
_models_of: Final = _Memo(_task_models)


def _part(attrs: dict[str, Type], key: str) -> dict[str, Type]:
    """The entries of one chunk or bucket of a registry (empty if it has none yet)."""
    part = get_proper_type(attrs.get(key))
    if isinstance(part, Instance) and part.extra_attrs is not None:
        return part.extra_attrs.attrs
    return {}


def _index_entry(
    updates: dict[str, dict[str, Type]],
    attrs: dict[str, Type],
    key: str,
    indexes: Sequence[int],
    str_type: Instance,
) -> None:
    """Set ``key`` in a copy of its bucket (copied once per call, in ``updates``)."""
    bucket_key = _bucket_key(key)
    bucket = updates.get(bucket_key)
    if bucket is None:
        bucket = updates[bucket_key] = dict(_part(attrs, bucket_key))
    literal = _literal_json(list(indexes), str_type)
    _indexes_of.remember(literal, tuple(indexes))
    bucket[key] = literal


def _chunk_key(index: int) -> str:
    return f"taskmaestro chunk {index // _CHUNK}"


@lru_cache(maxsize=4096)
def _bucket_key(key: str) -> str:
    """A bucket chosen by a hash that is the same in every process (caches outlive them).

    Remembered: a chain looks up the same few names and classes at every step.
    """
    return f"taskmaestro bucket {zlib.crc32(key.encode()) % _BUCKETS}"


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


_COMPACT: Final = json.JSONEncoder(separators=(",", ":")).encode
"""``json.dumps`` without spaces; one encoder, instead of a new one per call."""


def _literal_json(value: _Json, str_type: Instance) -> LiteralType:
    return LiteralType(_COMPACT(value), str_type)


def _indexes(typ: Type | None) -> Sequence[int]:
    proper = get_proper_type(typ) if typ is not None else None
    if not isinstance(proper, LiteralType) or not isinstance(proper.value, str):
        return ()
    return _indexes_of(proper)


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
        else [[field.name, *field.pos.as_list()] for field in config],
        "wires": None
        if wires is None
        else [
            [
                _ref_json(wire.ref),
                wire.source_field,
                wire.target_field,
                wire.pending,
                _pos_json(wire.pos),
                _pos_json(wire.key_pos),
                _pos_json(wire.ref_pos),
                _pos_json(wire.field_pos),
            ]
            for wire in wires
        ],
        "pos": _pos_json(declaration.pos),
    }


def _pos_json(pos: Pos | None) -> _Json:
    return None if pos is None else [*pos]


def _pos(data: _Json) -> Pos | None:
    if not isinstance(data, list):
        return None
    numbers = [value for value in data if isinstance(value, int)]
    assert len(numbers) == 4, data
    return Pos(*numbers)


def _wire(data: list[_Json]) -> Wire:
    ref, source_field, target_field, pending, pos, key_pos, ref_pos, field_pos = data
    assert source_field is None or isinstance(source_field, str)
    assert target_field is None or isinstance(target_field, str)
    assert isinstance(pending, bool)
    whole = _pos(pos)
    assert whole is not None
    return Wire(
        _ref(ref),
        source_field,
        target_field,
        whole,
        pending,
        _pos(key_pos),
        _pos(ref_pos),
        _pos(field_pos),
    )
