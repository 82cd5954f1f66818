"""Guarantees that hold under faults (issue 12): deadlines, exits and interruptions.

Each test states one promise of ``docs/guarantees.md``. The hooks here are
duck-typed (any positional arguments), and ``results`` reads ``task_results``
by task name, so that the checks do not depend on the hooks' argument lists.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import pytest

from taskmaestro import (
    Job,
    JobStatus,
    Runner,
    Task,
    TaskExecutionError,
    TaskResult,
    TaskTimeoutError,
    Workflow,
)

from .fault_tasks import (
    OVERRUN,
    AlarmThief,
    Exits,
    Interrupts,
    RaisesTwoArguments,
    SwallowingTask,
    SwallowingUntimed,
    SwallowsOnce,
    Timed,
)
from .helpers import Sleep, Sleeper

LATE = 2.0
"""Generous bound for "on time": these tests check that a deadline holds, not speed."""


def results(job: Job[Any, Any]) -> dict[str, TaskResult]:
    """``job.task_results`` by task name (a dict today, a list in 0.1.0's shape)."""
    records: Any = job.task_results
    if isinstance(records, dict):
        return dict(records)
    return {record.task_name: record for record in records}


class Events:
    """A duck-typed hook that counts every event it gets."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def count(self, event: str) -> int:
        return self.seen.count(event)

    def on_job_start(self, *args: object) -> None:
        self.seen.append("on_job_start")

    def on_job_complete(self, *args: object) -> None:
        self.seen.append("on_job_complete")

    def on_job_fail(self, *args: object) -> None:
        self.seen.append("on_job_fail")

    def on_task_start(self, *args: object) -> None:
        self.seen.append("on_task_start")

    def on_task_complete(self, *args: object) -> None:
        self.seen.append("on_task_complete")

    def on_task_fail(self, *args: object) -> None:
        self.seen.append("on_task_fail")


@pytest.fixture(params=["sequential", "threads", "processes", "dask"])
def any_executor(request: pytest.FixtureRequest) -> Executor | None:
    """No executor (the sequential runner), then each kind of executor."""
    if request.param == "sequential":
        return None
    fixture = {"threads": "thread_pool", "processes": "process_pool", "dask": "dask_executor"}
    pool: Executor = request.getfixturevalue(fixture[request.param])
    return pool


def chain(first: type[Task[Any, Any]]) -> Workflow[Any, Any]:
    """``first`` then a plain sleeper, which must never start when ``first`` fails."""
    return Workflow(name="w", tasks=[first, Sleeper])


def run(
    workflow: Workflow[Any, Any],
    executor: Executor | None = None,
    timeout: float | None = None,
    seconds: float = 0.0,
    hook: Events | None = None,
) -> tuple[Job[Any, Any], float]:
    job = Job(workflow, Sleep(seconds=seconds))
    start = time.monotonic()
    Runner(hooks=[hook] if hook else None, executor=executor).run(job, timeout_seconds=timeout)
    return job, time.monotonic() - start


def assert_timed_out(job: Job[Any, Any], task: str, message: str) -> None:
    assert job.status is JobStatus.FAILED
    assert isinstance(job.exception, TaskTimeoutError)
    assert job.failed_task == task
    assert job.error == message
    assert results(job)[task].status == "failed"
    assert "sleeper" not in results(job)  # nothing after it started


# -- 1. A deadline is a deadline ---------------------------------------------------------


def test_a_task_swallowing_its_timeout_fails_and_nothing_after_it_starts() -> None:
    job, elapsed = run(chain(SwallowingTask))
    assert_timed_out(job, "swallowing_task", "Task 'swallowing_task' timed out after 0.3 s")
    assert elapsed < OVERRUN + LATE  # it runs on, swallowing, until it returns


def test_a_job_deadline_swallowed_by_a_task_still_fails_the_job() -> None:
    job, _ = run(chain(SwallowingUntimed), timeout=0.3)
    assert_timed_out(
        job,
        "swallowing_untimed",
        "Job of workflow 'w' timed out after 0.3 s while running task 'swallowing_untimed'",
    )


def test_a_task_that_disables_the_alarm_still_fails() -> None:
    before = signal.getsignal(signal.SIGALRM)
    job, elapsed = run(chain(AlarmThief), seconds=0.6)
    assert_timed_out(job, "alarm_thief", "Task 'alarm_thief' timed out after 0.3 s")
    assert elapsed < LATE
    assert signal.getsignal(signal.SIGALRM) == before  # the runner put the handler back
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_task_that_swallowed_its_interruption_is_interrupted_again(
    any_executor: Executor | None,
) -> None:
    # Without a second interruption the task would sleep 2 x 3 s.
    job, elapsed = run(chain(SwallowsOnce), any_executor, seconds=3)
    assert_timed_out(job, "swallows_once", "Task 'swallows_once' timed out after 0.3 s")
    assert elapsed < LATE


@pytest.mark.parametrize("executor_kind", ["sequential", "threads"])
def test_a_swallowing_task_is_stopped_on_every_in_process_path(
    executor_kind: str, thread_pool: ThreadPoolExecutor
) -> None:
    executor = thread_pool if executor_kind == "threads" else None
    job, _ = run(chain(SwallowingTask), executor, timeout=5)
    assert_timed_out(job, "swallowing_task", "Task 'swallowing_task' timed out after 0.3 s")


# -- 2. SystemExit and KeyboardInterrupt from a task -------------------------------------


def test_sys_exit_in_a_task_fails_the_job(any_executor: Executor | None) -> None:
    events = Events()
    job, _ = run(chain(Exits), any_executor, hook=events)  # returns: no SystemExit escapes
    assert job.status is JobStatus.FAILED
    assert job.failed_task == "exits"
    assert job.error == "Task 'exits' called sys.exit(0)"
    assert isinstance(job.exception, TaskExecutionError)
    assert job.exception.task_name == "exits"
    assert isinstance(job.exception.__cause__, SystemExit)
    assert job.exception.__cause__.code == 0
    assert results(job)["exits"].status == "failed"
    assert "sleeper" not in results(job)
    assert events.count("on_task_fail") == 1
    assert events.count("on_job_fail") == 1
    assert events.count("on_job_complete") == 0


def test_keyboard_interrupt_in_a_task_fails_the_job_then_goes_on_up(
    any_executor: Executor | None,
) -> None:
    events = Events()
    job = Job(chain(Interrupts), Sleep(seconds=0))
    with pytest.raises(KeyboardInterrupt):
        Runner(hooks=[events], executor=any_executor).run(job)
    assert job.status is JobStatus.FAILED
    assert job.failed_task == "interrupts"
    assert job.error == "Task 'interrupts' was interrupted (KeyboardInterrupt)"
    assert isinstance(job.exception, TaskExecutionError)
    assert isinstance(job.exception.__cause__, KeyboardInterrupt)
    assert results(job)["interrupts"].status == "failed"
    assert "sleeper" not in results(job)
    assert events.count("on_task_fail") == 1
    assert events.count("on_job_fail") == 1


# -- 3. An exception that cannot be unpickled in the parent --------------------------------


@pytest.fixture
def own_process_pool() -> Iterator[ProcessPoolExecutor]:
    """A pool of its own: on a regression it breaks, and no other test should see that."""
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        yield pool


def test_an_exception_that_cannot_be_unpickled_fails_its_task_only(
    own_process_pool: ProcessPoolExecutor,
) -> None:
    job, _ = run(chain(RaisesTwoArguments), own_process_pool)
    assert job.status is JobStatus.FAILED
    assert job.failed_task == "raises_two_arguments"
    assert job.error == ("Task 'raises_two_arguments' failed: TwoArguments: data.csv: no such file")
    follow_up, _ = run(Workflow(name="again", tasks=[Sleeper]), own_process_pool)
    assert follow_up.status is JobStatus.COMPLETED, follow_up.error


# -- 6. Several runners on one thread pool ------------------------------------------------


def test_a_task_clock_starts_when_it_gets_a_worker_of_a_shared_pool() -> None:
    jobs = [
        Job(Workflow(name=f"w{index}", tasks=[Timed]), Sleep(seconds=0.2)) for index in range(6)
    ]
    with ThreadPoolExecutor(2) as shared:
        runners = [
            threading.Thread(target=Runner(executor=shared).run, args=(job,)) for job in jobs
        ]
        for runner in runners:
            runner.start()
        for runner in runners:
            runner.join()
    assert [job.status for job in jobs] == [JobStatus.COMPLETED] * 6, [job.error for job in jobs]


# -- 9. Hooks' time counts toward the job's deadline ---------------------------------------


class SlowStart(Events):
    """Takes 0.4 s in the ``on_task_start`` of the second task."""

    def on_task_start(self, *args: object) -> None:
        super().on_task_start()
        if self.count("on_task_start") == 2:
            time.sleep(0.4)


class SlowComplete(Events):
    """Takes 0.4 s in each ``on_task_complete``."""

    def on_task_complete(self, *args: object) -> None:
        super().on_task_complete()
        time.sleep(0.4)


@pytest.mark.parametrize("executor_kind", ["sequential", "threads"])
def test_a_slow_task_start_hook_keeps_its_task_from_starting(
    executor_kind: str, thread_pool: ThreadPoolExecutor
) -> None:
    executor = thread_pool if executor_kind == "threads" else None
    workflow = Workflow(name="w", tasks=[Sleeper, Timed])
    job, _ = run(workflow, executor, timeout=0.3, hook=SlowStart())
    assert job.status is JobStatus.FAILED
    assert job.failed_task == "timed"
    assert job.error == "Job of workflow 'w' timed out after 0.3 s, before task 'timed' could start"
    assert results(job)["timed"].status == "failed"  # its on_task_start came, so does its end


@pytest.mark.parametrize("executor_kind", ["sequential", "threads"])
def test_a_slow_completion_hook_in_the_middle_stops_the_next_task(
    executor_kind: str, thread_pool: ThreadPoolExecutor
) -> None:
    executor = thread_pool if executor_kind == "threads" else None
    workflow = Workflow(name="w", tasks=[Timed, Sleeper])
    hook = SlowComplete()
    job, _ = run(workflow, executor, timeout=0.3, hook=hook)
    assert job.status is JobStatus.FAILED
    assert job.error == (
        "Job of workflow 'w' timed out after 0.3 s, before task 'sleeper' could start"
    )
    assert list(results(job)) == ["timed"]
    assert hook.count("on_task_complete") == 1  # the hook itself was not cut short


@pytest.mark.parametrize("executor_kind", ["sequential", "threads"])
def test_a_slow_hook_after_the_last_task_leaves_the_job_completed(
    executor_kind: str, thread_pool: ThreadPoolExecutor
) -> None:
    executor = thread_pool if executor_kind == "threads" else None
    job, _ = run(Workflow(name="w", tasks=[Timed]), executor, timeout=0.3, hook=SlowComplete())
    assert job.status is JobStatus.COMPLETED, job.error
