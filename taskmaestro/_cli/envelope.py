"""The one JSON document every command prints with ``--json``: the envelope.

``{"format": 1, "command", "status", "workflow", "result", "error"}``; the
shipped schema ``taskmaestro/cli.schema.json`` describes it, and ``error`` is
``null`` or an error object:
``{"code", "type", "message", "task", "field", "fields", "issues": [...]}``, each
issue ``{"code", "message", "file", "line", "column", "task", "field", "fields"}``:
``fields`` lists the input fields of ``task`` the problem is about (every missing
one, say) and ``field`` is the first of them. Both come from the errors' own
``task_name`` and ``fields``, never from reading their messages.

Values of the input file never appear unless asked for (``--show-values``):
messages about input values, a task's exception text and configured values
are withheld without it.
"""

from __future__ import annotations

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
    fields: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "task": self.task,
            "field": self.fields[0] if self.fields else None,
            "fields": list(self.fields),
        }


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """Why a command did not succeed: a code, the top exception's type, and the issues."""

    code: str
    type: str
    message: str
    task: str | None = None
    fields: tuple[str, ...] = ()
    issues: tuple[Issue, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "type": self.type,
            "message": self.message,
            "task": self.task,
            "field": self.fields[0] if self.fields else None,
            "fields": list(self.fields),
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
        task, fields = _task_and_fields(located)
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
                fields,
            )
        )
    first = issues[0]
    return ErrorInfo(
        first.code,
        _public_type(error),
        first.message,
        task=first.task,
        fields=first.fields,
        issues=tuple(issues),
    )


def _public_type(error: ConfigLoadError) -> str:
    """The exception's class name; the loader's private collection reads as what it is."""
    from .._yaml.problems import ConfigProblems

    return "ConfigLoadError" if type(error) is ConfigProblems else type(error).__name__


def _task_and_fields(error: ConfigLoadError) -> tuple[str | None, tuple[str, ...]]:
    """The task and fields a problem names: its own ``task_name`` and ``fields`` (a value
    of an input file, a wiring problem), else those of the core's error behind it (the
    cause); failing those, the fan-in key or config field the core's ``part`` names."""
    from ..exceptions import WorkflowDefinitionError

    task, fields = error.task_name, tuple(error.fields)
    cause = error.__cause__
    while cause is not None and not isinstance(cause, WorkflowDefinitionError):
        cause = cause.__cause__
    if cause is None:
        return task, fields
    if task is None:
        task = cause.task_name
    if not fields:
        fields = tuple(cause.fields)
    if not fields and cause.part is not None and cause.part[1] is not None:
        fields = (cause.part[1],)
    return task, fields
