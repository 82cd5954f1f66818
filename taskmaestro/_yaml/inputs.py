"""The input file, in one of two modes, and its values checked where they are written.

The rule: an input file whose top-level keys all name task instances of the
workflow is *per task*: each key gives that task's configured fields (and so
declares them as its ``config_fields``). Any other mapping, an empty file
included, is *flat*: its keys are the fields of the root task's input model.
A key that is both a task name and a root input field thus reads as a task
name when every key names a task; anything flat can also be written per task
(under the root task's name), so nothing is lost.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..workflow import Workflow
from .core import first_unconfigured_root, has_task
from .shapes import Marked, is_null
from .source import STR_TAG, Source, describe_node

__all__ = [
    "Fields",
    "InputFile",
    "check_task_values",
    "flat_config",
    "read_input_file",
    "root_task",
]

type Fields = tuple[tuple[Marked[str], Marked[object]], ...]
"""Field names and values, in file order."""

PER_TASK_HINT = "the input file is read per task because every top-level key names a task"
INPUT_NOT_MAPPING = "Input YAML file must contain a mapping"
"""0.1.0's key phrase for an input file whose document is not a mapping."""
INPUT_INVALID = "Input validation error"
"""0.1.0's key phrase before a problem with the values an input file gives."""


@dataclass(frozen=True, eq=False)
class InputFile:
    """An input file read in its mode: ``per_task`` maps task names to their fields."""

    source: Source
    flat: Fields
    per_task: Mapping[str, tuple[Marked[str], Fields]] | None

    def task_key(self, task: str) -> Node:
        """Where a task's values are written (the file's root if they are not)."""
        if self.per_task is not None and task in self.per_task:
            return self.per_task[task][0].node
        return self.source.root


def read_input_file(
    source: Source, task_names: Collection[str], *, per_task_only: bool
) -> InputFile:
    """Read ``source`` per task or flat (see the module's rule).

    ``per_task_only`` (nested workflows' inputs): a flat file is an error.
    """
    root = source.root
    if is_null(root):
        return InputFile(source, (), {} if per_task_only else None)
    if not isinstance(root, MappingNode):
        expected = (
            "task names mapped to their fields"
            if per_task_only
            else ("a mapping of the root task's input fields, or of task names to their fields")
        )
        raise source.error(
            root, f"{INPUT_NOT_MAPPING}: expected {expected}, got {describe_node(root)}"
        )
    pairs = source.pairs(root)
    names = [_key(source, key, "a field or task name") for key, _ in pairs]
    _check_misspelled_task(source, names, [value for _, value in pairs], task_names)
    if pairs and all(name.value in task_names for name in names):
        per_task = {
            name.value: (name, _fields(source, value, f"task '{name.value}'"))
            for name, (_, value) in zip(names, pairs, strict=True)
        }
        return InputFile(source, (), per_task)
    if per_task_only:
        stray = next(name for name in names if name.value not in task_names)
        raise source.error(
            stray.node,
            f"'{stray.value}' is not a task of the nested workflow (its tasks: "
            f"{', '.join(sorted(task_names))}); the input file of a nested workflow maps "
            "task names to their configured fields",
        )
    flat = tuple(
        (name, Marked(source.construct(value), value))
        for name, (_, value) in zip(names, pairs, strict=True)
    )
    return InputFile(source, flat, None)


def _check_misspelled_task(
    source: Source, names: Sequence[Marked[str]], values: Sequence[Node], tasks: Collection[str]
) -> None:
    """Refuse a file keyed by task names but one, when that one is a near miss of a task.

    Without this, one misspelled task name (``transfrom:``) would make the whole
    file read flat, and the error would name some other key.
    """
    named = [name for name in names if name.value in tasks]
    if not named or len(named) == len(names):
        return
    if not all(is_null(value) or isinstance(value, MappingNode) for value in values):
        return  # not shaped like a per-task file
    unused = sorted(set(tasks) - {name.value for name in named})
    for name in names:
        if name.value in tasks:
            continue
        close = difflib.get_close_matches(name.value, unused, n=1)
        if close:
            raise source.error(
                name.node,
                f"{INPUT_INVALID}: '{name.value}' is not a task of the workflow (did you mean "
                f"'{close[0]}'?); the other top-level keys name tasks, so the input file is "
                "meant per task, where every key must name a task",
            )


def _key(source: Source, node: Node, what: str) -> Marked[str]:
    if isinstance(node, ScalarNode) and node.tag == STR_TAG:
        return Marked(str(node.value), node)
    raise source.error(node, f"expected {what} as key, got {describe_node(node)}")


def _fields(source: Source, node: Node, owner: str) -> Fields:
    if is_null(node):
        return ()
    if not isinstance(node, MappingNode):
        raise source.error(
            node,
            f"{owner}: expected a mapping of field: value, got {describe_node(node)} "
            f"({PER_TASK_HINT})",
        )
    return tuple(
        (_key(source, key, "a field name"), Marked(source.construct(value), value))
        for key, value in source.pairs(node)
    )


def root_task(workflow: Workflow[Any, Any]) -> str | None:
    """The root task whose input the flat input file gives (None: every root is configured)."""
    return first_unconfigured_root(workflow)


def flat_config(workflow: Workflow[Any, Any], inputs: InputFile) -> BaseModel:
    """The job config: the flat file validated into the workflow's input model."""
    model = workflow.input_model
    root = root_task(workflow)
    source = inputs.source
    data = {name.value: value.value for name, value in inputs.flat}
    if model.model_config.get("extra") != "allow":
        accepted = _accepted_keys(model)
        for name, _ in inputs.flat:
            if name.value not in accepted:
                problem = _unknown_field(name.value, root, model, workflow)
                raise source.error(
                    name.node, f"{INPUT_INVALID}: {problem}", task_name=root, fields=[name.value]
                )
    try:
        return model.model_validate(data, by_name=True)
    except ValidationError as error:
        owner = f"input of root task '{root}' ({model.__name__})"
        raise _located(source, source.root, error.errors(), owner, root) from None


def _unknown_field(
    name: str, root: str | None, model: type[BaseModel], workflow: Workflow[Any, Any]
) -> str:
    if root is None:
        return (
            f"'{name}' is not an input field: every root task of workflow '{workflow.name}' "
            "takes its input from per-task configuration, so key the input file by task names"
        )
    fields = ", ".join(model.model_fields) or "none"
    message = f"'{name}' is not an input field of root task '{root}' ({model.__name__}: {fields})"
    if has_task(workflow, name):
        message += (
            f"; '{name}' names a task, but an input file is read per task only when every "
            "top-level key names a task"
        )
    return message


def check_task_values(model: type[BaseModel], task: str, fields: Fields, source: Source) -> None:
    """Check configured values against the task's input model, where they are written.

    Only the given fields are judged (the others come from upstream tasks); a
    model validator that cannot run on part of the input is left to the run.
    """
    data = {name.value: value.value for name, value in fields}
    nodes = {name.value: value.node for name, value in fields}
    try:
        model.model_validate(data, by_name=True)
    except ValidationError as error:
        problems = [p for p in error.errors() if p["loc"] and p["loc"][0] in data]
        if problems:
            first = str(problems[0]["loc"][0])
            owner = f"task '{task}' ({model.__name__})"
            raise _located(source, nodes[first], problems, owner, task, skip=1) from None
    except Exception:  # a validator that needs the whole input: the run will judge it
        return


def _located(
    source: Source,
    node: Node,
    problems: Sequence[ErrorDetails],
    owner: str,
    task: str | None,
    *,
    skip: int = 0,
) -> Exception:
    """The first of pydantic's problems, at its node; ``task`` and the input field (the
    location's first part) are kept on the error."""
    first = problems[0]
    loc = first["loc"]
    field = ".".join(str(part) for part in loc) or "(the whole input)"
    more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
    return source.error(
        node_at(source, node, loc[skip:]),
        f"{INPUT_INVALID}: {owner}, field '{field}': {first['msg']}{more}",
        task_name=task,
        fields=[str(loc[0])] if loc else None,
    )


def node_at(source: Source, node: Node, loc: Sequence[int | str]) -> Node:
    """The deepest node along a pydantic error location (the last one that exists)."""
    for part in loc:
        child: Node | None = None
        if isinstance(node, MappingNode):
            child = next((v for k, v in source.pairs(node) if k.value == str(part)), None)
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node = child
    return node


def _accepted_keys(model: type[BaseModel]) -> set[str]:
    accepted = set(model.model_fields)
    for field in model.model_fields.values():
        for alias in (field.alias, field.validation_alias):
            if isinstance(alias, str):
                accepted.add(alias)
    return accepted
