"""Guarantees that hold under faults (issue 12): deadlines, exits and interruptions.

Each test states one promise of ``docs/guarantees.md``. The hooks here are
duck-typed (any positional arguments), and ``results`` reads ``task_results``
by task name, so that the checks do not depend on the hooks' argument lists.
"""

from __future__ import annotations

import math
import multiprocessing
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from taskmaestro import (
    Job,
    JobStatus,
    ResultPersistenceHook,
    Runner,
    Task,
    TaskExecutionError,
    TaskResult,
    TaskTimeoutError,
    TimingHook,
    Workflow,
    WorkflowDefinitionError,
    WorkflowRunnerError,
)
from taskmaestro._timeouts import MAX_TIMEOUT_SECONDS
from taskmaestro.exceptions import TimeoutValueError
from taskmaestro.hooks._filenames import MAX_FILE_NAME_BYTES, result_file_name

from .fault_tasks import (
    OVERRUN,
    AlarmThief,
    Exits,
    Interrupts,
    Quick,
    RaisesTwoArguments,
    SwallowingTask,
    SwallowingUntimed,
    SwallowsOnce,
    Timed,
    WrapsInterruption,
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
    assert_timed_out(job, "swallowing_task", "Task 'swallowing_task' timed out after 0.3s")
    assert elapsed < OVERRUN + LATE  # it runs on, swallowing, until it returns


def test_a_job_deadline_swallowed_by_a_task_still_fails_the_job() -> None:
    job, _ = run(chain(SwallowingUntimed), timeout=0.3)
    assert_timed_out(
        job,
        "swallowing_untimed",
        "Job of workflow 'w' timed out after 0.3s while running task 'swallowing_untimed'",
    )


def test_a_task_that_disables_the_alarm_still_fails() -> None:
    before = signal.getsignal(signal.SIGALRM)
    job, elapsed = run(chain(AlarmThief), seconds=0.6)
    assert_timed_out(job, "alarm_thief", "Task 'alarm_thief' timed out after 0.3s")
    assert elapsed < LATE
    assert signal.getsignal(signal.SIGALRM) == before  # the runner put the handler back
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_task_that_swallowed_its_interruption_is_interrupted_again(
    any_executor: Executor | None,
) -> None:
    # Without a second interruption the task would sleep 2 x 3 s.
    job, elapsed = run(chain(SwallowsOnce), any_executor, seconds=3)
    assert_timed_out(job, "swallows_once", "Task 'swallows_once' timed out after 0.3s")
    assert elapsed < LATE


def test_a_task_that_turns_its_interruption_into_an_error_has_timed_out(
    any_executor: Executor | None,
) -> None:
    job, elapsed = run(chain(WrapsInterruption), any_executor, seconds=3)
    assert_timed_out(job, "wraps_interruption", "Task 'wraps_interruption' timed out after 0.3s")
    assert elapsed < LATE


@pytest.mark.parametrize("executor_kind", ["sequential", "threads"])
def test_a_swallowing_task_is_stopped_on_every_in_process_path(
    executor_kind: str, thread_pool: ThreadPoolExecutor
) -> None:
    executor = thread_pool if executor_kind == "threads" else None
    job, _ = run(chain(SwallowingTask), executor, timeout=5)
    assert_timed_out(job, "swallowing_task", "Task 'swallowing_task' timed out after 0.3s")


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


class InterruptsOnFirstCompletion(Events):
    """Ctrl-C arriving in the runner while another task is still running."""

    def on_task_complete(self, *args: object) -> None:
        super().on_task_complete()
        raise KeyboardInterrupt


def test_ctrl_c_in_the_driver_records_the_tasks_in_flight(thread_pool: ThreadPoolExecutor) -> None:
    workflow = (
        Workflow.builder(name="w", result_task="slow")
        .add_task(Sleeper, name="slow")
        .add_task(Quick, name="quick")
        .build()
    )
    job = Job(workflow, Sleep(seconds=1))
    events = InterruptsOnFirstCompletion()
    with pytest.raises(KeyboardInterrupt):
        Runner(hooks=[events], executor=thread_pool).run(job)
    assert job.status is JobStatus.FAILED
    assert results(job)["quick"].status == "completed"
    assert results(job)["slow"].status == "failed"
    assert results(job)["slow"].error == "Task 'slow' was interrupted (KeyboardInterrupt)"
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


def test_an_exception_that_cannot_be_unpickled_fails_its_task_on_dask(
    dask_executor: Executor,
) -> None:
    job, _ = run(chain(RaisesTwoArguments), dask_executor)
    assert job.error == ("Task 'raises_two_arguments' failed: TwoArguments: data.csv: no such file")
    follow_up, _ = run(Workflow(name="again", tasks=[Sleeper]), dask_executor)
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
    assert job.error == "Job of workflow 'w' timed out after 0.3s, before task 'timed' could start"
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
        "Job of workflow 'w' timed out after 0.3s, before task 'sleeper' could start"
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


# -- 5. Timeout values are checked where they are given -----------------------------------

BAD_TIMEOUTS = [math.nan, math.inf, -math.inf, 1e26, "1", -1, 0, 0.0, True, [1]]


@pytest.mark.parametrize("value", BAD_TIMEOUTS, ids=repr)
def test_a_task_class_with_a_bad_timeout_is_refused_when_defined(value: object) -> None:
    with pytest.raises(WorkflowDefinitionError, match=r"Task \S*Bad: timeout_seconds must be"):

        class Bad(Sleeper):
            timeout_seconds = value  # type: ignore[assignment]


@pytest.mark.parametrize("value", [math.nan, 1e26, "soon"], ids=repr)
def test_a_timeout_set_after_the_class_is_refused_when_the_task_is_added(value: object) -> None:
    class Later(Sleeper):
        pass

    Later.timeout_seconds = value  # type: ignore[assignment]
    with pytest.raises(WorkflowDefinitionError, match=r"timeout_seconds must be") as raised:
        Workflow.builder(name="w").add_task(Later, name="later")
    assert raised.value.task == "later"


@pytest.mark.parametrize("value", BAD_TIMEOUTS, ids=repr)
def test_a_bad_job_timeout_is_refused_by_run(value: object) -> None:
    job = Job(Workflow(name="w", tasks=[Sleeper]), Sleep(seconds=0))
    with pytest.raises(TimeoutValueError, match=r"Runner.run: timeout_seconds must be"):
        Runner().run(job, timeout_seconds=value)  # type: ignore[arg-type]
    assert isinstance(TimeoutValueError("x"), ValueError | WorkflowRunnerError)
    assert job.status is JobStatus.PENDING  # refused before it started


@pytest.mark.parametrize("value", [1, 0.25, MAX_TIMEOUT_SECONDS, None])
def test_good_timeouts_are_accepted_up_to_the_maximum(value: float | None) -> None:
    class Fine(Sleeper):
        timeout_seconds = value

    job = Job(Workflow(name="w", tasks=[Fine]), Sleep(seconds=0))
    assert Runner().run(job, timeout_seconds=value).status is JobStatus.COMPLETED
    with ThreadPoolExecutor(1) as pool:
        job = Job(Workflow(name="w", tasks=[Fine]), Sleep(seconds=0))
        assert Runner(executor=pool).run(job, timeout_seconds=value).status is JobStatus.COMPLETED


# -- 10. A result file for every valid task name --------------------------------------------


def test_a_long_task_name_gets_a_short_unique_result_file(tmp_path: Path) -> None:
    first, second = "a" * 300 + "_1", "a" * 300 + "_2"
    workflow = (
        Workflow.builder(name="w", result_task=second)
        .add_task(Sleeper, name=first)
        .add_task(Sleeper, name=second)
        .add_task(Sleeper, name="short")
        .build()
    )
    job = Runner(hooks=[ResultPersistenceHook(tmp_path)]).run(Job(workflow, Sleep(seconds=0)))
    assert job.status is JobStatus.COMPLETED
    files = {path.name for path in tmp_path.iterdir()}
    assert files == {result_file_name(first), result_file_name(second), "short.json"}
    for name in (first, second):
        file_name = result_file_name(name)
        assert len(file_name.encode()) <= MAX_FILE_NAME_BYTES
        assert file_name.startswith("a" * 100)
        assert Sleep.model_validate_json((tmp_path / file_name).read_text()) == Sleep(seconds=0)


def test_shortened_file_names_cannot_be_another_task_s() -> None:
    long_name = "b" * 250
    shortened = result_file_name(long_name)
    assert shortened != result_file_name("b" * 251)
    # Task names have no dots, so no task's own file name is a shortened one.
    assert "." in shortened.removesuffix(".json")
    assert result_file_name("b" * 100) == "b" * 100 + ".json"


# -- 11. Wrong runner arguments are refused at construction ---------------------------------


def test_a_runner_refuses_what_is_no_executor() -> None:
    with pytest.raises(TypeError, match=r"Runner\(executor=\.\.\.\) takes a concurrent"):
        Runner(executor=object())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("hooks", "message"),
    [
        ([None], r"hooks\[0\] is None, not a hook"),
        ([Events(), TimingHook], r"hooks\[1\] is the class TimingHook.*such as TimingHook\(\)"),
        (TimingHook(), r"takes a list of hook objects, got TimingHook"),
        ("LoggingHook", r"takes a list of hook objects, got str"),
    ],
)
def test_a_runner_refuses_what_cannot_be_hooks(hooks: object, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        Runner(hooks=hooks)  # type: ignore[arg-type]


def test_any_other_object_is_a_hook() -> None:
    class OnlyStart:
        def __init__(self) -> None:
            self.started = 0

        def on_job_start(self, *args: object) -> None:
            self.started += 1

    watcher = OnlyStart()
    hooks: list[Any] = [watcher, object()]
    job = Runner(hooks=hooks).run(Job(Workflow(name="w", tasks=[Sleeper]), Sleep(seconds=0)))
    assert job.status is JobStatus.COMPLETED
    assert watcher.started == 1
