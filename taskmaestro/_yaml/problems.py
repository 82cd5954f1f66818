"""Every problem of a file, not only the first: collected phase by phase, each with a code.

The loader reads a file in phases (the file's keys and shapes; its imports and
hooks; the wiring; the input's values). Within a phase a problem is noted and
reading goes on with the next entry; at the end of a phase with problems, the
first is raised as a ``ConfigProblems`` that carries them all. Its message and
position are the first problem's, so callers that want one error see the same
one as before; ``taskmaestro check`` prints them all, with their codes.

Codes of wiring rules are the mypy plugin's (``mypy_plugin/codes.py``; a test
holds them equal), so CI logs read alike from both tools.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from .. import _contract as contract
from ..exceptions import (
    ConfigLoadError,
    CycleDetectedError,
    IncompleteInputError,
    WorkflowDefinitionError,
)

__all__ = [
    "CODES",
    "Code",
    "ConfigProblems",
    "Problem",
    "Skipped",
    "coded",
    "collecting",
    "independent",
    "job_code",
    "note",
    "problems_of",
    "skip",
    "wiring_code",
]

# Codes of the file's own checks (no mypy counterpart).
FILE = "taskmaestro-file"
SYNTAX = "taskmaestro-yaml-syntax"
SCHEMA = "taskmaestro-yaml-schema"
IMPORT = "taskmaestro-import"
HOOK = "taskmaestro-hook"
INPUT = "taskmaestro-input"
PLUGIN = "taskmaestro-plugin"
Code = contract.Code
"""Codes shared with the mypy plugin: the same rule, the same code."""
SHARED_WITH_PLUGIN = tuple(
    code for name, code in vars(Code).items() if name.isupper() and code != Code.RUN_SIGNATURE
)
"""Every wiring code but the plugin's own check of ``run()`` signatures."""
CODES = (FILE, SYNTAX, SCHEMA, IMPORT, HOOK, INPUT, PLUGIN, *SHARED_WITH_PLUGIN)


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem of a file: the located error and its code."""

    error: ConfigLoadError
    code: str


class ConfigProblems(ConfigLoadError):
    """Several problems of one phase; the message and position are the first one's."""

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0].error
        super().__init__(
            str(first),
            path=first.path,
            line=first.line,
            column=first.column,
            task_name=first.task_name,
            fields=first.fields,
        )
        self.problems = tuple(problems)
        self.__cause__ = first.__cause__


class Skipped(ConfigLoadError):
    """Raised past a part that could not be read, once its problems are noted."""


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []


_current: ContextVar[_Collector | None] = ContextVar("taskmaestro_yaml_problems", default=None)


@contextmanager
def collecting() -> Iterator[None]:
    """Collect the problems noted inside; raise them together at the end, if any."""
    collector = _Collector()
    token = _current.set(collector)
    try:
        yield
    except Skipped:
        pass
    except ConfigLoadError as error:  # raised, not noted: the last problem of the phase
        if not collector.problems:
            raise
        note_into(collector, error, _code(error))
    finally:
        _current.reset(token)
    if collector.problems:
        raise ConfigProblems(collector.problems)


def note(error: ConfigLoadError, code: str) -> None:
    """Note a problem and go on (inside ``collecting``), else raise it at once."""
    if isinstance(error, Skipped):
        return
    collector = _current.get()
    if collector is None:
        raise error
    note_into(collector, error, code)


def note_into(collector: _Collector, error: ConfigLoadError, code: str) -> None:
    if isinstance(error, ConfigProblems):
        collector.problems.extend(error.problems)
    else:
        collector.problems.append(Problem(error, code))


def independent[A, B](first: Callable[[], A], second: Callable[[], B]) -> tuple[A, B]:
    """Read two parts of a file that do not depend on each other (the workflow and its
    runner's hooks): the problems of both are reported, the first part's first.

    When only one part has problems, its error is raised as it is."""
    try:
        done = first()
    except ConfigLoadError as failed:
        try:
            second()
        except ConfigLoadError as other:
            raise ConfigProblems([*problems_of(failed), *problems_of(other)]) from None
        raise
    return done, second()


def skip() -> Skipped:
    """The exception that unwinds past a part whose problems were noted."""
    return Skipped("skipped: its problems were noted")


def coded(error: ConfigLoadError, code: str) -> ConfigProblems:
    """One problem with the code its raiser knows (rather than one guessed later)."""
    return ConfigProblems([Problem(error, code)])


def job_code(error: WorkflowDefinitionError) -> str:
    """The code of a problem binding the input to the workflow (a Job that cannot be made)."""
    if isinstance(error, CycleDetectedError | IncompleteInputError) or error.part is not None:
        return wiring_code(error)
    return Code.JOB_CONFIG


def problems_of(error: ConfigLoadError) -> tuple[Problem, ...]:
    """All the problems an error stands for, each with its code."""
    if isinstance(error, ConfigProblems):
        return error.problems
    return (Problem(error, _code(error)),)


def _code(error: ConfigLoadError) -> str:
    cause = error.__cause__
    if isinstance(cause, WorkflowDefinitionError):
        return wiring_code(cause)
    if error.line is None:
        return FILE
    message = str(error)
    if "YAML parse error" in message:
        return SYNTAX
    if "Input validation error" in message or "Input YAML file must contain" in message:
        return INPUT
    return SCHEMA


def wiring_code(error: WorkflowDefinitionError) -> str:
    """The mypy plugin's code for the wiring rule a core error reports."""
    if isinstance(error, CycleDetectedError):
        return Code.CYCLE
    if isinstance(error, IncompleteInputError):
        return Code.MISSING_INPUT
    kind = error.part[0] if error.part is not None else None
    if kind == "name" and error.task_name is None:  # no instance: the name is not one
        return Code.INVALID_NAME
    return {
        "depends_on": Code.TYPE,
        "key": Code.FAN_IN_KEY,
        "route": Code.ROUTE,
        "reference": Code.REFERENCE,
        "config_fields": Code.CONFIG_FIELD,
        "name": Code.DUPLICATE_NAME,
        "result_task": Code.REFERENCE,
    }.get(kind or "", Code.RESULT if error.task_name is None else Code.TYPE)
