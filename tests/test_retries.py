"""Retries: class attributes, per-instance policies, hooks, deadlines, on every executor."""

from __future__ import annotations

import logging
import time
from concurrent.futures import Executor
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel

from taskmaestro import (
    BaseHook,
    ConfigLoadError,
    ExecutionContext,
    Job,
    JobStatus,
    LoggingHook,
    Runner,
    Task,
    TaskExecutionError,
    TaskStatus,
    TaskTimeoutError,
    Workflow,
    WorkflowDefinitionError,
    load_workflow_from_yaml,
)
from taskmaestro.retry import MAX_RETRY_DELAY_SECONDS, Retry

from .helpers import Number


class Counter(BaseModel):
    """Where a task counts its attempts: a file, so that worker processes share it."""

    path: str
    fail_times: int = 2


def attempt_number(input: Counter) -> int:
    """Count one more attempt in ``input.path`` and return its number (from 1)."""
    with Path(input.path).open("a") as stream:
        stream.write("x")
    return len(Path(input.path).read_text())


class Flaky(Task[Counter, Number]):
    """Fails with ConnectionError ``fail_times`` times, then succeeds."""

    retries: ClassVar[int] = 3

    def run(self, input: Counter, ctx: ExecutionContext) -> Number:
        attempt = attempt_number(input)
        if attempt <= input.fail_times:
            raise ConnectionError(f"attempt {attempt} failed")
        return Number(value=attempt)


class PickyFlaky(Flaky):
    """Retries ConnectionErrors only, and raises a ValueError."""

    retry_on: ClassVar[tuple[type[BaseException], ...]] = (ConnectionError,)

    def run(self, input: Counter, ctx: ExecutionContext) -> Number:
        attempt_number(input)
        raise ValueError("not worth retrying")


class SlowFirst(Task[Counter, Number]):
    """Overruns its own deadline on the first attempt only."""

    timeout_seconds: ClassVar[float | None] = 0.3
    retries: ClassVar[int] = 1

    def run(self, input: Counter, ctx: ExecutionContext) -> Number:
        attempt = attempt_number(input)
        if attempt == 1:
            time.sleep(3)
        return Number(value=attempt)


class AlwaysFails(Task[Counter, Number]):
    retries: ClassVar[int] = 1000
    retry_delay_seconds: ClassVar[float] = 0.05

    def run(self, input: Counter, ctx: ExecutionContext) -> Number:
        attempt_number(input)
        raise ConnectionError("down")


class Recorder(BaseHook):
    def __init__(self) -> None:
        self.events: list[tuple[object, ...]] = []

    def on_task_start(self, job: Job[Any, Any], task: Task[Any, Any]) -> None:
        self.events.append(("start", task.name))

    def on_task_retry(
        self, job: Job[Any, Any], task: Task[Any, Any], error: Exception, attempt: int
    ) -> None:
        self.events.append(("retry", task.name, str(error), attempt))

    def on_task_complete(self, job: Job[Any, Any], task: Task[Any, Any], output: BaseModel) -> None:
        self.events.append(("complete", task.name))

    def on_task_fail(self, job: Job[Any, Any], task: Task[Any, Any], error: Exception) -> None:
        self.events.append(("fail", task.name))


def counter(tmp_path: Path, fail_times: int = 2) -> Counter:
    return Counter(path=str(tmp_path / "attempts"), fail_times=fail_times)


def run_recorded(
    task: type[Task[Counter, Number]], tmp_path: Path, executor: Executor | None
) -> tuple[Job[Any, Any], Recorder]:
    """Run ``task`` alone on ``executor``, its events recorded."""
    hook = Recorder()
    job = Runner([hook], executor).run(Job(Workflow("w", [task]), counter(tmp_path)))
    return job, hook


def test_a_task_failing_twice_then_succeeding_completes_on_its_third_attempt(
    tmp_path: Path, runner_executor: Executor | None
) -> None:
    job, hook = run_recorded(Flaky, tmp_path, runner_executor)
    assert job.status is JobStatus.COMPLETED
    assert job.result == Number(value=3)
    result = job.task_results[0]
    assert (result.status, result.attempts, result.cache_hit) == (TaskStatus.COMPLETED, 3, False)
    assert hook.events == [
        ("start", "flaky"),
        ("retry", "flaky", "attempt 1 failed", 1),
        ("retry", "flaky", "attempt 2 failed", 2),
        ("complete", "flaky"),
    ]


def test_retries_exhausted_fail_the_job_with_the_last_error(
    tmp_path: Path, runner_executor: Executor | None
) -> None:
    workflow = Workflow.builder("w").add_task(Flaky, retry=Retry(retries=1)).build()
    job = Runner(executor=runner_executor).run(Job(workflow, counter(tmp_path)))
    assert job.status is JobStatus.FAILED
    assert job.error == "attempt 2 failed"
    assert isinstance(job.exception, ConnectionError)
    assert job.task_results[0].attempts == 2


def test_retry_on_filters_the_errors_that_are_retried(
    tmp_path: Path, runner_executor: Executor | None
) -> None:
    job, hook = run_recorded(PickyFlaky, tmp_path, runner_executor)
    assert job.status is JobStatus.FAILED
    assert job.error == "not worth retrying"
    assert job.task_results[0].attempts == 1
    assert [event[0] for event in hook.events] == ["start", "fail"]
    assert Path(tmp_path / "attempts").read_text() == "x"


def test_the_task_deadline_applies_to_each_attempt(
    tmp_path: Path, runner_executor: Executor | None
) -> None:
    job, hook = run_recorded(SlowFirst, tmp_path, runner_executor)
    assert job.status is JobStatus.COMPLETED, job.error
    assert job.result == Number(value=2)
    assert job.task_results[0].attempts == 2
    assert hook.events[1] == ("retry", "slow_first", "Task 'slow_first' timed out after 0.3s", 1)


def test_the_job_deadline_cuts_the_retries_short(
    tmp_path: Path, runner_executor: Executor | None
) -> None:
    job = Runner(executor=runner_executor).run(
        Job(Workflow("w", [AlwaysFails]), counter(tmp_path)), timeout_seconds=0.5
    )
    assert job.status is JobStatus.FAILED
    assert isinstance(job.exception, TaskTimeoutError)
    assert job.error is not None
    assert job.error.startswith("Job of workflow 'w' timed out after 0.5s")
    attempts = job.task_results[0].attempts
    assert 1 <= attempts < 20
    assert len(Path(tmp_path / "attempts").read_text()) == attempts


def test_delays_grow_with_the_backoff_up_to_a_bound() -> None:
    retry = Retry(retries=5, delay_seconds=0.5, backoff=2)
    assert [retry.delay(attempt) for attempt in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert Retry(retries=1000, delay_seconds=10, backoff=100).delay(900) == MAX_RETRY_DELAY_SECONDS
    assert Retry(retries=3).delay(2) == 0.0


def test_the_runner_waits_the_delay_between_attempts(tmp_path: Path) -> None:
    workflow = (
        Workflow.builder("w").add_task(Flaky, retry=Retry(3, delay_seconds=0.1, backoff=2)).build()
    )
    started = time.monotonic()
    job = Runner().run(Job(workflow, counter(tmp_path)))
    assert job.status is JobStatus.COMPLETED
    assert time.monotonic() - started >= 0.3  # 0.1 then 0.2


def test_a_hook_without_on_task_retry_still_gets_the_other_events(tmp_path: Path) -> None:
    class Plain:  # a duck-typed 0.1.0 hook
        def __init__(self) -> None:
            self.seen: list[str] = []

        def on_task_complete(self, job: object, task: object, output: object) -> None:
            self.seen.append("complete")

    class OnlyRetries:
        def __init__(self) -> None:
            self.attempts: list[int] = []

        def on_task_retry(self, job: object, task: object, error: object, attempt: int) -> None:
            self.attempts.append(attempt)

    plain, retries = Plain(), OnlyRetries()
    job = Runner([plain, retries]).run(Job(Workflow("w", [Flaky]), counter(tmp_path)))
    assert job.status is JobStatus.COMPLETED
    assert plain.seen == ["complete"]
    assert retries.attempts == [1, 2]


def test_wrong_outputs_and_sys_exit_are_not_retried(tmp_path: Path) -> None:
    class Wrong(Task[Counter, Number]):
        retries: ClassVar[int] = 3

        def run(self, input: Counter, ctx: ExecutionContext) -> Number:
            attempt_number(input)
            return input  # type: ignore[return-value]

    class Exits(Task[Counter, Number]):
        retries: ClassVar[int] = 3

        def run(self, input: Counter, ctx: ExecutionContext) -> Number:
            attempt_number(input)
            raise SystemExit(3)

    for task in (Wrong, Exits):
        path = tmp_path / task.__name__
        job = Runner().run(Job(Workflow("w", [task]), Counter(path=str(path))))
        assert job.status is JobStatus.FAILED
        assert isinstance(job.exception, TaskExecutionError)
        assert path.read_text() == "x"


def test_an_instance_policy_replaces_the_class_one(tmp_path: Path) -> None:
    workflow = (
        Workflow.builder("w", result_task="twice")
        .add_task(Flaky, name="once", retry=Retry())
        .add_task(Flaky, name="twice", retry=Retry(retries=2))
        .build()
    )
    steps = {step.name: step.retry for step in workflow.plan.steps}
    assert steps == {"once": Retry(), "twice": Retry(retries=2)}
    assert Workflow("w", [Flaky]).plan.steps[0].retry == Retry(retries=3)


@pytest.mark.parametrize(
    ("attribute", "value", "message"),
    [
        ("retries", -1, "retries must be an integer from 0 to 1000; got -1"),
        ("retries", 1.5, "retries must be an integer"),
        ("retry_delay_seconds", float("nan"), "retry_delay_seconds must be a finite number"),
        ("retry_backoff", 0.5, "retry_backoff must be a number from 1"),
        ("retry_on", ValueError, "retry_on must be a non-empty tuple of exception classes"),
        ("retry_on", (), "retry_on must be a non-empty tuple"),
    ],
)
def test_invalid_retry_attributes_are_refused_with_the_class_named(
    attribute: str, value: object, message: str
) -> None:
    with pytest.raises(WorkflowDefinitionError, match=f"Task .*Bad: {message}"):
        type("Bad", (AlwaysFails,), {attribute: value})


def test_invalid_instance_policies_are_refused() -> None:
    with pytest.raises(ValueError, match="retries must be an integer"):
        Retry(retries=-2)
    with pytest.raises(WorkflowDefinitionError, match="Task 'flaky': retry must be a Retry, got 3"):
        Workflow.builder("w").add_task(Flaky, retry=3)  # type: ignore[arg-type]


def test_attributes_changed_after_the_class_are_checked_when_added() -> None:
    class Later(Flaky):
        pass

    Later.retries = -1
    with pytest.raises(WorkflowDefinitionError, match="retries must be an integer") as raised:
        Workflow.builder("w").add_task(Later)
    assert raised.value.task == "later"


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def flaky_file(tmp_path: Path, more: str) -> Path:
    """A workflow file of one Flaky task entry, ``more`` (YAML lines) after its ``task`` key."""
    return write(
        tmp_path / "w.yaml",
        f"workflow:\n  name: w\n  tasks:\n    - task: tests.test_retries.Flaky\n{more}",
    )


def test_yaml_retry_keys_override_the_class_attributes(tmp_path: Path) -> None:
    workflow_file = flaky_file(tmp_path, "      retries: 1\n      retry_delay_seconds: 0.01\n")
    inputs = write(tmp_path / "in.yaml", f"path: {tmp_path / 'attempts'}\nfail_times: 1\n")
    loaded = load_workflow_from_yaml(workflow_file, inputs)
    assert loaded.workflow.plan.steps[0].retry == Retry(1, 0.01, 1.0, (Exception,))
    job = loaded.run()
    assert job.status is JobStatus.COMPLETED
    assert job.task_results[0].attempts == 2


def test_yaml_retry_keys_out_of_range_are_refused_at_their_line(tmp_path: Path) -> None:
    workflow_file = flaky_file(tmp_path, "      retries: -1\n")
    with pytest.raises(ConfigLoadError, match="a whole number from 0 to 1000") as raised:
        load_workflow_from_yaml(workflow_file)
    assert raised.value.line == 5


def test_the_logging_hook_logs_each_retry(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="taskmaestro.hooks.logging")
    job = Runner([LoggingHook()]).run(Job(Workflow("w", [Flaky]), counter(tmp_path)))
    assert job.status is JobStatus.COMPLETED
    assert [r.getMessage() for r in caplog.records if "retried" in r.getMessage()] == [
        "Task retried: flaky, attempt 1 failed, error=attempt 1 failed",
        "Task retried: flaky, attempt 2 failed, error=attempt 2 failed",
    ]


class RetryCounter:
    """A hook with the retry event only (a YAML hook needs no BaseHook)."""

    seen: ClassVar[list[int]] = []

    def on_task_retry(self, job: object, task: object, error: object, attempt: int) -> None:
        self.seen.append(attempt)


def test_a_yaml_hook_with_only_on_task_retry_is_a_hook(tmp_path: Path) -> None:
    workflow_file = flaky_file(
        tmp_path, "runner:\n  hooks:\n    - hook: tests.test_retries.RetryCounter\n"
    )
    inputs = write(tmp_path / "in.yaml", f"path: {tmp_path / 'attempts'}\n")
    RetryCounter.seen.clear()
    assert load_workflow_from_yaml(workflow_file, inputs).run().status is JobStatus.COMPLETED
    assert RetryCounter.seen == [1, 2]


class FailsAtOnce(Task[Counter, Number]):
    def run(self, input: Counter, ctx: ExecutionContext) -> Number:
        time.sleep(0.2)  # after the other branch's first attempt
        raise RuntimeError("fatal")


class Both(BaseModel):
    a: Number
    b: Number


class Join(Task[Both, Number]):
    def run(self, input: Both, ctx: ExecutionContext) -> Number:
        return input.a


def test_after_a_failure_elsewhere_a_task_waiting_to_retry_fails_with_its_last_error(
    tmp_path: Path, thread_pool: Executor
) -> None:
    workflow = (
        Workflow.builder("w")
        .add_task(AlwaysFails, retry=Retry(retries=100, delay_seconds=0.1))
        .add_task(FailsAtOnce)
        .add_task(Join, depends_on={"a": AlwaysFails, "b": FailsAtOnce})
        .build()
    )
    job = Runner(executor=thread_pool).run(Job(workflow, counter(tmp_path)))
    assert job.status is JobStatus.FAILED
    assert (job.failed_task, job.error) == ("fails_at_once", "fatal")
    results = {result.task_name: result for result in job.task_results}
    assert results["always_fails"].status is TaskStatus.FAILED
    assert results["always_fails"].error == "down"
    assert 1 <= results["always_fails"].attempts < 10
    assert "join" not in results
