"""The exception tree of taskmaestro.

Every error the library raises on purpose derives from ``WorkflowRunnerError``,
so callers can catch the whole family with one ``except`` clause.
"""

from __future__ import annotations

from typing import Self

__all__ = [
    "ConfigLoadError",
    "CycleDetectedError",
    "IncompleteInputError",
    "JobStateError",
    "MappedTaskExecutionError",
    "NestedWorkflowError",
    "ResumeError",
    "RunRecordError",
    "TaskExecutionError",
    "TaskOutputTypeError",
    "TaskTimeoutError",
    "TimeoutValueError",
    "WorkflowDefinitionError",
    "WorkflowRunnerError",
]


def describe_error(error: BaseException) -> str:
    """A failure on one line for people: ``ValueError: boom``; the library's own errors,
    whose messages say what failed, as they are."""
    text = str(error)
    if not isinstance(error, WorkflowRunnerError):
        text = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return " ".join(text.split())


class WorkflowRunnerError(Exception):
    """Base class of every error raised by taskmaestro."""


class WorkflowDefinitionError(WorkflowRunnerError):
    """A workflow (or a job binding one) breaks a wiring rule.

    ``task_name`` names the task instance the violation concerns (``None`` for
    workflow-wide rules) and ``fields`` the fields of its input at fault (empty
    when the rule is not about particular fields): the missing required fields,
    a config field that is not an input field, a fan-in key, the input field a
    shared or fanned-in value does not fit, the configured values that are
    missing, undeclared or invalid. Callers (the command line's JSON, the YAML
    loader) read these rather than the message.

    ``part`` names the piece of the task's declaration at fault, so that the
    YAML loader can point at it:

    - ``("depends_on", key)``: a fan-in entry (``key``) or the single dependency
      (``key`` is ``None``), for a type mismatch;
    - ``("key", key)``: a fan-in key that is not an input field;
    - ``("route", key)``: the routed field of that entry (or of the single dependency);
    - ``("reference", key)``: the task that entry refers to;
    - ``("config_fields", name)``: one entry of ``config_fields``;
    - ``("name", None)``: the instance name;
    - ``("result_task", None)``: the workflow's ``result_task`` (``task_name`` is ``None``).
    """

    part: tuple[str, str | None] | None = None

    def __init__(
        self,
        message: str = "",
        *,
        task_name: str | None = None,
        fields: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.task_name = task_name
        self.fields: list[str] = list(fields) if fields is not None else []

    @property
    def task(self) -> str | None:
        """The same as ``task_name`` (the name this project used before it)."""
        return self.task_name

    def at(self, task: str | None, part: tuple[str, str | None] | None = None) -> Self:
        """Record where the violation is (only where it is not known yet); returns self."""
        if self.task_name is None:
            self.task_name = task
        if self.part is None:
            self.part = part
        return self


class CycleDetectedError(WorkflowDefinitionError):
    """The dependency graph has a cycle; ``cycle`` lists the task names on it."""

    def __init__(
        self,
        message: str = "",
        cycle: list[str] | None = None,
        *,
        task_name: str | None = None,
        fields: list[str] | None = None,
    ) -> None:
        super().__init__(message, task_name=task_name, fields=fields)
        self.cycle: list[str] = cycle if cycle is not None else []


class IncompleteInputError(WorkflowDefinitionError):
    """Required input fields of a task are neither wired nor configured."""


class JobStateError(WorkflowRunnerError):
    """A job was used in a state that does not allow it (e.g. run twice)."""


class ConfigLoadError(WorkflowRunnerError):
    """A YAML workflow or input file could not be loaded or validated.

    ``path``, ``line`` and ``column`` (1-based) locate the offending YAML node;
    the message starts with ``path:line:column:``. ``line`` and ``column`` are
    ``None`` when no node is at fault (a file that cannot be opened).
    ``task_name`` and ``fields`` name the task and its input fields a value of
    an input file was given to, when the problem is about such a value (as
    ``WorkflowDefinitionError``'s do for the wiring). ``workflow_name`` is the
    name the workflow file declares (or the registered workflow's), once the
    file was read that far; ``None`` before.
    """

    workflow_name: str | None = None

    def __init__(
        self,
        message: str = "",
        *,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
        task_name: str | None = None,
        fields: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.column = column
        self.task_name = task_name
        self.fields: list[str] = list(fields) if fields is not None else []


class TaskExecutionError(WorkflowRunnerError):
    """A failure the runner itself detected while a task ran; ``task_name`` names it.

    Its input did not validate, it returned the wrong model, it ran out of time,
    or the workflow it wraps failed. An exception the task's own code raised is
    recorded as it is, not wrapped in this class.
    """

    def __init__(self, message: str = "", task_name: str | None = None) -> None:
        super().__init__(message)
        self.task_name = task_name


class TaskOutputTypeError(TaskExecutionError):
    """A task returned something other than its declared output model."""


class TaskTimeoutError(TaskExecutionError):
    """A task, or the job around it, ran past its deadline."""


class NestedWorkflowError(TaskExecutionError, RuntimeError):
    """The workflow a ``workflow_task`` wraps failed; the outer task fails with this.

    Also a ``RuntimeError``, which is what taskmaestro 0.1.0 raised there.
    ``inner_task`` names the inner task at fault; the inner error is ``__cause__``.
    """

    def __init__(
        self, message: str = "", task_name: str | None = None, inner_task: str | None = None
    ) -> None:
        super().__init__(message, task_name)
        self.inner_task = inner_task


class MappedTaskExecutionError(TaskExecutionError):
    """Items of a mapped task failed; ``errors`` maps each failed item's key to its error.

    With ``error_mode="fail_fast"`` it holds the first failed item and is chained
    from its error (``__cause__``); with ``"collect_all"``, every failed item, in
    item order. The message reads "Mapped task 't' failed: <key>: <error>; ...".
    """

    def __init__(self, task_name: str, errors: dict[str, Exception]) -> None:
        listed = "; ".join(f"{key}: {describe_error(error)}" for key, error in errors.items())
        super().__init__(f"Mapped task '{task_name}' failed: {listed}", task_name)
        self.task_name: str = task_name
        self.errors = errors

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return type(self), (self.task_name, self.errors)


class TimeoutValueError(WorkflowRunnerError, ValueError):
    """``Runner.run`` got a ``timeout_seconds`` that is neither ``None`` nor a
    positive, finite number of seconds (at most 1e9). Also a ``ValueError``."""


class RunRecordError(WorkflowRunnerError):
    """A run directory cannot be used: its record is missing, unreadable or of another
    format, or it already holds the record of another run. ``run_dir`` names it."""

    def __init__(self, message: str = "", run_dir: str | None = None) -> None:
        super().__init__(message)
        self.run_dir = run_dir


class ResumeError(RunRecordError):
    """A resume was refused: the workflow or its inputs differ from the recorded run's,
    or that run is still going on. ``differences`` lists each difference found, one
    line each, naming the task, edge or input key."""

    def __init__(
        self, message: str = "", run_dir: str | None = None, differences: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message, run_dir)
        self.differences = differences
