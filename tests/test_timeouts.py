"""Task and job deadlines: sub-second, composed, and enforced off the main thread."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import threading
import time
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel

from taskmaestro import (
    BaseHook,
    ExecutionContext,
    Job,
    JobStatus,
    Runner,
    Task,
    TaskTimeoutError,
    Workflow,
)

from .helpers import Busy, QuickTimeout, Sleep, Sleeper, names, result_of

# Generous upper bounds: these tests check that a deadline fires, and roughly
# when, not how fast the machine is.
LATE = 2.0


class Swallower(Task[Sleep, Sleep]):
    """Tries to swallow every exception; a timeout must still get through."""

    timeout_seconds: ClassVar[float | None] = 0.2

    def run(self, input: Sleep, ctx: ExecutionContext) -> Sleep:
        with contextlib.suppress(Exception):
            time.sleep(input.seconds)
        return input


class Patient(Sleeper):
    timeout_seconds: ClassVar[float | None] = 30.0


def run_timed(job: Job[Any, Any], timeout: float | None = None) -> float:
    start = time.monotonic()
    Runner().run(job, timeout_seconds=timeout)
    return time.monotonic() - start


def test_task_timeout_is_sub_second() -> None:
    job = Job(Workflow(name="w", tasks=[QuickTimeout]), Sleep(seconds=10))
    elapsed = run_timed(job)
    assert 0.3 <= elapsed < LATE
    assert job.status is JobStatus.FAILED
    assert isinstance(job.exception, TaskTimeoutError)
    assert job.exception.task_name == "quick_timeout"
    assert job.error == "Task 'quick_timeout' timed out after 0.3s"
    assert result_of(job, "quick_timeout").status == "failed"


def test_task_within_its_timeout_completes() -> None:
    job = Job(Workflow(name="w", tasks=[QuickTimeout]), Sleep(seconds=0.01))
    run_timed(job)
    assert job.status is JobStatus.COMPLETED


@pytest.mark.parametrize("task", [Swallower, Busy])
def test_timeout_cannot_be_swallowed_and_interrupts_python_code(task: type[Task[Any, Any]]) -> None:
    job = Job(Workflow(name="w", tasks=[task]), Sleep(seconds=10))
    elapsed = run_timed(job)
    assert elapsed < LATE
    assert isinstance(job.exception, TaskTimeoutError)


def test_job_timeout_fires_during_a_task() -> None:
    job = Job(Workflow(name="w", tasks=[Sleeper, Sleeper, Sleeper, Sleeper]), Sleep(seconds=0.2))
    elapsed = run_timed(job, timeout=0.5)
    assert 0.5 <= elapsed < LATE
    assert isinstance(job.exception, TaskTimeoutError)
    assert job.failed_task == "sleeper_3"
    assert job.error == ("Job of workflow 'w' timed out after 0.5s while running task 'sleeper_3'")
    assert [r.status for r in job.task_results] == ["completed", "completed", "failed"]


def test_job_deadline_survives_a_task_with_its_own_timeout() -> None:
    # The first task arms its own (long) deadline and finishes; the job's
    # deadline must still fire in the second task.
    job = Job(Workflow(name="w", tasks=[Patient, Sleeper]), Sleep(seconds=0.3))
    elapsed = run_timed(job, timeout=0.45)
    assert 0.45 <= elapsed < LATE
    assert job.failed_task == "sleeper"
    assert "Job of workflow 'w' timed out" in (job.error or "")


def test_task_deadline_shorter_than_the_job_deadline_wins() -> None:
    job = Job(Workflow(name="w", tasks=[QuickTimeout]), Sleep(seconds=10))
    elapsed = run_timed(job, timeout=5)
    assert elapsed < LATE
    assert job.error == "Task 'quick_timeout' timed out after 0.3s"


class SlowHook(BaseHook):
    def on_task_complete(self, job: Job[Any, Any], task: Task[Any, Any], output: BaseModel) -> None:
        time.sleep(0.4)


def test_job_deadline_passing_between_tasks_stops_the_next_one() -> None:
    job = Job(Workflow(name="w", tasks=[Sleeper, Sleeper]), Sleep(seconds=0.0))
    Runner(hooks=[SlowHook()]).run(job, timeout_seconds=0.2)
    assert job.status is JobStatus.FAILED
    assert job.error == (
        "Job of workflow 'w' timed out after 0.2s, before task 'sleeper_2' could start"
    )
    assert names(job) == ["sleeper"]


def test_off_the_main_thread_timeouts_still_fire_on_time() -> None:
    outcome: dict[str, Any] = {}

    def worker() -> None:
        task_job = Job(Workflow(name="w", tasks=[QuickTimeout]), Sleep(seconds=5))
        outcome["task_elapsed"] = run_timed(task_job)
        outcome["task_job"] = task_job
        whole_job = Job(Workflow(name="w", tasks=[Sleeper]), Sleep(seconds=5))
        outcome["job_elapsed"] = run_timed(whole_job, timeout=0.3)
        outcome["whole_job"] = whole_job
        busy_job = Job(Workflow(name="w", tasks=[Busy]), Sleep(seconds=5))
        outcome["busy_elapsed"] = run_timed(busy_job)
        ok_job = Job(Workflow(name="w", tasks=[QuickTimeout]), Sleep(seconds=0.01))
        Runner().run(ok_job)
        outcome["ok_job"] = ok_job

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(30)
    assert not thread.is_alive()
    assert 0.3 <= outcome["task_elapsed"] < LATE
    assert outcome["task_job"].error == "Task 'quick_timeout' timed out after 0.3s"
    assert 0.3 <= outcome["job_elapsed"] < LATE
    assert isinstance(outcome["whole_job"].exception, TaskTimeoutError)
    assert outcome["busy_elapsed"] < LATE
    assert outcome["ok_job"].status is JobStatus.COMPLETED


def test_previous_alarm_handler_and_timer_are_restored() -> None:
    fired: list[int] = []

    def handler(signum: int, frame: object) -> None:
        fired.append(signum)

    previous = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 1.0)
        job = Job(Workflow(name="w", tasks=[QuickTimeout]), Sleep(seconds=0.05))
        Runner().run(job, timeout_seconds=5)
        assert job.status is JobStatus.COMPLETED
        assert signal.getsignal(signal.SIGALRM) is handler
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 0 < remaining <= 1.0
        time.sleep(remaining + 0.2)
        assert fired == [signal.SIGALRM]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_no_timer_is_left_armed_after_a_job() -> None:
    job = Job(Workflow(name="w", tasks=[QuickTimeout]), Sleep(seconds=0.01))
    Runner().run(job, timeout_seconds=5)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.default_int_handler)


def test_a_forked_child_starts_without_its_parents_deadlines() -> None:
    # A process pool forked while a job deadline runs: its workers must not
    # inherit that deadline (the parent enforces it), or a later task would
    # find it long expired. Run in a fresh interpreter: fork needs one thread.
    script = """
import os, signal
from taskmaestro import _deadline as deadlines
with deadlines.deadline(0.05, "parent"):
    pid = os.fork()
    if pid == 0:
        ok = not deadlines.active() and signal.getsignal(signal.SIGALRM) is signal.SIG_DFL
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=True
    )
    assert done.stdout.strip() == "0", done.stderr
