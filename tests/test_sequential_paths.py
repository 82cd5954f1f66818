"""The sequential runner's two paths record the same things.

Without deadlines and without hooks that observe tasks starting or
completing, the runner takes a quick path for plain steps; with such a hook
every step goes through ``TaskRun``. Each test runs the same job both ways
(``quiet``: no hook; ``observed``: a hook listening to ``on_task_start`` and
``on_task_complete``) and checks the same outcome, results and failures.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import logging
import pickle
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from pydantic import BaseModel

from taskmaestro import (
    ExecutionContext,
    Job,
    JobStatus,
    Runner,
    Task,
    TaskExecutionError,
    TaskOutputTypeError,
    TaskResult,
    TaskStatus,
    Workflow,
)


class Number(BaseModel):
    value: int


class Positive(BaseModel):
    value: int

    def model_post_init(self, context: Any, /) -> None:
        if self.value <= 0:
            raise ValueError("must be positive")


class AddOne(Task[Number, Number]):
    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        return Number(value=input.value + 1)


class Minus(Task[Number, Number]):
    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        return Number(value=-input.value - 5)


class TakesPositive(Task[Positive, Number]):
    """Its input is built from a route out of upstream's ``Number``: it can fail to
    validate before ``run``."""

    def run(self, input: Positive, ctx: ExecutionContext) -> Number:
        return Number(value=input.value)


class Raises(Task[Number, Number]):
    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        raise RuntimeError("broken on purpose")


class WrongOutput(Task[Number, Number]):
    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        return Positive(value=1)  # type: ignore[return-value]  # the runner must refuse it


class Exits(Task[Number, Number]):
    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        raise SystemExit(3)


class Interrupted(Task[Number, Number]):
    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        raise KeyboardInterrupt


CONSTRUCTED: list[str] = []


class BrokenConstructor(Task[Number, Number]):
    def __init__(self) -> None:
        CONSTRUCTED.append("BrokenConstructor")
        raise ValueError("no instance today")

    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        raise AssertionError("never called")


class LoggerName(BaseModel):
    name: str


class ReadsLogger(Task[Number, LoggerName]):
    def run(self, input: Number, ctx: ExecutionContext) -> LoggerName:
        return LoggerName(name=ctx.logger.name)


class Logs(Task[Number, Number]):
    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        ctx.logger.debug("seen %d", input.value)
        return input


class Observer:
    """Listens to tasks starting and completing (so the runner takes the observed path);
    records the name of ``ctx.logger`` when a task fails, between tasks."""

    def __init__(self, ctx: ExecutionContext) -> None:
        self.ctx = ctx
        self.events: list[str] = []
        self.logger_on_fail: str | None = None

    def on_task_start(self, job: Job[Any, Any], task: Task[Any, Any]) -> None:
        self.events.append(f"start {task.name}")

    def on_task_complete(self, job: Job[Any, Any], task: Task[Any, Any], output: object) -> None:
        self.events.append(f"complete {task.name}")

    def on_task_fail(self, job: Job[Any, Any], task: Task[Any, Any], error: Exception) -> None:
        self.logger_on_fail = self.ctx.logger.name


class OnlyFailures:
    """Listens to failures only: the runner keeps the quick path."""

    def __init__(self, ctx: ExecutionContext) -> None:
        self.ctx = ctx
        self.logger_on_fail: str | None = None
        self.failed: list[tuple[str, str]] = []

    def on_task_fail(self, job: Job[Any, Any], task: Task[Any, Any], error: Exception) -> None:
        self.logger_on_fail = self.ctx.logger.name
        self.failed.append((task.name, type(error).__name__))


PATHS = ["quiet", "observed"]


def chain(*tasks: type[Task[Any, Any]]) -> Workflow[Any, Any]:
    return Workflow(name="paths", tasks=list(tasks))


def into_positive() -> Workflow[Any, Any]:
    """add_one -> minus -> takes_positive, whose input does not validate (-7)."""
    return (
        Workflow.builder(name="paths")
        .add_task(AddOne)
        .add_task(Minus, depends_on=AddOne)
        .add_task(TakesPositive, depends_on={"value": (Minus, "value")})
        .build()
    )


def run(path: str, workflow: Workflow[Any, Any]) -> tuple[Job[Any, Any], ExecutionContext]:
    ctx = ExecutionContext()
    hooks: list[object] = [Observer(ctx)] if path == "observed" else [OnlyFailures(ctx)]
    job = Runner(hooks).run(Job(workflow, Number(value=1)), ctx=ctx)
    return job, ctx


def shape(result: TaskResult) -> tuple[object, ...]:
    """A result without its timings, to compare the paths."""
    return (
        result.task_name,
        result.status,
        result.output,
        result.error,
        type(result.exception),
        result.attempts,
        result.cache_hit,
        result.cache_note,
    )


def outcome(path: str, workflow: Workflow[Any, Any]) -> tuple[object, ...]:
    job, _ = run(path, workflow)
    return job.status, job.error, job.failed_task, [shape(r) for r in job.task_results]


WORKFLOWS: dict[str, Callable[[], Workflow[Any, Any]]] = {
    "completes": lambda: chain(AddOne, Minus),
    "input does not validate": into_positive,
    "run raises": lambda: chain(AddOne, Raises),
    "wrong output": lambda: chain(AddOne, WrongOutput),
    "sys.exit": lambda: chain(AddOne, Exits),
    "constructor raises": lambda: chain(AddOne, BrokenConstructor),
}


@pytest.mark.parametrize("case", list(WORKFLOWS))
def test_both_paths_record_the_same_outcome(case: str) -> None:
    quiet, observed = (outcome(path, WORKFLOWS[case]()) for path in PATHS)

    assert quiet == observed


@pytest.mark.parametrize("path", PATHS)
def test_results_and_failures_are_what_the_task_did(path: str) -> None:
    job, _ = run(path, into_positive())

    assert job.status is JobStatus.FAILED
    assert job.failed_task == "takes_positive"
    first, second, failed = job.task_results
    assert (first.status, first.output, first.attempts) == (
        TaskStatus.COMPLETED,
        Number(value=2),
        1,
    )
    assert second.output == Number(value=-7)
    assert failed.status is TaskStatus.FAILED
    assert failed.attempts == 0  # its input did not validate: run was never called
    assert isinstance(failed.exception, TaskExecutionError)
    assert "its input does not validate" in (failed.error or "")


@pytest.mark.parametrize("path", PATHS)
def test_a_wrong_output_is_a_task_output_type_error(path: str) -> None:
    job, _ = run(path, chain(AddOne, WrongOutput))

    failed = job.task_results[-1]
    assert isinstance(failed.exception, TaskOutputTypeError)
    assert failed.attempts == 1


@pytest.mark.parametrize("path", PATHS)
def test_a_raising_constructor_runs_once_and_is_the_tasks_failure(path: str) -> None:
    CONSTRUCTED.clear()
    job, _ = run(path, chain(AddOne, BrokenConstructor))

    assert CONSTRUCTED == ["BrokenConstructor"]
    assert job.failed_task == "broken_constructor"
    assert job.task_results[-1].attempts == 0
    assert "no instance today" in (job.error or "")


@pytest.mark.parametrize("path", PATHS)
def test_ctrl_c_in_a_task_is_recorded_then_raised(path: str) -> None:
    ctx = ExecutionContext()
    hooks: list[object] = [Observer(ctx)] if path == "observed" else []
    job = Job(chain(AddOne, Interrupted), Number(value=1))

    with pytest.raises(KeyboardInterrupt):
        Runner(hooks).run(job, ctx=ctx)

    assert job.status is JobStatus.FAILED
    assert job.failed_task == "interrupted"
    assert [r.status for r in job.task_results] == [TaskStatus.COMPLETED, TaskStatus.FAILED]


@pytest.mark.parametrize("path", PATHS)
def test_each_task_reads_its_own_logger_and_hooks_read_the_contexts(path: str) -> None:
    workflow = (
        Workflow.builder(name="logs", result_task="second")
        .add_task(ReadsLogger, name="first")
        .add_task(AddOne, name="plus")
        .add_task(ReadsLogger, name="second", depends_on="plus")
        .build()
    )
    ctx = ExecutionContext()
    hooks: list[object] = [Observer(ctx)] if path == "observed" else []
    job = Runner(hooks).run(Job(workflow, Number(value=1)), ctx=ctx)

    outputs = {r.task_name: r.output for r in job.task_results}
    assert outputs["first"] == LoggerName(name="taskmaestro.logs.first")
    assert outputs["second"] == LoggerName(name="taskmaestro.logs.second")
    assert ctx.logger is logging.getLogger("taskmaestro")


@pytest.mark.parametrize("path", PATHS)
def test_a_hook_between_tasks_reads_the_contexts_own_logger(path: str) -> None:
    ctx = ExecutionContext()
    hook = Observer(ctx) if path == "observed" else OnlyFailures(ctx)
    Runner([hook]).run(Job(chain(Logs, Raises), Number(value=1)), ctx=ctx)

    assert hook.logger_on_fail == "taskmaestro"


def test_only_a_failure_hook_still_hears_of_the_failure() -> None:
    ctx = ExecutionContext()
    hook = OnlyFailures(ctx)
    Runner([hook]).run(Job(chain(AddOne, Raises), Number(value=1)), ctx=ctx)

    assert hook.failed == [("raises", "RuntimeError")]


@pytest.mark.parametrize("path", PATHS)
def test_started_at_is_local_time_between_the_jobs_start_and_end(path: str) -> None:
    job, _ = run(path, chain(AddOne, Minus))

    assert job.started_at is not None
    assert job.completed_at is not None
    for result in job.task_results:
        assert isinstance(result.started_at, datetime)
        assert result.started_at.tzinfo is None
        assert job.started_at <= result.started_at <= job.completed_at
        assert result.duration_seconds >= 0


def test_a_task_result_given_a_clock_reading_reads_as_a_datetime() -> None:
    stamp = time.time()
    made = TaskResult("t", TaskStatus.COMPLETED, None, stamp, 0.5)
    expected = datetime.fromtimestamp(stamp)

    assert made.started_at == expected
    assert made == TaskResult("t", TaskStatus.COMPLETED, None, expected, 0.5)
    assert dataclasses.asdict(made)["started_at"] == expected
    assert pickle.loads(pickle.dumps(made)) == made
    assert copy.copy(made).started_at == expected
    assert f"started_at={expected!r}" in repr(made)
    made.started_at = datetime(2020, 1, 2)
    assert made.started_at == datetime(2020, 1, 2)


def test_a_task_result_takes_each_field_by_position_and_by_keyword() -> None:
    started = datetime(2026, 1, 2, 3, 4, 5)
    error = ValueError("no")
    values = ("t", TaskStatus.FAILED, None, started, 0.5, "no", error, 3, True, "why")
    by_position = TaskResult(*values)
    by_keyword = TaskResult(
        task_name="t",
        status=TaskStatus.FAILED,
        output=None,
        started_at=started,
        duration_seconds=0.5,
        error="no",
        exception=error,
        attempts=3,
        cache_hit=True,
        cache_note="why",
    )

    names = [field.name for field in dataclasses.fields(TaskResult)]
    assert tuple(getattr(by_position, name) for name in names) == values
    assert by_keyword == by_position
    assert dataclasses.replace(by_position, attempts=1).attempts == 1
    assert dataclasses.replace(by_position, attempts=1).exception is error


def test_a_task_results_defaults_read_and_change_like_any_dataclass_field() -> None:
    made = TaskResult("t", TaskStatus.COMPLETED, None, datetime(2026, 1, 2), 0.5)
    assert (made.error, made.exception, made.attempts, made.cache_hit, made.cache_note) == (
        None,
        None,
        1,
        False,
        None,
    )
    made.attempts = 2
    made.cache_note = "a note"
    other = TaskResult("t", TaskStatus.COMPLETED, None, datetime(2026, 1, 2), 0.5)

    assert (made.attempts, made.cache_note) == (2, "a note")
    assert (other.attempts, other.cache_note) == (1, None)  # the class's defaults are untouched
    assert made != other
    assert dataclasses.replace(made, attempts=1, cache_note=None) == other


@pytest.mark.parametrize("path", PATHS)
def test_task_start_times_follow_each_other_as_the_tasks_ran(path: str) -> None:
    job, _ = run(path, chain(AddOne, Minus, AddOne, Minus))

    results = job.task_results
    for before, after in itertools.pairwise(results):
        elapsed = (after.started_at - before.started_at).total_seconds()
        assert elapsed >= before.duration_seconds - 1e-6  # microsecond resolution of datetime
