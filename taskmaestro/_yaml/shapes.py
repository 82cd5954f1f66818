"""A tiny declarative language for the shape of YAML nodes.

A ``Shape[T]`` says what a node must look like and reads it as a ``T``, or
raises a ``ConfigLoadError`` at the node saying what was expected. Records are
frozen dataclasses whose fields carry their shape in ``Annotated[..., Key(...)]``,
so the file format is declared once (``format.py``) and that one declaration
drives checking, error messages and the JSON Schema of the format.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import typing
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..exceptions import ConfigLoadError
from .problems import SCHEMA, note, skip
from .source import NULL_TAG, STR_TAG, TAG, Source, describe_node

__all__ = [
    "SCHEMA_ERROR",
    "TOP_LEVEL_MAPPING",
    "Data",
    "JsonSchema",
    "Key",
    "ListOf",
    "MapOf",
    "Marked",
    "NodeKinds",
    "Pair",
    "PositiveNumber",
    "Record",
    "Shape",
    "Text",
    "Variant",
    "is_null",
    "schema_error",
]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
V = TypeVar("V")
A = TypeVar("A")
B = TypeVar("B")
R = TypeVar("R", bound="Located")

JsonSchema = dict[str, Any]

SCHEMA_ERROR = "YAML schema validation error"
"""0.1.0's key phrase, which starts every message about a workflow file's keys and shapes."""
TOP_LEVEL_MAPPING = "YAML file must contain a mapping at top level"
"""0.1.0's key phrase for a workflow file whose document is not a mapping."""


@dataclass(frozen=True, slots=True)
class Marked(Generic[T]):
    """A value read from the file, with the node it came from (for messages)."""

    value: T
    node: Node


@dataclass(frozen=True, kw_only=True)
class Located:
    """Base of every record: ``node`` is the mapping it was read from."""

    node: Node


def is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == NULL_TAG


class Shape(ABC, Generic[T_co]):
    """What a node must look like (``what``, for messages) and how it reads."""

    what: str

    @abstractmethod
    def read(self, node: Node, at: str, source: Source) -> T_co:
        """Read ``node`` (found at YAML path ``at``) or raise a located ``ConfigLoadError``."""

    @abstractmethod
    def json_schema(self) -> JsonSchema:
        """The JSON Schema of the nodes this shape accepts."""

    def mismatch(self, node: Node, at: str, source: Source) -> ConfigLoadError:
        return schema_error(source, node, at, f"expected {self.what}, got {describe_node(node)}")


def schema_error(source: Source, node: Node, at: str, problem: str) -> ConfigLoadError:
    """``YAML schema validation error: <at>: <problem>``, located at ``node``."""
    where = f"{at}: " if at else ""
    return source.error(node, f"{SCHEMA_ERROR}: {where}{problem}")


def _string(node: Node) -> str | None:
    """The text of a plain string scalar, else None (numbers, booleans, tagged values...)."""
    if isinstance(node, ScalarNode) and node.tag == STR_TAG:
        return str(node.value)
    return None


class Text(Shape[Marked[str]]):
    """A string, optionally matching ``pattern`` (a full match); ``invalid`` is said
    before "expected ..." for a string that does not match."""

    def __init__(self, what: str, pattern: str | None = None, invalid: str = "") -> None:
        self.what = what
        self.pattern = pattern
        self.invalid = invalid
        self._regex = re.compile(pattern) if pattern is not None else None

    def read(self, node: Node, at: str, source: Source) -> Marked[str]:
        text = _string(node)
        if text is None:
            raise self.mismatch(node, at, source)
        if self._regex is not None and not self._regex.fullmatch(text):
            problem = f"expected {self.what}, got {describe_node(node)}"
            if self.invalid:
                problem = f"{self.invalid} {text!r}: {problem}"
            raise schema_error(source, node, at, problem)
        return Marked(text, node)

    def json_schema(self) -> JsonSchema:
        schema: JsonSchema = {"type": "string", "description": self.what}
        if self.pattern is not None:
            schema["pattern"] = f"^(?:{self.pattern})$"
        return schema


class PositiveNumber(Shape[Marked[float]]):
    """A finite number greater than zero and at most ``maximum`` (integers included,
    booleans and strings not): ``.nan``, ``.inf``, ``1e26`` and ``-1`` are refused."""

    def __init__(self, what: str, maximum: float) -> None:
        self.what = what
        self.maximum = maximum

    def read(self, node: Node, at: str, source: Source) -> Marked[float]:
        if not (isinstance(node, ScalarNode) and node.tag in (TAG + "int", TAG + "float")):
            raise self.mismatch(node, at, source)
        value = source.construct(node)
        if not isinstance(value, int | float) or not (
            math.isfinite(value) and 0 < value <= self.maximum
        ):
            raise self.mismatch(node, at, source)
        return Marked(float(value), node)

    def json_schema(self) -> JsonSchema:
        return {
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": self.maximum,
            "description": self.what,
        }


class Data(Shape[Marked[object]]):
    """Any YAML value, built as plain Python data (no Python tags)."""

    def __init__(self, what: str = "any YAML value") -> None:
        self.what = what

    def read(self, node: Node, at: str, source: Source) -> Marked[object]:
        return Marked(source.construct(node), node)

    def json_schema(self) -> JsonSchema:
        return {"description": self.what}


class ListOf(Shape[tuple[T, ...]]):
    """A list whose items all have the shape ``item``."""

    def __init__(self, item: Shape[T], what: str) -> None:
        self.item = item
        self.what = what

    def read(self, node: Node, at: str, source: Source) -> tuple[T, ...]:
        if not isinstance(node, SequenceNode):
            raise self.mismatch(node, at, source)
        items: list[T] = []
        failed = False
        for index, child in enumerate(node.value):
            try:
                items.append(self.item.read(child, f"{at}[{index}]", source))
            except ConfigLoadError as error:  # noted; the other items are read too
                note(error, SCHEMA)
                failed = True
        if failed:
            raise skip()
        return tuple(items)

    def json_schema(self) -> JsonSchema:
        return {"type": "array", "items": self.item.json_schema(), "description": self.what}


class MapOf(Shape[tuple[tuple[Marked[str], V], ...]]):
    """A mapping from string keys (shape ``key``) to values of shape ``value``, in order."""

    def __init__(self, key: Text, value: Shape[V], what: str) -> None:
        self.key = key
        self.value = value
        self.what = what

    def read(self, node: Node, at: str, source: Source) -> tuple[tuple[Marked[str], V], ...]:
        if not isinstance(node, MappingNode):
            raise self.mismatch(node, at, source)
        entries: dict[str, tuple[Marked[str], V]] = {}
        for key_node, value_node in source.pairs(node):
            key = self.key.read(key_node, f"{at} (a key)", source)
            entries[key.value] = (key, self.value.read(value_node, f"{at}.{key.value}", source))
        return tuple(entries.values())

    def json_schema(self) -> JsonSchema:
        schema: JsonSchema = {
            "type": "object",
            "additionalProperties": self.value.json_schema(),
            "description": self.what,
        }
        if self.key.pattern is not None:
            schema["propertyNames"] = {"pattern": f"^(?:{self.key.pattern})$"}
        return schema


class NodeKinds(Shape[T]):
    """One of several shapes, chosen by the kind of node: scalar, list or mapping."""

    def __init__(
        self,
        what: str,
        *,
        scalar: Shape[T] | None = None,
        sequence: Shape[T] | None = None,
        mapping: Shape[T] | None = None,
    ) -> None:
        self.what = what
        self.options: tuple[tuple[type[Node], Shape[T] | None], ...] = (
            (ScalarNode, scalar),
            (SequenceNode, sequence),
            (MappingNode, mapping),
        )

    def read(self, node: Node, at: str, source: Source) -> T:
        for kind, shape in self.options:
            if isinstance(node, kind) and shape is not None:
                return shape.read(node, at, source)
        raise self.mismatch(node, at, source)

    def json_schema(self) -> JsonSchema:
        options = [shape.json_schema() for _, shape in self.options if shape is not None]
        return {"anyOf": options, "description": self.what}


@dataclass(frozen=True, slots=True)
class Key:
    """The shape and documentation of one key of a record (in ``Annotated``)."""

    shape: Shape[Any]
    doc: str


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    shape: Shape[Any]
    doc: str
    required: bool


class Record(Shape[R]):
    """A mapping with a fixed set of keys, read into the dataclass ``cls``.

    Keys are the dataclass fields annotated ``Annotated[..., Key(...)]``; a field
    without a default is a required key. Unknown keys are errors (with a
    suggestion for near misses); an empty (null) value of an optional key is the
    same as leaving the key out.
    """

    def __init__(self, cls: type[R], what: str) -> None:
        self.cls = cls
        self.what = what
        self._fields: dict[str, _Field] | None = None

    @property
    def fields(self) -> dict[str, _Field]:
        """Required keys first, then the others in declaration order.

        Resolved on first use, so records may refer to records declared later.
        """
        if self._fields is None:
            hints = typing.get_type_hints(self.cls, include_extras=True)
            self._fields = {}
            for field in dataclasses.fields(self.cls):
                keys = [
                    m for m in getattr(hints[field.name], "__metadata__", ()) if isinstance(m, Key)
                ]
                if keys:
                    required = (
                        field.default is dataclasses.MISSING
                        and field.default_factory is dataclasses.MISSING
                    )
                    self._fields[field.name] = _Field(
                        field.name, keys[0].shape, keys[0].doc, required
                    )
            ordered = sorted(self._fields.values(), key=lambda field: not field.required)
            self._fields = {field.name: field for field in ordered}
        return self._fields

    def read(self, node: Node, at: str, source: Source) -> R:
        if not isinstance(node, MappingNode):
            if not at:  # the document itself
                raise source.error(
                    node, f"{TOP_LEVEL_MAPPING}; expected {self.what}, got {describe_node(node)}"
                )
            raise self.mismatch(node, at, source)
        fields = self.fields
        values: dict[str, Any] = {}
        failed = False  # problems are noted and the other keys read, then the record skipped
        for key_node, value_node in source.pairs(node):
            name = _string(key_node)
            field = fields.get(name) if name is not None else None
            if field is None:
                note(unknown_key(key_node, at, source, self.what, list(fields)), SCHEMA)
                failed = True
                continue
            if is_null(value_node) and not field.required:
                continue
            try:
                values[field.name] = field.shape.read(value_node, _join(at, field.name), source)
            except ConfigLoadError as error:
                note(error, SCHEMA)
                failed = True
                values[field.name] = None  # given, though not readable: not missing
        for field in fields.values():
            if field.required and field.name not in values:
                missing = f"missing key '{field.name}' ({field.doc})"
                note(schema_error(source, node, at or "the file", missing), SCHEMA)
                failed = True
        if failed:
            raise skip()
        return self.cls(node=node, **values)

    def json_schema(self) -> JsonSchema:
        properties = {}
        for field in self.fields.values():
            schema = dict(field.shape.json_schema())
            if not field.required:  # an empty value reads as leaving the key out
                schema = {"anyOf": [schema, {"type": "null"}]}
            schema["description"] = field.doc
            properties[field.name] = schema
        return {
            "type": "object",
            "description": self.what,
            "properties": properties,
            "required": [field.name for field in self.fields.values() if field.required],
            "additionalProperties": False,
        }


class Variant(Shape[Any]):
    """One of several records, chosen by which of their distinguishing keys is present."""

    def __init__(self, what: str, by_key: Mapping[str, Record[Any]]) -> None:
        self.what = what
        self.by_key = dict(by_key)

    def read(self, node: Node, at: str, source: Source) -> Any:
        if not isinstance(node, MappingNode):
            raise self.mismatch(node, at, source)
        pairs = source.pairs(node)
        present = [(key, _string(key)) for key, _ in pairs]
        chosen = [(key, name) for key, name in present if name in self.by_key]
        if len(chosen) > 1:
            raise schema_error(
                source,
                chosen[1][0],
                at,
                f"Specify either {_listed(self.by_key)}, not several: "
                f"{self.what} has one of these keys",
            )
        if chosen:
            chosen_key = str(chosen[0][1])
            record = self.by_key[chosen_key]
            for key, name in present:  # a key of another kind of entry: say which it needs
                if name is not None and name not in record.fields:
                    owner = next((k for k, r in self.by_key.items() if name in r.fields), None)
                    if owner is not None:
                        raise schema_error(
                            source,
                            key,
                            at,
                            f"'{name}' requires '{owner}' (this entry has '{chosen_key}')",
                        )
            return record.read(node, at, source)
        known = [name for record in self.by_key.values() for name in record.fields]
        for key, name in present:
            if name not in known:
                raise unknown_key(key, at, source, self.what, list(dict.fromkeys(known)))
        raise schema_error(
            source, node, at, f"Must specify either {_listed(self.by_key)}: {self.what} needs one"
        )

    def json_schema(self) -> JsonSchema:
        return {
            "oneOf": [record.json_schema() for record in self.by_key.values()],
            "description": self.what,
        }


class Pair(Shape[T], Generic[T, A, B]):
    """A list of exactly two items, of shapes ``first`` and ``second``, combined by ``make``."""

    def __init__(
        self,
        first: Shape[A],
        second: Shape[B],
        what: str,
        make: Callable[[A, B], T],
        phrase: str = "",
    ) -> None:
        self.first = first
        self.second = second
        self.what = what
        self.make = make
        self.phrase = phrase
        """Said before "expected ..." when the node is not a two-item list."""

    def read(self, node: Node, at: str, source: Source) -> T:
        if not isinstance(node, SequenceNode) or len(node.value) != 2:
            problem = f"expected {self.what}, got {describe_node(node)}"
            if isinstance(node, SequenceNode):
                problem += f" of {len(node.value)} item(s)"
            if self.phrase:
                problem = f"{self.phrase}: {problem}"
            raise schema_error(source, node, at, problem)
        first, second = node.value
        return self.make(
            self.first.read(first, f"{at}[0]", source), self.second.read(second, f"{at}[1]", source)
        )

    def json_schema(self) -> JsonSchema:
        return {
            "type": "array",
            "prefixItems": [self.first.json_schema(), self.second.json_schema()],
            "items": False,
            "minItems": 2,
            "description": self.what,
        }


def unknown_key(
    key_node: Node, at: str, source: Source, what: str, known: list[str]
) -> ConfigLoadError:
    """An unknown (or non-string) key, with a suggestion when it is a near miss."""
    name = _string(key_node)
    if name is None:
        problem = f"keys are names, got {describe_node(key_node)}"
    else:
        problem = f"unknown key '{name}'"
        close = difflib.get_close_matches(name, known, n=1)
        if close:
            problem += f" (did you mean '{close[0]}'?)"
    listed = ", ".join(known)
    return schema_error(source, key_node, at, f"{problem}; {what} takes the keys: {listed}")


def _listed(names: Mapping[str, object]) -> str:
    return " or ".join(f"'{name}'" for name in names)


def _join(at: str, name: str) -> str:
    return f"{at}.{name}" if at else name
