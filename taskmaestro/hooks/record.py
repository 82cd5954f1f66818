"""RunRecordHook: the run record (``run.json``) and each completed task's output, as they happen.

The record is rewritten (atomically: complete or absent) when the job starts,
after each task event, and when the job ends, so a crash leaves the last
complete state. Rewrites are at most ``interval_seconds`` apart: an event
that comes sooner is written by a timer when the interval has passed, so that
a workflow of many short tasks does not rewrite a growing file at every one
(its cost stays linear). Each completed task's output is saved when the task
completes (``outputs/<task>.json``, atomically), so that a resume can reuse it
(``Runner.resume(job, run_dir)``). See ``run_files`` for the layout.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from time import monotonic
from typing import TYPE_CHECKING, Any

from .._contract import INSTANCE_NAME
from .._files import write_atomically
from ..exceptions import RunRecordError
from ..job import JobStatus, TaskResult, TaskStatus
from ..models import ObjectModel
from . import run_files as files
from .base import BaseHook

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pydantic import BaseModel

    from ..job import Job
    from ..task import Task

__all__ = ["INTERVAL_SECONDS", "RunRecordHook"]

INTERVAL_SECONDS = 0.2
"""The default least time between two rewrites of ``run.json``."""

_DONE = ("completed", "reused")
"""Statuses of a task whose output a later resume may reuse."""


class RunRecordHook(BaseHook):
    """Records one run in ``run_dir``: ``run.json`` and ``outputs/<task>.json``.

    One hook records one run: a directory that already holds a record is never
    overwritten (the hook warns and writes nothing; resume that run with
    ``Runner.resume(job, run_dir)``, which continues its record).
    Like any hook it never breaks the job: a file that cannot be written is
    reported as a ``HookWarning``.

    An output is saved only if it reads back from its JSON as an equal model:
    ``ObjectModel`` outputs (and others JSON cannot carry) are not saved, and
    the record says why; a resume runs such a task again.
    """

    def __init__(
        self, run_dir: str | os.PathLike[str], *, interval_seconds: float = INTERVAL_SECONDS
    ) -> None:
        """``interval_seconds``: the least time between two rewrites of ``run.json`` (0:
        at every event); an event is in the file at most that long after it happened."""
        if not interval_seconds >= 0:
            raise ValueError(f"interval_seconds must be 0 or more, got {interval_seconds!r}")
        self.run_dir: Path = Path(run_dir)
        self.interval_seconds = interval_seconds
        self._previous: Mapping[str, Any] | None = None
        self._runs: dict[str, _Recording] = {}
        self._lock = threading.Lock()

    @classmethod
    def continuing(
        cls, run_dir: Path, previous: Mapping[str, Any], interval_seconds: float = INTERVAL_SECONDS
    ) -> RunRecordHook:
        """A hook that continues the record ``previous`` read from ``run_dir`` (a resume)."""
        hook = cls(run_dir, interval_seconds=interval_seconds)
        hook._previous = previous
        return hook

    def writes_to(self, run_dir: Path) -> bool:
        """Whether this hook records into ``run_dir``."""
        return self.run_dir.resolve() == run_dir.resolve()

    def on_job_start(self, job: Job[Any, Any]) -> None:
        with self._lock:
            previous, self._previous = self._previous, None
            if self._runs:
                raise RunRecordError(
                    f"{self.run_dir}: this RunRecordHook is recording another job; "
                    "one hook records one run",
                    str(self.run_dir),
                )
            if previous is None and (self.run_dir / files.RECORD_FILE).exists():
                raise RunRecordError(
                    f"{self.run_dir}: already holds the record of a run; not overwritten "
                    "(resume it, or record into another directory)",
                    str(self.run_dir),
                )
            recording = _Recording(self.run_dir, job, previous, self.interval_seconds)
            self._runs[job.id] = recording
        try:
            recording.start()
        except BaseException:  # nothing recorded: the hook stays out of this job (one warning)
            with self._lock:
                del self._runs[job.id]
            raise

    def on_task_start(self, job: Job[Any, Any], task: Task[Any, Any]) -> None:
        recording = self._runs.get(job.id)
        if recording is not None:
            recording.started(task.name)

    def on_task_complete(self, job: Job[Any, Any], task: Task[Any, Any], output: BaseModel) -> None:
        recording = self._runs.get(job.id)
        if recording is not None:
            recording.ended(_result_of(job, task.name), output)

    def on_task_fail(self, job: Job[Any, Any], task: Task[Any, Any], error: Exception) -> None:
        recording = self._runs.get(job.id)
        if recording is not None:
            recording.ended(_result_of(job, task.name), None)

    def on_job_complete(self, job: Job[Any, Any]) -> None:
        self._finish(job)

    def on_job_fail(self, job: Job[Any, Any]) -> None:
        self._finish(job)

    def _finish(self, job: Job[Any, Any]) -> None:
        with self._lock:
            recording = self._runs.pop(job.id, None)
        if recording is not None:
            recording.finish()


def _result_of(job: Job[Any, Any], name: str) -> TaskResult:
    """The TaskResult just recorded for ``name`` (the last one, as hooks are promised)."""
    results = job.task_results
    if results and results[-1].task_name == name:
        return results[-1]
    found = job.task_result(name)
    if found is None:  # pragma: no cover - the runner appends it before the event
        raise RunRecordError(f"no TaskResult for task '{name}'")
    return found


def _attempts(result: TaskResult) -> int:
    """How many times the task ran (retries count; 1 where the runner does not say)."""
    attempts = getattr(result, "attempts", 1)
    return attempts if isinstance(attempts, int) else 1


def _cache_note(result: TaskResult) -> str | None:
    """Why the result cache did not serve or keep the output (``None`` where none is given)."""
    note = getattr(result, "cache_note", None)
    return note if isinstance(note, str) else None


def _cache_hit(result: TaskResult) -> bool:
    """Whether the output came from the result cache (``False`` where the runner does not say)."""
    return getattr(result, "cache_hit", False) is True


class _Recording:
    """One job being recorded: the record's head and one JSON text per task, kept apart so
    that a rewrite re-encodes only what changed; and the timing of the rewrites."""

    def __init__(
        self,
        run_dir: Path,
        job: Job[Any, Any],
        previous: Mapping[str, Any] | None,
        interval: float,
    ) -> None:
        self.run_dir = run_dir
        self.job = job
        self.interval = interval
        self.lock = threading.Lock()
        self.written_at = -interval
        self.timer: threading.Timer | None = None
        graph = job.workflow.graph
        description = files.describe_graph(graph)
        history: list[object] = []
        kept: dict[str, dict[str, object]] = {}
        if previous is not None:
            history = [*previous.get("history", ()), _summary(previous)]
            kept = {
                name: dict(entry)
                for name, entry in previous["tasks"].items()
                if isinstance(entry, dict) and entry.get("status") in _DONE
            }
        self.previous = kept
        """The entries of tasks an earlier run completed: they stay until run again."""
        self.head: dict[str, object] = {
            "format": files.FORMAT,
            "job_id": job.id,
            "status": "running",
            "started_at": files.timestamp(),
            "completed_at": None,
            "duration_seconds": None,
            "failed_task": None,
            "error": None,
        }
        """What changes as the job runs; ``fixed`` is what does not, encoded once."""
        fixed = {
            "workflow": {
                "name": graph.name,
                "digest": files.digest(description),
                "graph": description,
            },
            "inputs": files.describe_inputs(job),
            "versions": files.versions(),
            "process": files.process(),
            "history": history,
        }
        self.fixed = _encode(fixed, indent=2)[1:-2]  # its members, without the braces
        self.texts: dict[str, str] = {}
        self.pending: set[str] = set()
        for name in graph.order:
            entry = kept.get(name)
            self._set(name, entry if entry is not None else _pending())

    def _set(self, name: str, entry: Mapping[str, object]) -> None:
        self.texts[name] = f"    {_encode(name)}: {_encode(entry)}"
        if entry["status"] == "pending":
            self.pending.add(name)
        else:
            self.pending.discard(name)

    def start(self) -> None:
        with self.lock:
            self._write()

    def started(self, name: str) -> None:
        if name in self.previous:  # an earlier run's output: kept until this run decides
            return
        entry = _pending()
        entry["status"] = "running"
        entry["started_at"] = files.timestamp()
        entry["job_id"] = self.job.id
        with self.lock:
            self._set(name, entry)
            self._changed()

    def ended(self, result: TaskResult, output: BaseModel | None) -> None:
        name = result.task_name
        earlier = self.previous.pop(name, None)
        if result.status is TaskStatus.REUSED and earlier is not None:
            entry = {**earlier, "status": "reused"}
        else:
            entry = {
                "status": result.status.value,
                "attempts": _attempts(result),
                "started_at": files.timestamp(result.started_at),
                "duration_seconds": result.duration_seconds,
                "cache_hit": _cache_hit(result),
                "cache_note": _cache_note(result),
                "error": _error(result),
                "output": self._save(name, output),
                "job_id": self.job.id,
            }
        with self.lock:
            self._set(name, entry)
            self._changed()

    def _save(self, name: str, output: BaseModel | None) -> dict[str, object]:
        """Save a completed task's output (or remove an earlier run's); say where, or why not."""
        if not INSTANCE_NAME.fullmatch(name):  # never a path outside the directory
            return {"saved": False, "file": None, "reason": "its name is not a safe file name"}
        path = files.output_path(self.run_dir, name)
        text, reason = (None, "the task did not complete") if output is None else _as_json(output)
        if text is None:
            path.unlink(missing_ok=True)  # an earlier run's output is not this one's
            return {"saved": False, "file": None, "reason": reason}
        write_atomically(path, text, sync=False)  # a damaged file is not reused: see _resume
        return {"saved": True, "file": f"{files.OUTPUTS_DIR}/{path.name}", "reason": None}

    def finish(self) -> None:
        with self.lock:
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None
            self._finish()

    def _finish(self) -> None:
        job = self.job
        head = self.head
        head["status"] = job.status.value if job.status is not JobStatus.PENDING else "failed"
        head["completed_at"] = files.timestamp(job.completed_at)
        head["duration_seconds"] = job.duration_seconds
        head["failed_task"] = job.failed_task
        if job.exception is not None:
            head["error"] = {"type": type(job.exception).__name__, "message": job.error}
        for name in list(self.pending):
            entry = _pending()
            entry["status"] = "not_run"
            self._set(name, entry)
        self._write(sync=True)

    def _changed(self) -> None:
        """Rewrite the record now, or have a timer do it when the interval has passed."""
        if self.timer is not None:  # a rewrite is due: it will hold this change too
            return
        wait = self.written_at + self.interval - monotonic()
        if wait <= 0:
            self._write()
            return
        self.timer = threading.Timer(wait, self._due)
        self.timer.daemon = True
        self.timer.start()

    def _due(self) -> None:
        with self.lock:
            if self.timer is None:  # cancelled: the job has ended
                return
            self.timer = None
            try:
                self._write()
            except Exception as error:  # no hook event to report it from: log it
                logging.getLogger("taskmaestro").error(
                    "RunRecordHook could not write %s: %s: %s",
                    self.run_dir / files.RECORD_FILE,
                    type(error).__name__,
                    error,
                )

    def _write(self, *, sync: bool = False) -> None:
        """Rewrite ``run.json`` atomically; ``sync`` also flushes it to the disk."""
        self.written_at = monotonic()
        head = _encode(self.head, indent=2)[:-2]  # without its closing "\n}"
        tasks = ",\n".join(self.texts.values())
        text = f'{head},{self.fixed},\n  "tasks": {{\n{tasks}\n  }}\n}}\n'
        write_atomically(self.run_dir / files.RECORD_FILE, text, sync=sync)


def _pending() -> dict[str, object]:
    return {
        "status": "pending",
        "attempts": 0,
        "started_at": None,
        "duration_seconds": None,
        "cache_hit": False,
        "cache_note": None,
        "error": None,
        "output": None,
        "job_id": None,
    }


def _error(result: TaskResult) -> dict[str, object] | None:
    if result.status is not TaskStatus.FAILED:
        return None
    kind = type(result.exception).__name__ if result.exception is not None else "Exception"
    return {"type": kind, "message": result.error}


def _as_json(output: BaseModel) -> tuple[str | None, str | None]:
    """``(JSON text, None)``, or ``(None, why not)``: a saved output must read back as equal."""
    if isinstance(output, ObjectModel):
        return None, "an ObjectModel output holds a Python object, which JSON cannot carry"
    try:
        text = output.model_dump_json()
        again = type(output).model_validate_json(text)
    except Exception as error:
        return None, f"its output cannot be written as JSON and read back: {type(error).__name__}"
    if again != output:
        return None, "its output does not read back from JSON as an equal value"
    return text, None


def _summary(record: Mapping[str, Any]) -> dict[str, object]:
    """An earlier run of the directory, as the history of a resumed record keeps it."""
    return {
        key: record.get(key)
        for key in ("job_id", "status", "started_at", "completed_at", "failed_task", "versions")
    }


def _encode(data: object, indent: int | None = None) -> str:
    return json.dumps(data, indent=indent, ensure_ascii=True, allow_nan=False)
