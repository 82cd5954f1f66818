"""``runs show RUN_DIR``: a run record, for people or (``--json``) for programs."""

from __future__ import annotations

import argparse
from typing import Any

from ..exceptions import RunRecordError
from . import envelope
from .commands import CONFIG_ERROR, OK, Console
from .run_dirs import RUN_RECORD

__all__ = ["show", "text_of"]


def show(args: argparse.Namespace, console: Console) -> int:
    """``runs show RUN_DIR``: the record, for people or (``--json``) for programs."""
    from ..hooks.run_files import read_run_record

    try:
        record = read_run_record(args.run_dir)
    except RunRecordError as error:
        console.error(f"taskmaestro: {error}", error)
        if console.json:
            info = envelope.simple_error(RUN_RECORD, error)
            console.document(envelope.document("runs show", "error", error=info))
        return CONFIG_ERROR
    name = record["workflow"].get("name")
    if console.json:
        shown = record if console.show_values else _without_messages(record)
        result = {"run_dir": str(args.run_dir), "record": shown}
        console.document(envelope.document("runs show", "ok", workflow=name, result=result))
    else:
        print(text_of(record, str(args.run_dir)), flush=True)
    return OK


def _without_messages(record: dict[str, Any]) -> dict[str, Any]:
    """The record with error messages (which may quote input values) as their types."""
    shown = dict(record)
    shown["error"] = _withheld(record.get("error"))
    shown["tasks"] = {
        name: {**entry, "error": _withheld(entry.get("error"))}
        for name, entry in record["tasks"].items()
    }
    return shown


def _withheld(error: object) -> object:
    if not isinstance(error, dict):
        return error
    return {**error, "message": error.get("type")}


def text_of(record: dict[str, Any], run_dir: str) -> str:
    """The record for a person: the run, then one line per task in run order."""
    workflow = record["workflow"]
    versions = record.get("versions") or {}
    lines = [
        f"run: {run_dir}",
        f"workflow: {workflow.get('name')} ({workflow.get('digest')})",
        f"inputs: {record['inputs'].get('digest')}",
        f"job: {record.get('job_id')}",
        f"status: {record['status']} in {_seconds(record.get('duration_seconds'))}"
        f" (started {record.get('started_at')})",
    ]
    if record.get("failed_task") is not None:
        lines.append(f"failed task: {record['failed_task']}")
    if isinstance(record.get("error"), dict):
        lines.append(f"error: {_error_text(record['error'])}")
    lines.append(
        "versions: "
        + ", ".join(
            f"{tool} {versions.get(tool)}" for tool in ("python", "pydantic", "taskmaestro")
        )
    )
    history = record.get("history") or []
    for earlier in history:
        lines.append(
            f"earlier run: {earlier.get('job_id')} {earlier.get('status')}"
            + (f" at task {earlier['failed_task']}" if earlier.get("failed_task") else "")
        )
    lines.append("tasks:")
    tasks: dict[str, Any] = record["tasks"]
    width = max((len(name) for name in tasks), default=0)
    for name, entry in tasks.items():
        lines.append(f"  {name:<{width}}  {_task_line(entry)}")
    return "\n".join(lines)


def _task_line(entry: dict[str, Any]) -> str:
    status = str(entry.get("status"))
    if status in ("pending", "not_run"):
        return status
    parts = [f"{status:<9}", _seconds(entry.get("duration_seconds"))]
    attempts = entry.get("attempts")
    if isinstance(attempts, int) and attempts > 1:
        parts.append(f"{attempts} attempts")
    if entry.get("cache_hit") is True:
        parts.append("cache hit")
    output = entry.get("output")
    if isinstance(output, dict) and output.get("saved") is False and status == "completed":
        parts.append(f"output not saved: {output.get('reason')}")
    if isinstance(entry.get("error"), dict):
        parts.append(f"error: {_error_text(entry['error'])}")
    return "  ".join(parts)


def _error_text(error: dict[str, Any]) -> str:
    kind, message = error.get("type"), error.get("message")
    return f"{kind}: {message}" if message and message != kind else str(kind)


def _seconds(seconds: object) -> str:
    return f"{seconds:.3f} s" if isinstance(seconds, int | float) else "-"
