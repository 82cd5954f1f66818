"""One YAML file read into nodes that keep their marks, safely and within limits.

Only YAML's own types are ever built (PyYAML's safe loader): no Python tags.
Before anything walks a document it is checked against fixed limits, so that
hostile input (a huge file, thousands-deep nesting, an alias bomb, a recursive
alias) ends in a quick ``ConfigLoadError`` with bounded memory. Every error
names the file, the line and the column (1-based) of the node at fault.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml
from yaml.error import Mark
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    ScalarEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..exceptions import ConfigLoadError

__all__ = [
    "MAX_DEPTH",
    "MAX_EXPANDED_NODES",
    "MAX_FILE_BYTES",
    "MAX_NODES",
    "FlagMark",
    "Position",
    "Source",
    "describe_node",
    "file_error",
    "flag_source",
    "read_flag_value",
    "read_source",
]

MAX_FILE_BYTES = 4 * 1024 * 1024
"""Larger files are refused before they are parsed."""
MAX_DEPTH = 100
"""Deepest nesting of lists and mappings, aliases expanded."""
MAX_NODES = 200_000
"""Most nodes (scalars, lists, mappings, aliases) one file may hold."""
MAX_EXPANDED_NODES = 1_000_000
"""Most nodes a document may stand for once its aliases are expanded."""

TAG = "tag:yaml.org,2002:"
STR_TAG = TAG + "str"
NULL_TAG = TAG + "null"
MERGE_TAG = TAG + "merge"


class Position(Protocol):
    """A mark of PyYAML (pure Python or C): 0-based line and column."""

    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...


class _Loader(Protocol):
    """What this module uses of PyYAML's safe loaders (the C one when available)."""

    def check_event(self, *choices: type[yaml.Event]) -> bool: ...
    def get_event(self) -> yaml.Event: ...
    def get_single_node(self) -> Node | None: ...
    def construct_object(self, node: Node, deep: bool = False) -> Any: ...
    def flatten_mapping(self, node: MappingNode) -> None: ...


def _make_loader(text: str) -> _Loader:
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader: _Loader = loader_class(text)
    return loader


def located_error(
    path: str,
    line: int,
    column: int,
    message: str,
    *,
    task_name: str | None = None,
    fields: list[str] | None = None,
) -> ConfigLoadError:
    """``path:line:column: message``, with the location (and the task and fields the
    problem is about, if any) kept on the error."""
    return ConfigLoadError(
        f"{path}:{line}:{column}: {message}",
        path=path,
        line=line,
        column=column,
        task_name=task_name,
        fields=fields,
    )


class FlagMark(Mark):
    """The mark of a node given on the command line: errors there name the flag, not a file."""

    def __init__(self, flag: str) -> None:
        super().__init__(flag, 0, 0, 0, "", 0)
        self.flag = flag
        """The flag as messages name it, such as ``--set #2 'load.path=x'``."""


def file_error(path: str, message: str) -> ConfigLoadError:
    """An error about a whole file that has no node to point at (it cannot be read)."""
    return ConfigLoadError(f"{path}: {message}", path=path)


@dataclass(frozen=True, eq=False)
class Source:
    """A parsed YAML file: its root node and what is needed to report and construct."""

    path: str
    """The file as named in messages."""
    directory: Path
    """The absolute folder of the file: relative paths and modules beside it start here."""
    root: Node
    """The document's root node (a null scalar for an empty file)."""
    _loader: _Loader

    def error(
        self,
        where: Node | Position,
        message: str,
        *,
        task_name: str | None = None,
        fields: list[str] | None = None,
    ) -> ConfigLoadError:
        """A ``ConfigLoadError`` located at a node (or mark) of this file; ``task_name`` and
        ``fields`` name the task and input fields a value at fault was given to."""
        mark: Position = where.start_mark if isinstance(where, Node) else where
        if isinstance(mark, FlagMark):
            return ConfigLoadError(f"{mark.flag}: {message}", task_name=task_name, fields=fields)
        return located_error(
            self.path, mark.line + 1, mark.column + 1, message, task_name=task_name, fields=fields
        )

    def pairs(self, node: MappingNode) -> list[tuple[Node, Node]]:
        """A mapping's (key, value) nodes, with YAML merge keys (``<<: *base``) applied."""
        try:
            self._loader.flatten_mapping(node)
        except yaml.MarkedYAMLError as error:
            problem = f"invalid merge key: {error.problem}"
            raise self.error(error.problem_mark or node, problem) from None
        return list(node.value)

    def construct(self, node: Node) -> object:
        """The plain Python value of a node (str, int, float, bool, None, list, dict, ...).

        Scalars are built first, so that a bad one (``!!int abc``) is reported at
        its own line rather than at the line of the list or mapping holding it.
        """
        for scalar in _scalars(node):
            self._construct(scalar)
        return self._construct(node)

    def _construct(self, node: Node) -> object:
        try:
            return self._loader.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or node.start_mark
            raise self.error(mark, f"cannot read this value: {error.problem}") from None
        except Exception as error:
            raise self.error(node, f"cannot read this value: {error}") from None


@dataclass(frozen=True, slots=True)
class _Phrases:
    """0.1.0's key phrases for a file's problems (kept in our messages for compatibility)."""

    cannot_read: str
    parse_error: str


_WORKFLOW_PHRASES = _Phrases("Cannot read file", "YAML parse error")
_INPUT_PHRASES = _Phrases("Cannot read input file", "Input YAML parse error")


def read_source(
    path: Path,
    *,
    label: str,
    input_file: bool = False,
    shown_as: str | None = None,
    included_from: tuple[Source, Node] | None = None,
) -> Source:
    """Read and parse ``path``; any problem is a ``ConfigLoadError``.

    ``label`` says what the file is in messages ("workflow file", ...);
    ``input_file`` picks the input file's wording; ``shown_as`` is how messages
    name it (default: ``path``). A file that cannot be read is reported at
    ``included_from`` (the node that named it) if given. Anything but a regular
    file (a FIFO, a device, a folder) is refused before it is opened for reading.
    """
    name = shown_as if shown_as is not None else str(path)
    phrases = _INPUT_PHRASES if input_file else _WORKFLOW_PHRASES
    text = _read_text(path, name, label, phrases, included_from)
    root, loader = _parse(text, name, phrases)
    directory = Path(os.path.abspath(path)).parent
    return Source(path=name, directory=directory, root=root, _loader=loader)


def flag_source(flag: str) -> Source:
    """An empty document standing for values given with ``flag`` (no input file)."""
    mark = FlagMark(flag)
    root = ScalarNode(NULL_TAG, "", mark, mark)
    return Source(path=flag, directory=Path.cwd(), root=root, _loader=_make_loader(""))


def read_flag_value(text: str, flag: str) -> tuple[object, Node]:
    """The value ``text`` given with ``flag``, read as YAML like a value of an input file.

    Its nodes are marked with the flag, so that a problem found later (a value
    that does not validate) names the flag.
    """
    try:
        root, loader = _parse(text, "value", _INPUT_PHRASES)
    except ConfigLoadError as error:
        raise ConfigLoadError(f"{flag}: {error}") from None
    mark = FlagMark(flag)
    stack, seen = [root], {id(root)}
    while stack:
        node = stack.pop()
        node.start_mark = node.end_mark = mark
        for child in _children(node):
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    source = Source(path=flag, directory=Path.cwd(), root=root, _loader=loader)
    return source.construct(root), root


def _read_text(
    path: Path,
    name: str,
    label: str,
    phrases: _Phrases,
    included_from: tuple[Source, Node] | None,
) -> str:
    def unreadable(reason: str) -> ConfigLoadError:
        if included_from is not None:
            source, node = included_from
            return source.error(node, f"{phrases.cannot_read} '{name}' (the {label}): {reason}")
        return file_error(name, f"{phrases.cannot_read} (the {label}): {reason}")

    try:
        # Refused before opening: opening a FIFO blocks until a writer comes.
        if not stat.S_ISREG(path.stat().st_mode):
            raise unreadable(_not_regular(path))
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(descriptor, "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):  # replaced meanwhile
                raise unreadable("it is not a regular file")
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise unreadable(error.strerror or str(error)) from None
    if len(data) > MAX_FILE_BYTES:
        raise unreadable(f"it is larger than {MAX_FILE_BYTES} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        message = f"{phrases.parse_error}: the file is not valid UTF-8 text"
        raise located_error(name, line, column, message) from None


def _not_regular(path: Path) -> str:
    mode = path.stat().st_mode
    if stat.S_ISDIR(mode):
        return "Is a directory"
    if stat.S_ISFIFO(mode):
        return "it is not a regular file (it is a FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "it is not a regular file (it is a device)"
    if stat.S_ISSOCK(mode):
        return "it is not a regular file (it is a socket)"
    return "it is not a regular file"


def _parse(text: str, name: str, phrases: _Phrases) -> tuple[Node, _Loader]:
    invalid = phrases.parse_error
    try:
        _check_events(text, name)
        loader = _make_loader(text)
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        raise _syntax_error(error, name, invalid) from None
    except yaml.reader.ReaderError as error:
        line, column = _line_column(text, int(error.position))
        raise located_error(name, line, column, f"{invalid}: {error.reason}") from None
    except yaml.YAMLError as error:
        raise located_error(name, 1, 1, f"{invalid}: {error}") from None
    if root is None:  # an empty document reads as null
        root = ScalarNode(NULL_TAG, "", Mark(name, 0, 0, 0, "", 0), None)
    _check_graph(root, name)
    return root, loader


def _syntax_error(error: yaml.MarkedYAMLError, name: str, invalid: str) -> ConfigLoadError:
    mark = error.problem_mark or error.context_mark
    problem = " ".join(part for part in (error.context, error.problem) if part)
    message = f"{invalid}: {problem or error}"
    if mark is None:
        return located_error(name, 1, 1, message)
    return located_error(name, mark.line + 1, mark.column + 1, message)


def _line_column(text: str, position: int) -> tuple[int, int]:
    line = text.count("\n", 0, position) + 1
    return line, position - (text.rfind("\n", 0, position) + 1) + 1


def _check_events(text: str, name: str) -> None:
    """Refuse deep nesting and too many nodes while parsing, before any node is built."""
    loader = _make_loader(text)
    depth = 0
    nodes = 0
    while loader.check_event():
        event = loader.get_event()
        mark: Position = event.start_mark or _START
        if isinstance(event, CollectionStartEvent):
            depth += 1
            nodes += 1
            if depth > MAX_DEPTH:
                raise _limit_error(name, mark, f"nested more than {MAX_DEPTH} deep")
        elif isinstance(event, CollectionEndEvent):
            depth -= 1
        elif isinstance(event, ScalarEvent | AliasEvent):
            nodes += 1
        if nodes > MAX_NODES:
            raise _limit_error(name, mark, f"more than {MAX_NODES} nodes")


_START = Mark("", 0, 0, 0, "", 0)


def _limit_error(name: str, mark: Position, problem: str) -> ConfigLoadError:
    return located_error(
        name, mark.line + 1, mark.column + 1, f"the document is too large: {problem}"
    )


def _children(node: Node) -> Iterator[Node]:
    if isinstance(node, SequenceNode):
        yield from node.value
    elif isinstance(node, MappingNode):
        for key, value in node.value:
            yield key
            yield value


def _check_graph(root: Node, name: str) -> None:
    """One linear pass over the node graph, aliases shared, before anything expands it.

    Refuses a recursive alias (a node inside itself), a document that stands for
    too many nodes or too deep a nesting once aliases are expanded (alias bombs),
    and duplicate keys in a mapping (YAML forbids them; PyYAML keeps the last).
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            open_nodes.discard(key)
            children = [id(child) for child in _children(node)]
            size[key] = 1 + sum(size[child] for child in children)
            depth[key] = 1 + max((depth[child] for child in children), default=0)
            if size[key] > MAX_EXPANDED_NODES:
                raise _limit_error(
                    name,
                    node.start_mark,
                    f"its aliases expand to more than {MAX_EXPANDED_NODES} nodes",
                )
            if depth[key] > MAX_DEPTH + 1:
                raise _limit_error(
                    name, node.start_mark, f"its aliases nest it more than {MAX_DEPTH} deep"
                )
            continue
        if key in size:
            continue
        if key in open_nodes:
            mark = node.start_mark
            raise located_error(
                name,
                mark.line + 1,
                mark.column + 1,
                "an alias refers to a node that contains it (recursive data is not allowed)",
            )
        open_nodes.add(key)
        stack.append((node, True))
        _check_tag(node, name)
        if isinstance(node, MappingNode):
            _check_unique_keys(node, name)
        stack.extend((child, False) for child in _children(node) if id(child) not in size)


_ALLOWED_TAGS = frozenset(
    TAG + kind
    for kind in (
        "str", "int", "float", "bool", "null", "binary", "timestamp", "set", "omap",
        "pairs", "merge", "value", "map", "seq",
    )
)  # fmt: skip


def spelled_tag(tag: str) -> str:
    """A tag as written in the file: ``!!python/tuple`` rather than its full URI."""
    return "!!" + tag.removeprefix(TAG) if tag.startswith(TAG) else tag


def _check_tag(node: Node, name: str) -> None:
    """Refuse any tag but YAML's own (``!!python/...`` and local ``!tags``) at its line."""
    if node.tag in _ALLOWED_TAGS:
        return
    mark = node.start_mark
    raise located_error(
        name,
        mark.line + 1,
        mark.column + 1,
        f"refused tag '{spelled_tag(node.tag)}': only YAML's own tags are allowed "
        "(Python tags such as !!python/object are never built)",
    )


def _check_unique_keys(node: MappingNode, name: str) -> None:
    seen: dict[tuple[str, str], Node] = {}
    for key, _ in node.value:
        if not isinstance(key, ScalarNode) or key.tag == MERGE_TAG:
            continue
        first = seen.setdefault((key.tag, key.value), key)
        if first is not key:
            mark = key.start_mark
            raise located_error(
                name,
                mark.line + 1,
                mark.column + 1,
                f"duplicate key '{key.value}' (first given at line {first.start_mark.line + 1})",
            )


def _scalars(node: Node) -> Iterator[ScalarNode]:
    seen: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ScalarNode):
            yield current
        else:
            stack.extend(_children(current))


def describe_node(node: Node) -> str:
    """How a node reads in "got ..." messages: ``a list``, ``the number 3``, ``null``."""
    if isinstance(node, SequenceNode):
        return "a list"
    if isinstance(node, MappingNode):
        return "a mapping"
    tag = node.tag
    text = str(node.value)
    shown = text if len(text) <= 40 else text[:37] + "..."
    if tag == NULL_TAG:
        return "null (an empty value)"
    if tag == STR_TAG:
        return f"the string {shown!r}"
    if tag in (TAG + "int", TAG + "float"):
        return f"the number {shown}"
    if tag == TAG + "bool":
        return f"the boolean {shown}"
    if tag.startswith(TAG) and tag.removeprefix(TAG) in _YAML_TYPES:
        return f"a {tag.removeprefix(TAG)} value ({shown!r})"
    return f"a value tagged {spelled_tag(tag)} (only YAML's own tags are allowed)"


_YAML_TYPES = {"binary", "timestamp", "set", "omap", "pairs", "merge", "value", "map", "seq"}
