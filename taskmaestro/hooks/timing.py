"""TimingHook: wall-clock durations of the job and of each task."""

from __future__ import annotations

from time import perf_counter
from typing import TYPE_CHECKING, Any

from .base import BaseHook

if TYPE_CHECKING:
    from ..context import ExecutionContext
    from ..job import Job, TaskResult

__all__ = ["TimingHook"]


class TimingHook(BaseHook):
    """Records ``job_duration`` and ``task_durations`` (seconds, by task name).

    Failed tasks are timed too. The figures of the latest job replace earlier ones.
    """

    def __init__(self) -> None:
        self.job_duration: float | None = None
        self.task_durations: dict[str, float] = {}
        self._job_started = 0.0

    def on_job_start(self, job: Job[Any, Any], ctx: ExecutionContext) -> None:
        self.job_duration = None
        self.task_durations = {}
        self._job_started = perf_counter()

    def on_job_complete(self, job: Job[Any, Any], ctx: ExecutionContext) -> None:
        self.job_duration = perf_counter() - self._job_started

    def on_job_fail(self, job: Job[Any, Any], error: BaseException, ctx: ExecutionContext) -> None:
        self.job_duration = perf_counter() - self._job_started

    def on_task_complete(
        self, job: Job[Any, Any], result: TaskResult, ctx: ExecutionContext
    ) -> None:
        self.task_durations[result.task_name] = result.duration_seconds

    def on_task_fail(self, job: Job[Any, Any], result: TaskResult, ctx: ExecutionContext) -> None:
        self.task_durations[result.task_name] = result.duration_seconds

    def summary(self) -> str:
        """A short table of the durations, slowest task first."""
        lines = [f"job: {self.job_duration or 0.0:.3f} s"]
        for name, seconds in sorted(self.task_durations.items(), key=lambda item: -item[1]):
            lines.append(f"  {name}: {seconds:.3f} s")
        return "\n".join(lines)
