"""The workflow file format, declared once.

Each record is a frozen dataclass whose fields carry their shape and meaning
in ``Annotated[..., Key(shape, doc)]``. ``WORKFLOW_FILE`` reads a document into
these records (rejecting unknown keys and wrong shapes at their line), and
``WORKFLOW_FILE.json_schema()`` describes the same format for editors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from yaml.nodes import MappingNode, Node, SequenceNode

from ..exceptions import ConfigLoadError
from .shapes import (
    Data,
    JsonSchema,
    Key,
    ListOf,
    Located,
    MapOf,
    Marked,
    NodeKinds,
    Pair,
    PositiveNumber,
    Record,
    Shape,
    Text,
    Variant,
    schema_error,
)
from .source import Source as File
from .source import describe_node

__all__ = [
    "WORKFLOW_FILE",
    "CollectEntry",
    "Collected",
    "ContextSection",
    "Dependency",
    "FanIn",
    "HookEntry",
    "MapEntry",
    "NestedEntry",
    "Route",
    "RunnerSection",
    "Source",
    "TaskEntry",
    "WorkflowFile",
    "WorkflowSection",
]

_IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]*"

CLASS_PATH = Text(
    "a dotted path to a class, such as 'pipeline.PrepareText'",
    pattern=rf"{_IDENTIFIER}(?:\.{_IDENTIFIER})+",
    invalid="Invalid import path",
)
NAME = Text("a name")
FIELD = Text("a field name")
FILE = Text("a file path, relative to the file that names it")
TASK_REF = Text("a task: its instance name or its Task class's dotted path")


@dataclass(frozen=True, slots=True)
class Route:
    """``[task, field]``: one field of a task's output."""

    task: Marked[str]
    field: Marked[str]


_ROUTE_WHAT = "a [task, field] list (one field of a task's output)"
ROUTE = Pair(TASK_REF, FIELD, _ROUTE_WHAT, Route, "List depends_on must be [task_path, field_name]")
FAN_IN_ROUTE = Pair(TASK_REF, FIELD, _ROUTE_WHAT, Route, "List dep must be [task_path, field_name]")

MAX_TIMEOUT_SECONDS = 1e9
"""The longest job deadline a file may give (about 31 years): larger ones are mistakes."""

type Source = Marked[str] | Route
"""One upstream value: a whole task output, or one field of it."""


class _Phrased[T](NodeKinds[T]):
    """``NodeKinds`` whose mismatch starts with a fixed phrase (a stable key phrase)."""

    def __init__(self, phrase: str, what: str, **kinds: Shape[T]) -> None:
        super().__init__(what, **kinds)
        self.phrase = phrase

    def mismatch(self, node: Node, at: str, source: File) -> ConfigLoadError:
        problem = f"{self.phrase}: expected {self.what}, got {describe_node(node)}"
        return schema_error(source, node, at, problem)


class _CollectKey(Text):
    """A collection key: a string, or the key phrase "Collection keys must be strings"."""

    def mismatch(self, node: Node, at: str, source: File) -> ConfigLoadError:
        problem = f"Collection keys must be strings: got {describe_node(node)}"
        return schema_error(source, node, at, problem)


MEMBER: NodeKinds[Source] = _Phrased(
    "Collection member must be a task name or [task, field]",
    "a task reference or a [task, field] list",
    scalar=TASK_REF,
    sequence=FAN_IN_ROUTE,
)


@dataclass(frozen=True, slots=True)
class Collected:
    """The members of a ``collect:``: keyed (a mapping, in order) or positional (a list)."""

    keyed: bool
    members: tuple[tuple[Marked[str] | None, Source], ...]


class _Members(Shape[Collected]):
    """``collect:``'s value: a list of members, or a mapping from string key to member."""

    what = "a list of members, or a mapping from key to member"

    def __init__(self) -> None:
        self.positional = ListOf(MEMBER, "a list of members (task or [task, field])")
        self.keyed = MapOf(_CollectKey("a collection key"), MEMBER, "a mapping from key to member")

    def read(self, node: Node, at: str, source: File) -> Collected:
        if isinstance(node, SequenceNode):
            members = self.positional.read(node, at, source)
            return Collected(False, tuple((None, member) for member in members))
        if isinstance(node, MappingNode):
            return Collected(True, self.keyed.read(node, at, source))
        problem = f"'collect' must contain a list or mapping, got {describe_node(node)}"
        raise schema_error(source, node, at, problem)

    def json_schema(self) -> JsonSchema:
        return {
            "anyOf": [self.positional.json_schema(), self.keyed.json_schema()],
            "description": self.what,
        }


@dataclass(frozen=True, kw_only=True)
class CollectEntry(Located):
    """``{collect: [...]}`` or ``{collect: {key: ...}}``: several outputs into one field."""

    collect: Annotated[
        Collected,
        Key(
            _Members(),
            "Members (a task or a [task, field] list): a list fills a list[T] field, "
            "a mapping from key to member a dict[str, T] field",
        ),
    ]


class _Collection(Shape[CollectEntry]):
    """A fan-in value that is a mapping: it must be a ``{collect: ...}``."""

    what = "a {collect: ...} mapping"

    def __init__(self) -> None:
        self.record = Record(CollectEntry, "a collection")

    def read(self, node: Node, at: str, source: File) -> CollectEntry:
        keys = [key.value for key, _ in source.pairs(node)] if isinstance(node, MappingNode) else []
        if "collect" not in keys:
            problem = (
                "Invalid dependency: expected a task reference, a [task, field] list or a "
                f"{{collect: ...}} mapping, got {describe_node(node)} without 'collect'"
            )
            raise schema_error(source, node, at, problem)
        return self.record.read(node, at, source)

    def json_schema(self) -> JsonSchema:
        return self.record.json_schema()


type FanInValue = Source | CollectEntry
"""A fan-in field's value: one upstream value, or a collection of several."""

type FanIn = tuple[tuple[Marked[str], FanInValue], ...]
"""``{input_field: task, [task, field] or {collect: ...}}``: input fields and their values."""

type Dependency = Marked[str] | Route | FanIn
"""What ``depends_on`` reads as."""

SOURCE: NodeKinds[FanInValue] = NodeKinds(
    "a task reference, a [task, field] list or a {collect: ...} mapping",
    scalar=TASK_REF,
    sequence=FAN_IN_ROUTE,
    mapping=_Collection(),
)
DEPENDS_ON: NodeKinds[Dependency] = NodeKinds(
    "a task reference, a [task, field] list, or a mapping from input field to either",
    scalar=TASK_REF,
    sequence=ROUTE,
    mapping=MapOf(
        FIELD,
        SOURCE,
        "a mapping from input field to a task, a [task, field] list or a {collect: ...}",
    ),
)


@dataclass(frozen=True, kw_only=True)
class MapEntry(Located):
    """``map:``: run the task once per entry of a mapping in the input file."""

    over: Annotated[
        Marked[str], Key(NAME, "The key of the task's input-file entry that holds the items")
    ]
    key_as: Annotated[Marked[str], Key(FIELD, "The input field that receives each item's key")]
    value_as: Annotated[Marked[str], Key(FIELD, "The input field that receives each item's value")]
    error_mode: Annotated[
        Marked[str] | None,
        Key(
            Text("'fail_fast' or 'collect_all'", pattern="fail_fast|collect_all"),
            "fail_fast (default): stop at the first failed item; collect_all: try every item",
        ),
    ] = None


@dataclass(frozen=True, kw_only=True)
class _Entry(Located):
    name: Annotated[
        Marked[str] | None,
        Key(NAME, "Instance name of the task (default: the task's own name)"),
    ] = None
    depends_on: Annotated[
        Dependency | None,
        Key(
            DEPENDS_ON,
            "Where the input comes from: a task (instance name or class path), "
            "a [task, field] list, or a mapping from input field to either",
        ),
    ] = None
    config_fields: Annotated[
        tuple[Marked[str], ...],
        Key(ListOf(FIELD, "a list of input field names"), "Input fields given by the input file"),
    ] = ()


@dataclass(frozen=True, kw_only=True)
class TaskEntry(_Entry):
    """A task of the workflow, by Task class."""

    task: Annotated[Marked[str], Key(CLASS_PATH, "The Task subclass, by dotted path")]
    map: Annotated[
        MapEntry | None,
        Key(Record(MapEntry, "a map entry"), "Run the task once per item of a mapping"),
    ] = None


@dataclass(frozen=True, kw_only=True)
class NestedEntry(_Entry):
    """A whole workflow file used as one task."""

    workflow: Annotated[Marked[str], Key(FILE, "The nested workflow file, relative to this file")]
    workflow_input: Annotated[
        Marked[str] | None,
        Key(FILE, "Per-task configuration of the nested workflow, relative to this file"),
    ] = None


TASK_ENTRY = Variant(
    "a task entry",
    {
        "task": Record(TaskEntry, "a task entry"),
        "workflow": Record(NestedEntry, "a nested workflow entry"),
    },
)


@dataclass(frozen=True, kw_only=True)
class WorkflowSection(Located):
    """``workflow:``: the tasks and how they are wired."""

    name: Annotated[Marked[str], Key(NAME, "Name of the workflow")]
    tasks: Annotated[
        tuple[TaskEntry | NestedEntry, ...],
        Key(ListOf(TASK_ENTRY, "a list of task entries"), "The tasks, in order"),
    ]
    result_task: Annotated[
        Marked[str] | None,
        Key(TASK_REF, "The task whose output is the result (default: the only sink)"),
    ] = None


@dataclass(frozen=True, kw_only=True)
class HookEntry(Located):
    """A hook: its class and the keyword arguments of its constructor."""

    hook: Annotated[Marked[str], Key(CLASS_PATH, "The hook class, by dotted path")]
    params: Annotated[
        tuple[tuple[Marked[str], Marked[object]], ...],
        Key(
            MapOf(NAME, Data("a parameter value"), "a mapping from parameter name to value"),
            "Keyword arguments of the hook's constructor",
        ),
    ] = ()


@dataclass(frozen=True, kw_only=True)
class RunnerSection(Located):
    """``runner:``: hooks and the job's timeout."""

    hooks: Annotated[
        tuple[HookEntry, ...],
        Key(ListOf(Record(HookEntry, "a hook entry"), "a list of hook entries"), "Lifecycle hooks"),
    ] = ()
    timeout_seconds: Annotated[
        Marked[float] | None,
        Key(
            PositiveNumber(
                f"a finite positive number of seconds, at most {MAX_TIMEOUT_SECONDS:g}",
                MAX_TIMEOUT_SECONDS,
            ),
            "Deadline of the whole job",
        ),
    ] = None


@dataclass(frozen=True, kw_only=True)
class ContextSection(Located):
    """``context:``: what the ExecutionContext given to every task holds."""

    services: Annotated[
        tuple[tuple[Marked[str], Marked[object]], ...],
        Key(
            MapOf(NAME, Data("a service value"), "a mapping from service name to value"),
            "Services, resolved by name with ctx.resolve(name)",
        ),
    ] = ()
    correlation_id: Annotated[
        Marked[str] | None, Key(NAME, "Correlation id of the job (default: a new UUID)")
    ] = None
    scratch_dir: Annotated[
        Marked[str] | None,
        Key(FILE, "Folder for temporary files, relative to this file (default: a temporary one)"),
    ] = None


@dataclass(frozen=True, kw_only=True)
class WorkflowFile(Located):
    """A whole workflow file."""

    workflow: Annotated[
        WorkflowSection,
        Key(Record(WorkflowSection, "the workflow section"), "The workflow: name and tasks"),
    ]
    runner: Annotated[
        RunnerSection | None,
        Key(Record(RunnerSection, "the runner section"), "How the job runs"),
    ] = None
    context: Annotated[
        ContextSection | None,
        Key(Record(ContextSection, "the context section"), "What every task's context holds"),
    ] = None


WORKFLOW_FILE = Record(WorkflowFile, "a workflow file")


def workflow_file_schema() -> dict[str, object]:
    """The JSON Schema (2020-12) of workflow files, from the same records that check them."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "taskmaestro workflow file",
        **WORKFLOW_FILE.json_schema(),
    }
