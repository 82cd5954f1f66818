"""``Job``: a workflow bound to its input, and the record of one run of it."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType
from typing import Annotated, Any, Generic

from pydantic import BaseModel, PydanticUserError, TypeAdapter, ValidationError

from . import _contract as contract
from ._definition import WorkflowDefinition
from ._rules import check_job_config
from .context import ExecutionContext
from .exceptions import IncompleteInputError, JobStateError, WorkflowDefinitionError
from .models import EmptyConfig
from .task import InT, OutT

__all__ = [
    "EmptyConfig",
    "Job",
    "JobConfiguration",
    "JobStatus",
    "TaskResult",
    "TaskStatus",
    "check_job_configuration",
]


class JobStatus(StrEnum):
    """pending -> running -> completed | failed."""

    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class TaskStatus(StrEnum):
    """The outcome of one task in a job.

    ``REUSED``: a resumed job took the task's output from the run directory of
    an earlier run instead of running it (see ``Runner.resume``).
    """

    COMPLETED = "completed"
    FAILED = "failed"
    REUSED = "reused"


@dataclass(init=False)
class TaskResult:
    """What happened when one task ran: status, output or error, start and duration.

    ``started_at`` is naive local time (``datetime.now()``); ``error`` is
    ``str(exception)`` on failure and ``exception`` the exception itself.
    ``started_at`` and ``duration_seconds`` span every attempt.

    ``attempts``: how many times ``run`` was called (1 without retries; 0 when
    the output came from the cache or the task failed before ``run``).
    ``cache_hit``: the output came from the result cache and ``run`` was skipped.
    ``cache_note``: why a task with ``cache`` set was not served from or not
    stored in the cache (an ``ObjectModel`` output, no cache on the runner...);
    ``None`` otherwise.
    """

    task_name: str
    status: TaskStatus
    output: BaseModel | None
    started_at: datetime
    duration_seconds: float
    error: str | None = None
    exception: BaseException | None = field(default=None, repr=False)
    attempts: int = 1
    cache_hit: bool = False
    cache_note: str | None = None

    def __init__(
        self,
        task_name: str,
        status: TaskStatus,
        output: BaseModel | None,
        started_at: datetime | float,
        duration_seconds: float,
        error: str | None = None,
        exception: BaseException | None = None,
        attempts: int = 1,
        cache_hit: bool = False,
        cache_note: str | None = None,
    ) -> None:
        """The fields in their order, as a dataclass's ``__init__`` takes them;
        ``started_at`` may also be a ``time.time()`` reading, which becomes the
        datetime when it is first read (the runner gives one).

        Written by hand for the runner, which makes one per task (issue 13): a
        default stays on the class and is stored only when another value is given.
        """
        self.task_name = task_name
        self.status = status
        self.output = output
        self._started_at: datetime | float = started_at
        self.duration_seconds = duration_seconds
        if error is not None:
            self.error = error
        if exception is not None:
            self.exception = exception
        if attempts != 1:
            self.attempts = attempts
        if cache_hit:
            self.cache_hit = cache_hit
        if cache_note is not None:
            self.cache_note = cache_note


def _read_started_at(result: TaskResult) -> datetime:
    """``started_at`` as a datetime, converted (once) from the clock reading the runner took.

    Taking ``datetime.now()`` for every task was about a quarter of the runner's own
    cost per task (issue 13); a float costs nothing until someone reads it.
    """
    value = result._started_at
    if isinstance(value, float):
        value = result._started_at = datetime.fromtimestamp(value)
    return value


def _write_started_at(result: TaskResult, value: datetime) -> None:
    result._started_at = value


# Set once the class is a dataclass (which would take a property in the class body for
# the field's default): repr, eq, asdict, replace and pickle all see the datetime.
setattr(TaskResult, "started_at", property(_read_started_at, _write_started_at))  # noqa: B010


class JobConfiguration(Mapping[str, Mapping[str, object]]):
    """Static input values per task instance: ``{"task_name": {"field": value}}``.

    A task takes from here exactly the fields it lists in ``config_fields``;
    they override values wired from upstream tasks.
    """

    def __init__(self, config: Mapping[str, Mapping[str, object]] | None = None) -> None:
        copied: dict[str, Mapping[str, object]] = {}
        for task, fields in (config or {}).items():
            if not isinstance(task, str) or not isinstance(fields, Mapping):
                raise WorkflowDefinitionError(
                    "JobConfiguration maps task names to {field: value} dicts; "
                    f"got {task!r}: {fields!r}"
                )
            copied[task] = MappingProxyType(dict(fields))
        self._values = copied

    def get_config_for_task(self, name: str) -> dict[str, object]:
        """A new dict of the values given for task ``name`` (``{}`` if none)."""
        return dict(self._values.get(name, {}))

    def configured_tasks(self) -> set[str]:
        """The names of the tasks that have values."""
        return set(self._values)

    def config_fields_for_task(self, name: str) -> set[str]:
        """The field names given for task ``name`` (empty if none)."""
        return set(self._values.get(name, {}))

    def __getitem__(self, task: str) -> Mapping[str, object]:
        return self._values[task]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"JobConfiguration({ {k: dict(v) for k, v in self._values.items()}!r})"


class Job(Generic[InT, OutT]):
    """A workflow bound to its config; after ``Runner().run(job)`` it holds the outcome.

    ``config`` is the input of every root task without ``config_fields`` (W13);
    ``job_configuration`` gives the ``config_fields`` values of each task. Both
    are checked here, so a job that exists can start. A job runs once.

    After a run: ``status``, ``result`` (completed), ``error`` (the text of the
    failing task's exception), ``exception`` (the exception itself),
    ``failed_task``, ``started_at``/``completed_at`` (naive local time),
    ``task_results`` (one TaskResult per started task, in execution order),
    ``mapped_item_results`` (per mapped task, one TaskResult per attempted item,
    named ``task[key]``) and ``context`` (the run's ExecutionContext).
    """

    def __init__(
        self,
        workflow: WorkflowDefinition[InT, OutT],
        config: InT,
        *,
        job_configuration: JobConfiguration | None = None,
    ) -> None:
        self.id: str = str(uuid.uuid4())
        self.workflow = workflow
        self.config = config
        self.job_configuration = job_configuration
        graph = workflow.graph
        _check_mapped_items(workflow, job_configuration)
        check_job_config(graph.name, graph.roots, config)
        self.configured_values: Mapping[str, Mapping[str, object]] = MappingProxyType(
            config_values(
                workflow,
                job_configuration if job_configuration is not None else JobConfiguration(),
            )
        )
        """The checked JobConfiguration values of each configured task (read-only)."""
        self.status: JobStatus = JobStatus.PENDING
        self.result: OutT | None = None
        self.error: str | None = None
        self.exception: BaseException | None = None
        self.failed_task: str | None = None
        self.started_at: datetime | None = None
        self.completed_at: datetime | None = None
        self.task_results: list[TaskResult] = []
        self.mapped_item_results: dict[str, list[TaskResult]] = {}
        """By mapped task name, from when it starts: its items' records, in the order they ended."""
        self.context: ExecutionContext | None = None
        self._claimed = False
        self._lock = threading.Lock()

    def task_result(self, name: str) -> TaskResult | None:
        """The latest TaskResult of the task instance ``name``, if it started."""
        for result in reversed(self.task_results):
            if result.task_name == name:
                return result
        return None

    @property
    def duration_seconds(self) -> float | None:
        """Wall time from start to end, once the job has ended."""
        if self.started_at is None or self.completed_at is None:
            return None
        return (self.completed_at - self.started_at).total_seconds()

    # The lifecycle, driven by the runner (the execution core): claim, then
    # mark_running, then mark_completed or mark_failed.

    def claim(self) -> None:
        """Reserve the job for one run; it stays pending (hooks see it so) until running.

        Raises ``JobStateError`` if the job has run, is running or is claimed.
        """
        with self._lock:
            if self.status is not JobStatus.PENDING or self._claimed:
                status = JobStatus.RUNNING if self.status is JobStatus.PENDING else self.status
                raise JobStateError(
                    contract.JOB_STATE.format(
                        status=status.value,
                        workflow=contract.describe_workflow(self.workflow.name),
                    )
                )
            self._claimed = True

    def mark_running(self, now: datetime) -> None:
        """Claim the job if not done yet, and mark it running."""
        if not self._claimed:
            self.claim()
        self.status = JobStatus.RUNNING
        self.started_at = now

    def mark_completed(self, result: OutT, now: datetime) -> None:
        """Record the result: the job is completed."""
        self.result = result
        self.completed_at = now
        self.status = JobStatus.COMPLETED

    def mark_failed(self, error: BaseException, task: str | None, now: datetime) -> None:
        """Record the failure; the first one recorded stays (fail-fast)."""
        if self.status is JobStatus.FAILED:
            return
        self.exception = error
        self.error = str(error)
        self.failed_task = task
        self.completed_at = now
        self.status = JobStatus.FAILED

    def __repr__(self) -> str:
        return f"Job(workflow={self.workflow.name!r}, status={self.status.value!r}, id={self.id!r})"


def config_values(
    workflow: WorkflowDefinition[Any, Any], configuration: JobConfiguration
) -> dict[str, Mapping[str, object]]:
    """Each task's configured values, checked against its config_fields."""
    nodes = workflow.graph.nodes
    for task in configuration:
        if task not in nodes:
            raise WorkflowDefinitionError(
                contract.CONFIG_UNKNOWN_TASK.format(
                    task=task,
                    workflow=contract.describe_workflow(workflow.name),
                    tasks=", ".join(nodes),
                )
            ).at(task)
    values: dict[str, Mapping[str, object]] = {}
    # Only tasks that are configured or need a value can fail a check: visit those
    # alone, in declaration order (the order the errors are looked for in), so a
    # job costs nothing per unconfigured task.
    required = workflow.required_config
    concerned = sorted({*configuration, *required}, key=lambda name: nodes[name].index)
    for name in concerned:
        node = nodes[name]
        given = configuration.get(name, {})
        source = node.mapping.over if node.mapping is not None else None  # the items
        unexpected = [f for f in given if f not in node.config_fields and f != source]
        if unexpected:
            raise WorkflowDefinitionError(
                contract.CONFIG_UNDECLARED_FIELDS.format(
                    task=name,
                    fields=", ".join(unexpected),
                    declared=", ".join(node.config_fields) or "none",
                ),
                fields=unexpected,
            ).at(name)
        missing = [f for f in required.get(name, ()) if f not in given]
        if missing:
            raise IncompleteInputError(
                contract.CONFIG_MISSING_VALUES.format(task=name, fields=", ".join(missing)),
                fields=missing,
            ).at(name)
        for field_name, value in given.items():
            if node.mapping is None or field_name != node.mapping.over:
                _check_value(name, node.input_model, field_name, value)
        if given:
            values[name] = given
    return values


def check_job_configuration(
    workflow: WorkflowDefinition[Any, Any], job_configuration: JobConfiguration | None
) -> None:
    """Every check ``Job(...)`` makes of a JobConfiguration, without a job config: what
    wrapping a workflow as a task can check before any outer job runs."""
    _check_mapped_items(workflow, job_configuration)
    config_values(
        workflow, job_configuration if job_configuration is not None else JobConfiguration()
    )


def _check_mapped_items(
    workflow: WorkflowDefinition[Any, Any], configuration: Mapping[str, Mapping[str, object]] | None
) -> None:
    """Each mapped task finds a mapping of ``str`` keys under its ``over`` key, and every
    item's key and value validate as its ``key_as`` and ``value_as`` input fields."""
    nodes = workflow.graph.nodes
    for name in workflow.mapped_task_names:
        mapping = nodes[name].mapping
        assert mapping is not None
        model = nodes[name].input_model
        if configuration is None:
            raise WorkflowDefinitionError(
                contract.MAP_NO_CONFIGURATION.format(task=name, over=mapping.over)
            ).at(name)
        given = configuration.get(name, {})
        if mapping.over not in given:
            raise WorkflowDefinitionError(
                contract.MAP_NO_SOURCE.format(task=name, over=mapping.over)
            ).at(name)
        items = given[mapping.over]
        if not isinstance(items, Mapping):
            raise WorkflowDefinitionError(
                contract.MAP_SOURCE_KIND.format(
                    task=name, over=mapping.over, provided=type(items).__name__
                )
            ).at(name)
        for key, value in items.items():
            if not isinstance(key, str):
                raise WorkflowDefinitionError(contract.MAP_ITEM_KEY.format(task=name, key=key)).at(
                    name, ("map", mapping.key_as)
                )
            for field_name, item in ((mapping.key_as, key), (mapping.value_as, value)):
                problem = _problem(model, field_name, item)
                if problem is not None:
                    raise WorkflowDefinitionError(
                        contract.MAP_ITEM_INVALID.format(
                            key=key, task=name, problem=f"{field_name}: {problem[0]}"
                        ),
                        fields=[field_name],
                    ).at(name, ("map", field_name)) from problem[1]


def _check_value(task: str, model: type[BaseModel], field_name: str, value: object) -> None:
    """A configured value must validate as its input field, here rather than when the
    task finally runs after its upstream chain (the task still validates its whole input)."""
    problem = _problem(model, field_name, value)
    if problem is not None:
        raise WorkflowDefinitionError(
            contract.CONFIG_INVALID_VALUE.format(
                task=task, field=field_name, model=contract.model_name(model), problem=problem[0]
            ),
            fields=[field_name],
        ).at(task, ("config_fields", field_name)) from problem[1]


def _problem(
    model: type[BaseModel], field_name: str, value: object
) -> tuple[str, ValidationError] | None:
    """Why ``value`` does not validate as field ``field_name`` of ``model`` (no value quoted)."""
    adapter = _field_adapter(model, field_name)
    if adapter is None:
        return None
    try:
        adapter.validate_python(value)
    except ValidationError as invalid:
        return "; ".join(error["msg"] for error in invalid.errors(include_url=False)), invalid
    except PydanticUserError:  # a type pydantic cannot complete yet: the task validates it
        return None
    return None


@lru_cache(maxsize=1024)
def _field_adapter(model: type[BaseModel], field_name: str) -> TypeAdapter[Any] | None:
    """A validator for one field of ``model`` (its type and constraints), or ``None`` when
    pydantic cannot build one on its own (the task then validates the value at run time)."""
    field = model.model_fields[field_name]
    annotated: Any = Annotated[field.annotation, field]
    try:
        return TypeAdapter(annotated)
    except Exception:
        try:
            return TypeAdapter(annotated, config=model.model_config)
        except Exception:
            return None
