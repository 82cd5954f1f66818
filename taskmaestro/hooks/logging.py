"""LoggingHook: one log line per job and task event."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .base import BaseHook

if TYPE_CHECKING:
    from ..context import ExecutionContext
    from ..job import Job, TaskResult

__all__ = ["LoggingHook"]


class LoggingHook(BaseHook):
    """Logs every event to ``logger`` (default: the context's logger), tagged with the job.

    Failures are logged at ERROR, the rest at ``level`` (default INFO).
    """

    def __init__(self, logger: logging.Logger | None = None, level: int = logging.INFO) -> None:
        self.logger = logger
        self.level = level

    def _log(self, ctx: ExecutionContext, level: int, message: str, *args: object) -> None:
        logger = self.logger if self.logger is not None else ctx.logger
        logger.log(level, "[%s] " + message, ctx.correlation_id, *args)

    def on_job_start(self, job: Job[Any, Any], ctx: ExecutionContext) -> None:
        self._log(ctx, self.level, "job %s of workflow '%s' started", job.id, job.workflow.name)

    def on_job_complete(self, job: Job[Any, Any], ctx: ExecutionContext) -> None:
        self._log(
            ctx, self.level, "job %s completed in %.3f s", job.id, job.duration_seconds or 0.0
        )

    def on_job_fail(self, job: Job[Any, Any], error: BaseException, ctx: ExecutionContext) -> None:
        self._log(ctx, logging.ERROR, "job %s failed: %s", job.id, error)

    def on_task_start(self, job: Job[Any, Any], task_name: str, ctx: ExecutionContext) -> None:
        self._log(ctx, self.level, "task '%s' started", task_name)

    def on_task_complete(
        self, job: Job[Any, Any], result: TaskResult, ctx: ExecutionContext
    ) -> None:
        self._log(
            ctx,
            self.level,
            "task '%s' completed in %.3f s",
            result.task_name,
            result.duration_seconds,
        )

    def on_task_fail(self, job: Job[Any, Any], result: TaskResult, ctx: ExecutionContext) -> None:
        self._log(ctx, logging.ERROR, "%s", result.error)
