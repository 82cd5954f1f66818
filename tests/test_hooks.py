"""Hooks: event order, failures that never break a job, and the built-in hooks."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from taskmaestro import (
    BaseHook,
    ExecutionContext,
    Hook,
    HookWarning,
    Job,
    JobStatus,
    LoggingHook,
    ObjectModel,
    ResultPersistenceHook,
    Runner,
    Task,
    TaskStatus,
    TimingHook,
    Workflow,
)
from taskmaestro.hooks.persistence import write_atomically

from .helpers import AddOne, Boom, Double, Number


class Events(BaseHook):
    def __init__(self) -> None:
        self.events: list[str] = []

    def on_job_start(self, job: Job[Any, Any]) -> None:
        assert job.status is JobStatus.PENDING
        assert job.started_at is None
        assert job.context is not None
        self.events.append("job_start")

    def on_job_complete(self, job: Job[Any, Any]) -> None:
        assert job.status is JobStatus.COMPLETED
        assert job.completed_at is not None
        self.events.append("job_complete")

    def on_job_fail(self, job: Job[Any, Any]) -> None:
        assert job.status is JobStatus.FAILED
        assert job.error == str(job.exception)
        self.events.append("job_fail")

    def on_task_start(self, job: Job[Any, Any], task: Task[Any, Any]) -> None:
        assert job.status is JobStatus.RUNNING
        self.events.append(f"start:{task.name}")

    def on_task_complete(self, job: Job[Any, Any], task: Task[Any, Any], output: BaseModel) -> None:
        result = job.task_results[-1]
        assert (result.task_name, result.output) == (task.name, output)
        self.events.append(f"complete:{task.name}")

    def on_task_fail(self, job: Job[Any, Any], task: Task[Any, Any], error: Exception) -> None:
        result = job.task_results[-1]
        assert (result.task_name, result.status, result.exception) == (
            task.name,
            TaskStatus.FAILED,
            error,
        )
        assert (job.status, job.failed_task, job.exception) == (JobStatus.FAILED, task.name, error)
        self.events.append(f"fail:{task.name}")


def test_events_in_order_on_success_and_failure() -> None:
    hook = Events()
    Runner(hooks=[hook]).run(Job(Workflow(name="w", tasks=[AddOne, Double]), Number(value=1)))
    assert hook.events == [
        "job_start",
        "start:add_one",
        "complete:add_one",
        "start:double",
        "complete:double",
        "job_complete",
    ]
    hook = Events()
    Runner(hooks=[hook]).run(Job(Workflow(name="w", tasks=[AddOne, Boom]), Number(value=1)))
    assert hook.events == [
        "job_start",
        "start:add_one",
        "complete:add_one",
        "start:boom",
        "fail:boom",
        "job_fail",
    ]


class Broken(BaseHook):
    def on_task_complete(self, job: Job[Any, Any], task: Task[Any, Any], output: BaseModel) -> None:
        raise RuntimeError("hook bug")


def test_hook_errors_are_warnings_and_the_job_goes_on() -> None:
    after = Events()
    with pytest.warns(HookWarning) as caught:
        job = Runner(hooks=[Broken(), after]).run(
            Job(Workflow(name="w", tasks=[AddOne, Double]), Number(value=1))
        )
    assert job.status is JobStatus.COMPLETED
    assert len(caught) == 2
    message = str(caught[0].message)
    assert "Hook Broken raised during task_complete" in message
    assert "RuntimeError: hook bug" in message
    assert issubclass(caught[0].category, UserWarning)
    assert "complete:double" in after.events


class DuckHook:
    """Not a BaseHook: only the methods it defines are called."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def on_task_start(self, job: Job[Any, Any], task: Task[Any, Any]) -> None:
        self.seen.append(task.name)


def test_duck_typed_hooks_are_called_for_what_they_define() -> None:
    duck = DuckHook()
    Runner(hooks=[duck]).run(Job(Workflow(name="w", tasks=[AddOne]), Number(value=1)))
    assert duck.seen == ["add_one"]
    assert isinstance(Events(), Hook)


def test_a_hook_appended_to_runner_hooks_takes_part_in_the_next_run() -> None:
    runner = Runner()
    assert runner.hooks == []
    duck = DuckHook()
    runner.hooks.append(duck)
    runner.run(Job(Workflow(name="w", tasks=[AddOne, Double]), Number(value=1)))
    assert duck.seen == ["add_one", "double"]


def test_timing_hook_records_job_and_tasks() -> None:
    timing = TimingHook()
    Runner(hooks=[timing]).run(Job(Workflow(name="w", tasks=[AddOne, Boom]), Number(value=1)))
    assert timing.job_duration is not None
    assert set(timing.task_timings) == {"add_one", "boom"}
    assert all(d >= 0 for d in timing.task_timings.values())
    assert timing.job_duration >= sum(timing.task_timings.values())
    assert "add_one" in timing.summary()
    Runner(hooks=[timing]).run(Job(Workflow(name="w2", tasks=[Double]), Number(value=1)))
    assert set(timing.task_timings) == {"double"}  # each job starts afresh


def test_logging_hook_logs_each_event(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="taskmaestro.hooks.logging"):
        Runner(hooks=[LoggingHook(logging.DEBUG)]).run(
            Job(Workflow(name="w", tasks=[AddOne, Boom]), Number(value=1))
        )
    assert [record.getMessage() for record in caplog.records] == [
        "Job started: workflow=w",
        "Task started: add_one",
        "Task completed: add_one",
        "Task started: boom",
        "Task failed: boom, error=boom",
        "Job failed: workflow=w, failed_task=boom, error=boom",
    ]
    assert {r.levelno for r in caplog.records} == {logging.DEBUG}
    assert {r.name for r in caplog.records} == {"taskmaestro.hooks.logging"}


def test_persistence_writes_one_json_per_completed_task(tmp_path: Path) -> None:
    out = tmp_path / "results"
    job = Runner(hooks=[ResultPersistenceHook(out)]).run(
        Job(Workflow(name="w", tasks=[AddOne, Double, Boom]), Number(value=1))
    )
    assert job.status is JobStatus.FAILED
    assert sorted(p.name for p in out.iterdir()) == ["add_one.json", "double.json"]
    assert json.loads((out / "double.json").read_text()) == {"value": 4}


class Handle:
    pass


class Unserializable(Task[Number, ObjectModel[Handle]]):
    def run(self, input: Number, ctx: ExecutionContext) -> ObjectModel[Handle]:
        return ObjectModel[Handle](value=Handle())


def test_persistence_of_an_unserializable_output_leaves_no_file(tmp_path: Path) -> None:
    with pytest.warns(HookWarning, match="ResultPersistenceHook raised during task_complete"):
        job = Runner(hooks=[ResultPersistenceHook(tmp_path)]).run(
            Job(Workflow(name="w", tasks=[Unserializable]), Number(value=1))
        )
    assert job.status is JobStatus.COMPLETED
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_keeps_the_old_file_when_writing_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "x.json"
    target.write_text("old")

    def failing_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("taskmaestro._files.os.replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]
