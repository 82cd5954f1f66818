"""What ``taskmaestro run`` prints about a finished job: a text report or a JSON record.

Both are produced for any job, whatever its outputs hold: values JSON cannot
hold are given as their ``repr``, bytes that are not UTF-8 text in base64,
NaN and infinities as the strings ``"nan"``, ``"inf"``, ``"-inf"``, and text
that cannot be encoded (lone surrogates) with backslash escapes, so that
``--json`` always prints valid JSON.

The reads of the job's results and of the run order are in ``_results`` and
``_order`` only (the core's shapes of these are changing to 0.1.0's).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from ..context import ExecutionContext
from ..exceptions import describe_error
from ..job import Job, TaskResult

__all__ = ["NOT_RUN", "job_record", "result_data", "text_report"]

NOT_RUN = "not_run"
"""The status of a task the job never started (it stopped at a failure first)."""


def job_record(
    job: Job[Any, Any], ctx: ExecutionContext, *, show_errors: bool = True
) -> dict[str, object]:
    """The whole job as JSON-ready data; every task of the workflow is listed, in run order.

    Without ``show_errors`` the error texts (which may quote input values) are
    replaced by the exceptions' type names.
    """

    def error_text(text: str | None, exception: BaseException | None) -> str | None:
        if text is None or show_errors:
            return _optional_text(text)
        return type(exception).__name__ if exception is not None else "error"

    tasks: dict[str, object] = {}
    results = {result.task_name: result for result in job.task_results}
    for name, _ in job.workflow.topological_order():
        result = results.get(name)
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
                "error": error_text(result.error, result.exception),
                "attempts": result.attempts,
                "cache_hit": result.cache_hit,
            }
    record: dict[str, object] = {
        "job_id": job.id,
        "workflow": job.workflow.name,
        "correlation_id": ctx.correlation_id,
        "status": job.status.value,
        "started_at": _time(job.started_at),
        "completed_at": _time(job.completed_at),
        "duration_seconds": job.duration_seconds,
        "failed_task": job.failed_task,
        "error": error_text(job.error, job.exception),
        "result": _data(job.result),
        "tasks": tasks,
    }
    return record


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
    results = {result.task_name: result for result in job.task_results}
    width = max((len(name) for name in order), default=0)
    for name in order:
        result = results.get(name)
        if result is None:
            lines.append(f"  {name:<{width}}  not run")
        else:
            lines.append(
                f"  {name:<{width}}  {result.status.value:<9}  {_seconds(result.duration_seconds)}"
                f"{_how(result)}"
            )
    lines.append("result:")
    lines.append(to_json(_data(job.result)))
    return "\n".join(lines)


def _how(result: TaskResult) -> str:
    """What the task line adds about retries and the cache, if anything."""
    if result.cache_hit:
        return "  (from the cache)"
    if result.attempts > 1:
        return f"  ({result.attempts} attempts)"
    return ""


def to_json(data: object) -> str:
    """Strict JSON (no NaN), non-ASCII text kept as is."""
    return json.dumps(_clean(data), indent=2, ensure_ascii=False, allow_nan=False)


def result_data(model: BaseModel | None) -> object:
    """A model as strict-JSON-ready data (see the module's rules); ``None`` as null."""
    return _data(model)


def _data(model: BaseModel | None) -> object:
    """A model as JSON-ready data; values JSON cannot hold are given as their repr."""
    if model is None:
        return None
    try:
        return _clean(to_jsonable_python(model, fallback=repr))
    except Exception:  # e.g. bytes that are not UTF-8: dump first, then base64 them
        pass
    try:
        plain = model.model_dump(mode="python")
        return _clean(to_jsonable_python(plain, fallback=repr, bytes_mode="base64"))
    except Exception as error:
        return {
            "unserializable": _text(f"{type(error).__name__}: {error}"),
            "repr": _text(repr(model)),
        }


def _clean(data: object) -> object:
    """JSON-ready data with non-finite floats as strings and unencodable text escaped."""
    if isinstance(data, float) and not math.isfinite(data):
        return repr(data)
    if isinstance(data, str):
        return _text(data)
    if isinstance(data, Mapping):
        return {_text(str(key)): _clean(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [_clean(item) for item in data]
    return data


def _text(text: str) -> str:
    """Text that UTF-8 can encode: lone surrogates become backslash escapes."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _optional_text(text: str | None) -> str | None:
    return _text(text) if text is not None else None


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _seconds(seconds: float | None) -> str:
    return f"{seconds:.3f} s" if seconds is not None else "-"
