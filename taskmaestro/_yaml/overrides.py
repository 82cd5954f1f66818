"""``--set task.field=value``: input values given on the command line, over the input file's.

Each value reads as a YAML value would in the input file (``3`` is a number,
``[a, b]`` a list, ``'3'`` a string, nothing at all null), and is merged into
the input file's values before anything checks them, so that it is checked
exactly like them: an unknown task or field, or a value its field refuses, is a
``ConfigLoadError`` that names the flag and its position among the ``--set``
flags, as in ``--set #2 'load.path=3': ...``.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from pydantic import BaseModel
from yaml.nodes import Node, ScalarNode

from ..exceptions import ConfigLoadError
from .inputs import INPUT_INVALID, Fields, InputFile, check_task_values
from .shapes import Marked
from .source import STR_TAG, FlagMark, flag_source, read_flag_value

__all__ = ["Override", "apply_flat", "apply_per_task", "read_overrides"]

FLAG = "--set"


@dataclass(frozen=True, eq=False)
class Override:
    """One ``--set task.field=value``: where it is among the flags, and what it sets."""

    label: str
    """The flag as messages name it: ``--set #2 'load.path=3'``."""
    task: str
    field: Marked[str]
    value: Marked[object]
    key: Node
    """A node standing for the flag (to blame the flag as a whole)."""

    def error(self, message: str) -> ConfigLoadError:
        return ConfigLoadError(f"{self.label}: {message}")


def read_overrides(texts: Sequence[str]) -> tuple[Override, ...]:
    """Read each ``task.field=value``; a malformed one names its flag."""
    return tuple(_read(text, position) for position, text in enumerate(texts, start=1))


def _read(text: str, position: int) -> Override:
    label = f"{FLAG} #{position} {text!r}"
    key, equals, raw = text.partition("=")
    task, dot, field = key.strip().partition(".")
    if not equals or not dot or not task or not field:
        raise ConfigLoadError(
            f"{label}: expected TASK.FIELD=VALUE, such as 'load.path=data.csv' "
            "(a task's instance name, one of its input fields, and a YAML value)"
        )
    if "." in field:
        raise ConfigLoadError(
            f"{label}: '{field}' is not one field: set the whole value of a top-level field, "
            f"such as '{task}.{field.partition('.')[0]}={{{field.partition('.')[2]}: ...}}'"
        )
    value, node = read_flag_value(raw, label)
    mark = FlagMark(label)
    flag_node = ScalarNode(STR_TAG, text, mark, mark)
    return Override(label, task, Marked(field, flag_node), Marked(value, node), flag_node)


def apply_per_task(
    inputs: InputFile | None, overrides: Sequence[Override], tasks: Collection[str]
) -> InputFile | None:
    """The per-task input file (or no file) with the overrides' values set over its own.

    A task given only on the command line gets its values as if the file had
    them under its name (they then become its ``config_fields``, as in a file).
    A flat input file is left as it is (see ``apply_flat``).
    """
    if not overrides or (inputs is not None and inputs.per_task is None):
        return inputs
    per_task = dict(inputs.per_task or {}) if inputs is not None else {}
    for override in overrides:
        if override.task not in tasks:
            raise override.error(_unknown_task(override.task, tasks))
        name, fields = per_task.get(override.task, (Marked(override.task, override.key), ()))
        per_task[override.task] = (name, _set(fields, override))
    source = inputs.source if inputs is not None else flag_source(FLAG)
    return InputFile(source, (), per_task)


def apply_flat(
    inputs: InputFile, overrides: Sequence[Override], root: str | None, model: type[BaseModel]
) -> InputFile:
    """A flat input file (the root task's fields) with the overrides of the root task set.

    Each value is checked against its field first, so that a wrong one names its flag.
    """
    if not overrides:
        return inputs
    flat = inputs.flat
    for override in overrides:
        if override.task != root:
            raise override.error(
                f"{INPUT_INVALID}: the input file {inputs.source.path} is flat: its keys are "
                f"the input fields of root task '{root}', so only '{root}.FIELD' can be set; "
                "to set other tasks' values, key the input file by task names"
            )
        pair = (override.field, override.value)
        check_task_values(model, override.task, (pair,), flag_source(override.label))
        flat = _set(flat, override)
    return replace(inputs, flat=flat)


def _set(fields: Fields, override: Override) -> Fields:
    """``fields`` with the override's field set (replaced in place, or added last)."""
    field = override.field.value
    pair = (override.field, override.value)
    if any(name.value == field for name, _ in fields):
        return tuple(pair if name.value == field else (name, value) for name, value in fields)
    return (*fields, pair)


def _unknown_task(task: str, tasks: Collection[str]) -> str:
    close = difflib.get_close_matches(task, list(tasks), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    listed = ", ".join(sorted(tasks))
    return f"{INPUT_INVALID}: '{task}' is not a task of the workflow{hint}; its tasks: {listed}"
