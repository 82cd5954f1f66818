"""The one JSON document every command prints with ``--json``: the envelope.

``{"format": 1, "command", "status", "workflow", "result", "error"}``; the
shipped schema ``taskmaestro/cli.schema.json`` describes it, and ``error`` is
``null`` or an error object:
``{"code", "type", "message", "task", "field", "issues": [...]}``, each issue
``{"code", "message", "file", "line", "column", "task", "field"}``.

Values of the input file never appear unless asked for (``--show-values``):
messages about input values, a task's exception text and configured values
are withheld without it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..exceptions import ConfigLoadError

__all__ = [
    "FORMAT",
    "ErrorInfo",
    "Issue",
    "config_error",
    "document",
    "dumps",
    "simple_error",
]

FORMAT = 1
"""The envelope's version; a change that removes or renames a key increments it."""

# Codes of errors that are not problems of a file (those carry the loader's codes).
USAGE = "taskmaestro-usage"
PLUGIN = "taskmaestro-plugin"
TASK_FAILED = "taskmaestro-task-failed"
INTERRUPTED = "taskmaestro-interrupted"
INTERNAL = "taskmaestro-internal"
INPUT_CODE = "taskmaestro-input"
WITHHELD = "withheld: this problem is about a value of the input file (use --show-values)"


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem: its code and message, and where it is (any part may be unknown)."""

    code: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    task: str | None = None
    field: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "task": self.task,
            "field": self.field,
        }


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """Why a command did not succeed: a code, the top exception's type, and the issues."""

    code: str
    type: str
    message: str
    task: str | None = None
    field: str | None = None
    issues: tuple[Issue, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "type": self.type,
            "message": self.message,
            "task": self.task,
            "field": self.field,
            "issues": [issue.to_json() for issue in self.issues],
        }


def document(
    command: str,
    status: str,
    *,
    workflow: str | None = None,
    result: object = None,
    error: ErrorInfo | None = None,
) -> dict[str, object]:
    """The envelope, keys in a fixed order."""
    return {
        "format": FORMAT,
        "command": command,
        "status": status,
        "workflow": workflow,
        "result": result,
        "error": error.to_json() if error is not None else None,
    }


def dumps(data: object) -> str:
    """One line of strict JSON (no NaN), non-ASCII text kept as is."""
    import json  # here: a json.py in the current folder must not shadow it (see app)

    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))


def simple_error(code: str, error: BaseException, message: str | None = None) -> ErrorInfo:
    """An error with one issue, not located in a file."""
    text = message if message is not None else str(error)
    return ErrorInfo(code, type(error).__name__, text, issues=(Issue(code, text),))


def config_error(
    error: ConfigLoadError, *, input_files: Sequence[str] = (), show_values: bool = False
) -> ErrorInfo:
    """Every problem a ``ConfigLoadError`` stands for, each with its code and position.

    Problems of input values (code ``taskmaestro-input``) located in one of
    ``input_files`` keep their message only with ``show_values``: it may quote
    the value at fault. The core's messages (wiring, job checks) name tasks,
    fields and types only, and are kept.
    """
    from .._yaml.problems import problems_of

    issues: list[Issue] = []
    for problem in problems_of(error):
        located = problem.error
        message = str(located)
        task, field_name = _task_and_field(located)
        if task is None and problem.code == INPUT_CODE:
            task, field_name = _input_task_and_field(str(located))
        in_input = located.path is not None and located.path in input_files
        if in_input and problem.code == INPUT_CODE and not show_values:
            message = f"{located.path}:{located.line}:{located.column}: {WITHHELD}"
        issues.append(
            Issue(
                problem.code,
                message,
                located.path,
                located.line,
                located.column,
                task,
                field_name,
            )
        )
    first = issues[0]
    return ErrorInfo(
        first.code,
        _public_type(error),
        first.message,
        task=first.task,
        field=first.field,
        issues=tuple(issues),
    )


def _public_type(error: ConfigLoadError) -> str:
    """The exception's class name; the loader's private collection reads as what it is."""
    from .._yaml.problems import ConfigProblems

    return "ConfigLoadError" if type(error) is ConfigProblems else type(error).__name__


_INPUT_AT = re.compile(r"task '(?P<task>[^']+)' \([^)]*\), field '(?P<field>[^']+)'")


def _input_task_and_field(message: str) -> tuple[str | None, str | None]:
    """The task and field an input-value message names (the loader's fixed wording in
    ``_yaml.inputs``: "task '<t>' (<Model>), field '<f>'")."""
    found = _INPUT_AT.search(message)
    if found is None:
        return None, None
    return found.group("task"), found.group("field")


def _task_and_field(error: BaseException) -> tuple[str | None, str | None]:
    """The task and field the core's error (the cause) names, if any."""
    from ..exceptions import WorkflowDefinitionError

    cause = error.__cause__
    while cause is not None and not isinstance(cause, WorkflowDefinitionError):
        cause = cause.__cause__
    if cause is None:
        return None, None
    task = cause.task
    part = cause.part
    field_name = part[1] if part is not None else None
    if field_name is None:
        fields = getattr(cause, "fields", None)
        if isinstance(fields, list | tuple) and fields:
            field_name = str(fields[0])
    return task, field_name
