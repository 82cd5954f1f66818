"""TimingHook: wall-clock durations of the job and of each task."""

from __future__ import annotations

from time import monotonic
from typing import TYPE_CHECKING, Any

from .base import BaseHook

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ..job import Job
    from ..task import Task

__all__ = ["TimingHook"]


class TimingHook(BaseHook):
    """Records ``job_duration`` and ``task_timings`` (seconds, monotonic, by instance name),
    and ``mapped_item_timings`` (by mapped instance name, then item key).

    Failed tasks and items are timed too. Each job starts afresh: the figures are those of
    the latest job (taskmaestro 0.1.0 kept adding to ``task_timings``).
    """

    def __init__(self) -> None:
        self.job_duration: float | None = None
        self.task_timings: dict[str, float] = {}
        self.mapped_item_timings: dict[str, dict[str, float]] = {}
        self._job_started = 0.0
        self._task_started: dict[str, float] = {}
        self._item_started: dict[tuple[str, str], float] = {}

    def on_job_start(self, job: Job[Any, Any]) -> None:
        self.job_duration = None
        self.task_timings = {}
        self.mapped_item_timings = {}
        self._task_started = {}
        self._item_started = {}
        self._job_started = monotonic()

    def on_job_complete(self, job: Job[Any, Any]) -> None:
        self.job_duration = monotonic() - self._job_started

    def on_job_fail(self, job: Job[Any, Any]) -> None:
        self.job_duration = monotonic() - self._job_started

    def on_task_start(self, job: Job[Any, Any], task: Task[Any, Any]) -> None:
        self._task_started[task.name] = monotonic()

    def on_task_complete(self, job: Job[Any, Any], task: Task[Any, Any], output: BaseModel) -> None:
        self._stop(task.name)

    def on_task_fail(self, job: Job[Any, Any], task: Task[Any, Any], error: Exception) -> None:
        self._stop(task.name)

    def on_map_item_start(self, job: Job[Any, Any], task: Task[Any, Any], key: str) -> None:
        self._item_started[task.name, key] = monotonic()

    def on_map_item_complete(
        self, job: Job[Any, Any], task: Task[Any, Any], key: str, output: BaseModel
    ) -> None:
        self._stop_item(task.name, key)

    def on_map_item_fail(
        self, job: Job[Any, Any], task: Task[Any, Any], key: str, error: Exception
    ) -> None:
        self._stop_item(task.name, key)

    def _stop_item(self, name: str, key: str) -> None:
        started = self._item_started.pop((name, key), None)
        if started is not None:
            self.mapped_item_timings.setdefault(name, {})[key] = monotonic() - started

    def _stop(self, name: str) -> None:
        started = self._task_started.pop(name, None)
        if started is not None:
            self.task_timings[name] = monotonic() - started

    def summary(self) -> str:
        """A short table of the durations, slowest task first."""
        lines = [f"job: {self.job_duration or 0.0:.3f} s"]
        for name, seconds in sorted(self.task_timings.items(), key=lambda item: -item[1]):
            lines.append(f"  {name}: {seconds:.3f} s")
        return "\n".join(lines)
