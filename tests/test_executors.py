"""Runner(executor=...): the same results as the sequential runner, tasks started as soon as
their inputs are ready, fail-fast, deadlines and hooks kept by the driver thread."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from taskmaestro import (
    BaseHook,
    EmptyConfig,
    ExecutionContext,
    Job,
    JobConfiguration,
    JobStatus,
    Runner,
    Task,
    TaskExecutionError,
    TaskOutputTypeError,
    TaskStatus,
    TaskTimeoutError,
    Workflow,
    workflow_task,
)
from taskmaestro import _deadline as deadlines
from taskmaestro._transport import capacity

from .helpers import (
    AddOne,
    Boom,
    Busy,
    Double,
    Number,
    QuickTimeout,
    Sleep,
    Sleeper,
    names,
    result_of,
)
from .parallel_tasks import (
    Add,
    AfterSlow,
    FailSoon,
    Forget,
    Join,
    Offset,
    Queued,
    Roomy,
    Slow,
    Start,
    Total,
    marks,
)
from .test_runner import WrongOutput

# Generous upper bounds: they prove that a deadline fired or that branches
# overlapped, not how fast the machine is.
LATE = 2.0


class InlineExecutor(Executor):
    """The smallest Executor: runs each call at once, in the caller's thread.

    Its size is unknown to the runner, and it is not a thread pool, so tasks
    travel pickled, as to another process."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:
            future.set_exception(error)
        return future


def everything() -> Workflow[Any, Any]:
    """Fan-out, fan-in, a nested workflow with configured roots, a context service."""
    inner = (
        Workflow.builder(name="inner")
        .add_task(Offset, config_fields=["offset"])
        .add_task(Double, depends_on=Offset)
        .build()
    )
    nested = workflow_task(
        inner, name="nested", job_configuration=JobConfiguration({"offset": {"offset": 2}})
    )
    return (
        Workflow.builder(name="everything")
        .add_task(AddOne)
        .add_task(Double, name="left", depends_on="add_one")
        .add_task(AddOne, name="right", depends_on="add_one")
        .add_task(Double, name="right_again", depends_on="right")
        .add_task(Forget, depends_on="add_one")
        .add_task(nested, depends_on=Forget)
        .add_task(Add, depends_on={"a": "left", "b": "right_again", "c": "nested"})
        .build()
    )


def outputs(job: Job[Any, Any]) -> dict[str, BaseModel | None]:
    assert all(result.status is TaskStatus.COMPLETED for result in job.task_results)
    return {name: result.output for name, result in ((r.task_name, r) for r in job.task_results)}


def test_every_executor_gives_the_sequential_results(
    thread_pool: Executor, process_pool: Executor, dask_executor: Executor
) -> None:
    workflow = everything()
    runs: dict[str, Job[Any, Any]] = {}
    for kind, executor in [
        ("sequential", None),
        ("threads", thread_pool),
        ("processes", process_pool),
        ("dask", dask_executor),
        ("inline", InlineExecutor()),
    ]:
        with ExecutionContext(services={"base": 5}) as ctx:
            runs[kind] = Runner(executor=executor).run(Job(workflow, Number(value=1)), ctx=ctx)
    expected = runs.pop("sequential")
    assert expected.status is JobStatus.COMPLETED, expected.error
    assert expected.result == Total(total=4 + 6 + 14)
    for kind, job in runs.items():
        assert job.status is JobStatus.COMPLETED, (kind, job.error)
        assert job.result == expected.result, kind
        assert outputs(job) == outputs(expected), kind


def test_independent_branches_overlap(executor: Executor) -> None:
    width = min(capacity(executor) or 1, 4)
    builder = Workflow.builder(name="branches", result_task="join").add_task(Start)
    for index in range(width):
        builder.add_task(Slow, name=f"slow_{index}", depends_on=Start)
    builder.add_task(Join, depends_on={"a": "slow_0", "b": f"slow_{width - 1}"})
    start = time.monotonic()
    job = Runner(executor=executor).run(Job(builder.build(), Sleep(seconds=0.5)))
    elapsed = time.monotonic() - start
    assert job.status is JobStatus.COMPLETED, job.error
    assert job.result == Sleep(seconds=1.0)
    assert width >= 2
    assert 0.5 <= elapsed < 0.5 * width - 0.15  # sequentially it would take 0.5 s per branch


def test_fail_fast_starts_nothing_more_and_waits_for_what_runs(
    executor: Executor, tmp_path: Path
) -> None:
    # As many roots as the executor has workers, plus one that must wait for a
    # free worker: the failure comes before one is free, so it never starts;
    # neither does the task after the slow branch.
    width = capacity(executor)
    assert width is not None
    builder = Workflow.builder(name="fail_fast", result_task="after_slow")
    builder.add_task(FailSoon)
    for index in range(width - 1):
        builder.add_task(Slow, name=f"slow_{index}")
    builder.add_task(Queued, name="waiting")  # ready tasks start by name: this one last
    builder.add_task(AfterSlow, depends_on="slow_0")
    ctx = ExecutionContext(scratch_dir=tmp_path)
    start = time.monotonic()
    job = Runner(executor=executor).run(Job(builder.build(), Sleep(seconds=0.5)), ctx=ctx)
    elapsed = time.monotonic() - start
    assert job.status is JobStatus.FAILED
    assert job.failed_task == "fail_soon"
    assert job.error == "boom"
    assert isinstance(job.exception, ValueError)
    slow = {f"slow_{index}" for index in range(width - 1)}
    assert set(names(job)) == {"fail_soon"} | slow
    assert result_of(job, "fail_soon").status is TaskStatus.FAILED
    assert all(result_of(job, name).status is TaskStatus.COMPLETED for name in slow)
    assert elapsed >= 0.5  # the running branches were awaited
    assert marks(ctx) == {"FailSoon"} | ({"Slow"} if slow else set())


@pytest.mark.parametrize(
    ("task", "error_type", "message"),
    [
        (Boom, ValueError, "boom"),
        (WrongOutput, TaskOutputTypeError, "Task 'wrong_output' returned Text, expected Number"),
    ],
)
def test_failures_read_as_in_the_sequential_runner(
    executor: Executor, task: type[Task[Any, Any]], error_type: type[Exception], message: str
) -> None:
    workflow = Workflow(name="w", tasks=[AddOne, task, Double])
    job = Runner(executor=executor).run(Job(workflow, Number(value=1)))
    assert job.status is JobStatus.FAILED
    assert job.failed_task == task.name
    assert type(job.exception) is error_type
    assert job.error == message
    assert names(job) == ["add_one", task.name]


def test_nested_workflow_failure_names_the_inner_task(executor: Executor) -> None:
    inner = Workflow(name="fragile", tasks=[AddOne, Boom])
    outer = Workflow(name="outer", tasks=[Double, workflow_task(inner, name="wrapped")])
    job = Runner(executor=executor).run(Job(outer, Number(value=1)))
    assert job.status is JobStatus.FAILED
    assert job.failed_task == "wrapped"
    assert job.error == "Inner workflow 'fragile' failed at task 'boom': boom"
    assert isinstance(job.exception, TaskExecutionError)
    assert isinstance(job.exception.__cause__, ValueError)
    assert names(job) == ["double", "wrapped"]


def run_timed(
    executor: Executor, job: Job[Any, Any], timeout: float | None = None
) -> tuple[Job[Any, Any], float]:
    start = time.monotonic()
    Runner(executor=executor).run(job, timeout_seconds=timeout)
    return job, time.monotonic() - start


def test_task_timeout(executor: Executor) -> None:
    job, elapsed = run_timed(
        executor, Job(Workflow(name="w", tasks=[Start, QuickTimeout]), Sleep(seconds=5))
    )
    assert 0.3 <= elapsed < LATE
    assert job.status is JobStatus.FAILED
    assert isinstance(job.exception, TaskTimeoutError)
    assert job.exception.task_name == "quick_timeout"
    assert job.error == "Task 'quick_timeout' timed out after 0.3s"
    assert result_of(job, "quick_timeout").status is TaskStatus.FAILED
    assert result_of(job, "start").status is TaskStatus.COMPLETED


def test_job_timeout_while_a_task_runs(executor: Executor) -> None:
    workflow = Workflow(name="w", tasks=[Sleeper, Sleeper, Sleeper, Sleeper])
    job, elapsed = run_timed(executor, Job(workflow, Sleep(seconds=0.2)), timeout=0.5)
    assert 0.5 <= elapsed < LATE
    assert isinstance(job.exception, TaskTimeoutError)
    assert job.failed_task == "sleeper_3"
    assert job.error == "Job of workflow 'w' timed out after 0.5s while running task 'sleeper_3'"
    assert [r.status for r in job.task_results] == ["completed", "completed", "failed"]


def test_job_timeout_fails_every_running_branch(executor: Executor) -> None:
    workflow = (
        Workflow.builder(name="w")
        .add_task(Start)
        .add_task(Slow, name="a", depends_on=Start)
        .add_task(Slow, name="b", depends_on=Start)
        .add_task(Join, depends_on={"a": "a", "b": "b"})
        .build()
    )
    job, elapsed = run_timed(executor, Job(workflow, Sleep(seconds=5)), timeout=0.3)
    assert 0.3 <= elapsed < LATE
    assert job.failed_task == "a"
    assert job.error == "Job of workflow 'w' timed out after 0.3s while running task 'a'"
    assert result_of(job, "b").error == (
        "Job of workflow 'w' timed out after 0.3s while running task 'b'"
    )
    assert names(job) == ["start", "a", "b"]


def test_nested_workflow_deadlines_bound_its_inner_tasks(executor: Executor) -> None:
    inner = Workflow(name="inner", tasks=[Start, Slow])
    outer = Workflow(
        name="outer", tasks=[workflow_task(inner, name="wrapped", timeout_seconds=0.3)]
    )
    job, elapsed = run_timed(executor, Job(outer, Sleep(seconds=5)))
    assert elapsed < LATE
    assert isinstance(job.exception, TaskTimeoutError)
    assert job.error == "Task 'wrapped' timed out after 0.3s"

    job, elapsed = run_timed(executor, Job(outer, Sleep(seconds=5)), timeout=0.2)
    assert elapsed < LATE
    assert job.error == "Job of workflow 'outer' timed out after 0.2s while running task 'wrapped'"


def test_an_inner_task_timeout_fails_its_nested_workflow(executor: Executor) -> None:
    inner = Workflow(name="inner", tasks=[Start, QuickTimeout])
    outer = Workflow(name="outer", tasks=[workflow_task(inner, name="wrapped")])
    job, elapsed = run_timed(executor, Job(outer, Sleep(seconds=5)))
    assert elapsed < LATE
    assert job.failed_task == "wrapped"
    assert job.error == (
        "Inner workflow 'inner' failed at task 'quick_timeout': "
        "Task 'quick_timeout' timed out after 0.3s"
    )


def test_a_running_nested_workflow_is_awaited_after_a_failure(executor: Executor) -> None:
    inner = Workflow(name="inner", tasks=[Start, Slow])
    outer = (
        Workflow.builder(name="outer", result_task="join")
        .add_task(Start)
        .add_task(workflow_task(inner, name="wrapped"), depends_on=Start)
        .add_task(FailSoon, depends_on=Start)
        .add_task(Join, depends_on={"a": "wrapped", "b": "fail_soon"})
        .build()
    )
    job, elapsed = run_timed(executor, Job(outer, Sleep(seconds=0.5)))
    assert elapsed >= 0.5
    assert job.failed_task == "fail_soon"
    assert result_of(job, "wrapped").status is TaskStatus.COMPLETED

    # Until its deadline at most; the first failure stays the job's.
    job, elapsed = run_timed(executor, Job(outer, Sleep(seconds=5)), timeout=0.4)
    assert 0.4 <= elapsed < LATE
    assert job.failed_task == "fail_soon"
    assert result_of(job, "wrapped").error == (
        "Job of workflow 'outer' timed out after 0.4s while running task 'wrapped'"
    )
    assert "join" not in names(job)


def test_a_deadline_around_the_run_is_left_to_its_owner(thread_pool: Executor) -> None:
    job = Job(Workflow(name="w", tasks=[Sleeper, Sleeper]), Sleep(seconds=0.3))
    with pytest.raises(deadlines.DeadlineExpired), deadlines.deadline(0.45, "Outer"):
        Runner(executor=thread_pool).run(job)
    assert job.status is JobStatus.FAILED
    assert job.failed_task == "sleeper_2"
    assert job.error == "Outer timed out after 0.45s while running task 'sleeper_2'"


def test_task_clock_starts_when_a_worker_is_free() -> None:
    # One worker, three ready tasks of 0.2 s with a 0.35 s timeout each: queued
    # behind the others, the last would pass its deadline if its clock started
    # when it became ready.
    workflow = (
        Workflow.builder(name="w", result_task="c")
        .add_task(Roomy, name="a")
        .add_task(Roomy, name="b")
        .add_task(Roomy, name="c")
        .build()
    )
    with ThreadPoolExecutor(1) as pool:
        job, elapsed = run_timed(pool, Job(workflow, Sleep(seconds=0.2)))
    assert job.status is JobStatus.COMPLETED, job.error
    assert elapsed >= 0.6


def assert_free_again(executor: Executor) -> None:
    follow_up, elapsed = run_timed(
        executor, Job(Workflow(name="w", tasks=[Start]), Sleep(seconds=0))
    )
    assert follow_up.status is JobStatus.COMPLETED
    assert elapsed < 1.0


@pytest.mark.parametrize("task", [QuickTimeout, Busy])
def test_an_overrunning_task_does_not_keep_its_thread(task: type[Task[Any, Any]]) -> None:
    # The task runs in a helper thread that is asked to stop at the deadline
    # (Python code stops; a blocking call such as time.sleep finishes on its
    # own); the pool's thread is free at once.
    with ThreadPoolExecutor(1) as single:
        job, _ = run_timed(single, Job(Workflow(name="w", tasks=[task]), Sleep(seconds=3)))
        assert isinstance(job.exception, TaskTimeoutError)
        assert_free_again(single)


def test_an_overrunning_task_is_interrupted_in_its_process(process_pool: Executor) -> None:
    # SIGALRM in the worker process interrupts even time.sleep.
    width = capacity(process_pool)
    assert width is not None
    overrun = Workflow.builder(name="w", result_task="t0")
    for index in range(width):
        overrun.add_task(QuickTimeout, name=f"t{index}")
    job, _ = run_timed(process_pool, Job(overrun.build(), Sleep(seconds=5)))
    assert isinstance(job.exception, TaskTimeoutError)
    assert_free_again(process_pool)  # every worker process is free again


class SlowHook(BaseHook):
    def on_task_complete(self, job: Job[Any, Any], task: Task[Any, Any], output: BaseModel) -> None:
        time.sleep(0.4)


def test_job_deadline_passing_in_the_driver_stops_the_next_task(thread_pool: Executor) -> None:
    job = Job(Workflow(name="w", tasks=[Sleeper, Sleeper]), Sleep(seconds=0.0))
    Runner(hooks=[SlowHook()], executor=thread_pool).run(job, timeout_seconds=0.2)
    assert job.status is JobStatus.FAILED
    assert job.error == (
        "Job of workflow 'w' timed out after 0.2s, before task 'sleeper_2' could start"
    )
    assert names(job) == ["sleeper"]


class ThreadRecorder(BaseHook):
    def __init__(self) -> None:
        self.events: list[tuple[str, str | None, int]] = []

    def _add(self, event: str, task: str | None) -> None:
        self.events.append((event, task, threading.get_ident()))

    def on_job_start(self, job: Job[Any, Any]) -> None:
        self._add("job_start", None)

    def on_job_complete(self, job: Job[Any, Any]) -> None:
        self._add("job_end", None)

    def on_job_fail(self, job: Job[Any, Any]) -> None:
        self._add("job_end", None)

    def on_task_start(self, job: Job[Any, Any], task: Task[Any, Any]) -> None:
        self._add("start", task.name)

    def on_task_complete(self, job: Job[Any, Any], task: Task[Any, Any], output: BaseModel) -> None:
        assert job.task_results[-1].task_name == task.name
        self._add("end", task.name)

    def on_task_fail(self, job: Job[Any, Any], task: Task[Any, Any], error: Exception) -> None:
        assert job.task_results[-1].exception is error
        self._add("end", task.name)


@pytest.mark.parametrize("fails", [False, True])
def test_hooks_are_called_from_the_driver_thread(executor: Executor, fails: bool) -> None:
    recorder = ThreadRecorder()
    workflow = everything()
    ctx = ExecutionContext(services={"base": 5} if not fails else {})
    job = Runner(hooks=[recorder], executor=executor).run(Job(workflow, Number(value=1)), ctx=ctx)
    assert job.status is (JobStatus.FAILED if fails else JobStatus.COMPLETED)
    assert {ident for *_, ident in recorder.events} == {threading.get_ident()}
    kinds = [event for event, *_ in recorder.events]
    assert kinds[0] == "job_start"
    assert kinds[-1] == "job_end"
    started = [str(task) for event, task, _ in recorder.events if event == "start"]
    ended = [str(task) for event, task, _ in recorder.events if event == "end"]
    assert sorted(started) == sorted(ended) == sorted(names(job))
    for task in started:  # each task ends after it starts
        assert recorder.events.index(("start", task, threading.get_ident())) < (
            recorder.events.index(("end", task, threading.get_ident()))
        )


class Interrupting(BaseHook):
    def on_task_complete(self, job: Job[Any, Any], task: Task[Any, Any], output: BaseModel) -> None:
        raise KeyboardInterrupt


def test_interruption_in_the_driver_leaves_the_job_failed(thread_pool: Executor) -> None:
    job = Job(Workflow(name="w", tasks=[AddOne, Double]), Number(value=1))
    with pytest.raises(KeyboardInterrupt):
        Runner(hooks=[Interrupting()], executor=thread_pool).run(job)
    assert job.status is JobStatus.FAILED
    assert job.failed_task == "add_one"


def test_any_executor_will_do() -> None:
    job = Runner(executor=InlineExecutor()).run(
        Job(Workflow(name="w", tasks=[AddOne, Double]), Number(value=1))
    )
    assert job.result == Number(value=4)
    timed_out, elapsed = run_timed(
        InlineExecutor(), Job(Workflow(name="w", tasks=[QuickTimeout]), Sleep(seconds=5))
    )
    assert elapsed < LATE
    assert timed_out.error == "Task 'quick_timeout' timed out after 0.3s"


def test_configured_empty_root_runs_on_an_executor(thread_pool: Executor) -> None:
    workflow = Workflow.builder(name="w").add_task(Offset, config_fields=["offset"]).build()
    configuration = JobConfiguration({"offset": {"offset": 1}})
    ctx = ExecutionContext(services={"base": 2})
    job = Runner(executor=thread_pool).run(
        Job(workflow, EmptyConfig(), job_configuration=configuration), ctx=ctx
    )
    assert job.result == Number(value=3)


def test_an_executor_that_refuses_work_fails_the_task() -> None:
    closed = ThreadPoolExecutor(1)
    closed.shutdown()
    job = Runner(executor=closed).run(Job(Workflow(name="w", tasks=[AddOne]), Number(value=1)))
    assert job.status is JobStatus.FAILED
    assert job.error == "cannot schedule new futures after shutdown"
