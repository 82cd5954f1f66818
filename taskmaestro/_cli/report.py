"""What ``taskmaestro run`` prints about a finished job: a text report or a JSON record."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from ..context import ExecutionContext
from ..exceptions import describe_error
from ..job import Job

__all__ = ["NOT_RUN", "job_record", "text_report"]

NOT_RUN = "not_run"
"""The status of a task the job never started (it stopped at a failure first)."""


def job_record(job: Job[Any, Any], ctx: ExecutionContext) -> dict[str, object]:
    """The whole job as JSON-ready data; every task of the workflow is listed, in run order."""
    tasks: dict[str, object] = {}
    for name, _ in job.workflow.topological_order():
        result = job.task_result(name)
        if result is None:
            tasks[name] = {
                "status": NOT_RUN,
                "started_at": None,
                "duration_seconds": None,
                "output": None,
                "error": None,
            }
        else:
            tasks[name] = {
                "status": result.status.value,
                "started_at": _time(result.started_at),
                "duration_seconds": result.duration_seconds,
                "output": _data(result.output),
                "error": result.error,
            }
    return {
        "job_id": job.id,
        "workflow": job.workflow.name,
        "correlation_id": ctx.correlation_id,
        "status": job.status.value,
        "started_at": _time(job.started_at),
        "completed_at": _time(job.completed_at),
        "duration_seconds": job.duration_seconds,
        "failed_task": job.failed_task,
        "error": job.error,
        "result": _data(job.result),
        "tasks": tasks,
    }


def text_report(job: Job[Any, Any], ctx: ExecutionContext) -> str:
    """The job for a person: status, each task's status and duration, the result as JSON."""
    lines = [
        f"workflow: {job.workflow.name}",
        f"job: {job.id} (correlation id {ctx.correlation_id})",
        f"status: {job.status.value} in {_seconds(job.duration_seconds)}",
    ]
    if job.failed_task is not None:
        lines.append(f"failed task: {job.failed_task}")
    if job.exception is not None:
        lines.append(f"error: {describe_error(job.exception)}")
    elif job.error is not None:
        lines.append(f"error: {job.error}")
    lines.append("tasks:")
    order = [name for name, _ in job.workflow.topological_order()]
    width = max(len(name) for name in order)
    for name in order:
        result = job.task_result(name)
        if result is None:
            lines.append(f"  {name:<{width}}  not run")
        else:
            lines.append(
                f"  {name:<{width}}  {result.status.value:<9}  {_seconds(result.duration_seconds)}"
            )
    lines.append("result:")
    lines.append(to_json(_data(job.result)))
    return "\n".join(lines)


def to_json(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def _data(model: BaseModel | None) -> object:
    """A model as JSON-ready data; values JSON cannot hold are given as their repr."""
    if model is None:
        return None
    return to_jsonable_python(model, fallback=repr)


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _seconds(seconds: float | None) -> str:
    return f"{seconds:.3f} s" if seconds is not None else "-"
