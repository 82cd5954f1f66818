"""LoggingHook: one log line per job and task event."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..mapping import item_name
from .base import BaseHook

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ..job import Job
    from ..task import Task

__all__ = ["LoggingHook"]

LOGGER_NAME = "taskmaestro.hooks.logging"


class LoggingHook(BaseHook):
    """Logs every event at ``level`` to the logger ``"taskmaestro.hooks.logging"``.

    The lines are taskmaestro 0.1.0's ("Job started: workflow=etl", "Task
    completed: load", "Task failed: load, error=...", ...), "Task retried:
    load, attempt 1 failed, error=..." before a retry, and for the items of a
    mapped task "Map item started: resize[a.png]", "Map item completed: ...",
    "Map item failed: ..., error=...". ``logger`` (keyword only) sends them to
    another logger instead.
    """

    def __init__(self, level: int = logging.INFO, *, logger: logging.Logger | None = None) -> None:
        self._level = level
        self._logger = logger if logger is not None else logging.getLogger(LOGGER_NAME)

    def on_job_start(self, job: Job[Any, Any]) -> None:
        self._logger.log(self._level, "Job started: workflow=%s", job.workflow.name)

    def on_job_complete(self, job: Job[Any, Any]) -> None:
        self._logger.log(self._level, "Job completed: workflow=%s", job.workflow.name)

    def on_job_fail(self, job: Job[Any, Any]) -> None:
        self._logger.log(
            self._level,
            "Job failed: workflow=%s, failed_task=%s, error=%s",
            job.workflow.name,
            job.failed_task,
            job.error,
        )

    def on_task_start(self, job: Job[Any, Any], task: Task[Any, Any]) -> None:
        self._logger.log(self._level, "Task started: %s", task.name)

    def on_task_complete(self, job: Job[Any, Any], task: Task[Any, Any], output: BaseModel) -> None:
        self._logger.log(self._level, "Task completed: %s", task.name)

    def on_task_fail(self, job: Job[Any, Any], task: Task[Any, Any], error: Exception) -> None:
        self._logger.log(self._level, "Task failed: %s, error=%s", task.name, error)

    def on_task_retry(
        self, job: Job[Any, Any], task: Task[Any, Any], error: Exception, attempt: int
    ) -> None:
        self._logger.log(
            self._level, "Task retried: %s, attempt %d failed, error=%s", task.name, attempt, error
        )

    def on_map_item_start(self, job: Job[Any, Any], task: Task[Any, Any], key: str) -> None:
        self._logger.log(self._level, "Map item started: %s", item_name(task.name, key))

    def on_map_item_complete(
        self, job: Job[Any, Any], task: Task[Any, Any], key: str, output: BaseModel
    ) -> None:
        self._logger.log(self._level, "Map item completed: %s", item_name(task.name, key))

    def on_map_item_fail(
        self, job: Job[Any, Any], task: Task[Any, Any], key: str, error: Exception
    ) -> None:
        self._logger.log(
            self._level, "Map item failed: %s, error=%s", item_name(task.name, key), error
        )
