"""ProgressHook: a job's progress on a terminal (one live line) or in a log (a line per event)."""

from __future__ import annotations

import os
import sys
import threading
from time import perf_counter
from typing import TYPE_CHECKING, Any, TextIO

from ..exceptions import describe_error as _describe
from ..mapping import item_name
from .base import BaseHook

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ..job import Job
    from ..task import Task

__all__ = ["ProgressHook"]

_CLEAR_LINE = "\r\x1b[K"
_BAR_WIDTH = 20


class ProgressHook(BaseHook):
    """Shows how far a job has got, on ``stream`` (default: ``sys.stderr``).

    On a terminal it draws one status line and redraws it in place every
    ``refresh_seconds``: the tasks done of the total, the running task(s) with
    their own time, and the time elapsed. When the job ends the line is
    replaced by a summary. Anywhere else (a file, a pipe, a CI log) it writes
    one plain line per event instead. ``live=True`` or ``live=False`` forces
    either mode; the default, ``None``, chooses by ``stream.isatty()`` (and
    plain lines when ``TERM`` is ``dumb``).

    Several tasks may be running at once (a parallel executor): all are
    shown. A mapped task shows how many of its items have ended (live), or a
    line per ended item (plain). The runner's events may come from any thread, one at a time; the
    live line is redrawn by a daemon thread of the hook's own, which stops
    when the job ends. One hook shows one job at a time.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        live: bool | None = None,
        refresh_seconds: float = 0.1,
    ) -> None:
        if not refresh_seconds > 0:
            raise ValueError(f"refresh_seconds must be positive, got {refresh_seconds!r}")
        self.stream = stream
        self.live = live
        self.refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._out: TextIO = sys.stderr
        self._live = False
        self._drawn = False
        self._workflow = ""
        self._total = 0
        self._done = 0
        self._running: dict[str, float] = {}
        self._items: dict[str, int] = {}
        self._item_started: dict[tuple[str, str], float] = {}
        self._start = perf_counter()
        self._stop: threading.Event | None = None
        self._thread: threading.Thread | None = None

    # -- events --------------------------------------------------------------------------

    def on_job_start(self, job: Job[Any, Any]) -> None:
        self._begin(job)
        if self._live:
            with self._lock:
                self._draw()
            stop = threading.Event()
            thread = threading.Thread(
                target=self._redraw_until, args=(stop,), name="taskmaestro-progress", daemon=True
            )
            self._stop, self._thread = stop, thread
            thread.start()
        else:
            tasks = "task" if self._total == 1 else "tasks"
            self._plain(f"job started, {self._total} {tasks}")

    def on_task_start(self, job: Job[Any, Any], task: Task[Any, Any]) -> None:
        name = task.name
        with self._lock:
            self._running[name] = perf_counter()
        if not self._live:
            self._plain(f"{self._count()} {name} started")

    def on_task_complete(self, job: Job[Any, Any], task: Task[Any, Any], output: BaseModel) -> None:
        name = task.name
        with self._lock:
            started = self._running.pop(name, None)
            self._done += 1
        if not self._live:
            self._plain(f"{self._count()} {name} completed in {_seconds(_since(started))}")

    def on_task_fail(self, job: Job[Any, Any], task: Task[Any, Any], error: Exception) -> None:
        name = task.name
        with self._lock:
            started = self._running.pop(name, None)
        if not self._live:
            self._plain(
                f"{self._count()} {name} failed after {_seconds(_since(started))}: "
                f"{_describe(error)}"
            )

    def on_map_item_start(self, job: Job[Any, Any], task: Task[Any, Any], key: str) -> None:
        with self._lock:
            self._item_started[task.name, key] = perf_counter()

    def on_map_item_complete(
        self, job: Job[Any, Any], task: Task[Any, Any], key: str, output: BaseModel
    ) -> None:
        started = self._item_ended(task.name, key)
        if not self._live:
            self._plain(f"{item_name(task.name, key)} completed in {_seconds(_since(started))}")

    def on_map_item_fail(
        self, job: Job[Any, Any], task: Task[Any, Any], key: str, error: Exception
    ) -> None:
        started = self._item_ended(task.name, key)
        if not self._live:
            self._plain(
                f"{item_name(task.name, key)} failed after {_seconds(_since(started))}: "
                f"{_describe(error)}"
            )

    def _item_ended(self, name: str, key: str) -> float | None:
        with self._lock:
            self._items[name] = self._items.get(name, 0) + 1
            return self._item_started.pop((name, key), None)

    def on_job_complete(self, job: Job[Any, Any]) -> None:
        self._end(f"job completed, {self._done}/{self._total} tasks in {self._elapsed(job)}")

    def on_job_fail(self, job: Job[Any, Any]) -> None:
        where = f" at task '{job.failed_task}'" if job.failed_task else ""
        error = _describe(job.exception) if job.exception is not None else job.error or ""
        self._end(
            f"job failed{where} after {self._elapsed(job)} ({self._done}/{self._total} tasks "
            f"done): {error}"
        )

    # -- writing -------------------------------------------------------------------------

    def write_line(self, text: str) -> None:
        """Write ``text`` as a line of its own, above the live line if one is shown.

        For messages that must not garble the display (the command line sends
        its log records here).
        """
        with self._lock:
            if self._drawn:
                self._write(_CLEAR_LINE + text + "\n")
                self._draw()
            else:
                self._write(text + "\n")

    def _begin(self, job: Job[Any, Any]) -> None:
        self._halt()
        with self._lock:
            self._out = self.stream if self.stream is not None else sys.stderr
            self._live = self.live if self.live is not None else _is_terminal(self._out)
            self._workflow = job.workflow.name
            self._total = len(job.workflow.task_names)
            self._done = 0
            self._running = {}
            self._items = {}
            self._item_started = {}
            self._start = perf_counter()

    def _end(self, summary: str) -> None:
        self._halt()
        with self._lock:
            self._running = {}
            line = f"{self._workflow}: {summary}"
            if self._drawn:
                self._drawn = False
                self._write(_CLEAR_LINE + line + "\n")
            else:
                self._write(line + "\n")

    def _halt(self) -> None:
        """Stop the redrawing thread, if any, and wait for it."""
        stop, thread = self._stop, self._thread
        self._stop = self._thread = None
        if stop is not None:
            stop.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _redraw_until(self, stop: threading.Event) -> None:
        while not stop.wait(self.refresh_seconds):
            with self._lock:
                if stop.is_set():
                    return
                try:
                    self._draw()
                except Exception:  # the stream went away: stop drawing, never raise here
                    return

    def _draw(self) -> None:
        """Redraw the status line in place (the caller holds the lock)."""
        now = perf_counter()
        done, total = self._done, self._total
        filled = _BAR_WIDTH * done // total if total else _BAR_WIDTH
        parts = [
            f"{self._workflow} [{'#' * filled}{'-' * (_BAR_WIDTH - filled)}] {done}/{total}",
            _clock(now - self._start),
        ]
        if self._running:
            running = ", ".join(
                f"{name} ({self._ended_items(name)}{_clock(now - started)})"
                for name, started in self._running.items()
            )
            parts.append(f"running: {running}")
        line = "  ".join(parts)
        width = _columns(self._out) - 1  # never the last column: a wrapped line cannot be redrawn
        if len(line) > width:
            line = line[: max(width - 3, 0)] + "..."
        self._write("\r" + line + "\x1b[K")
        self._drawn = True

    def _ended_items(self, name: str) -> str:
        """``"3 items, "`` once items of the mapped task ``name`` have ended."""
        count = self._items.get(name)
        if count is None:
            return ""
        return f"{count} item, " if count == 1 else f"{count} items, "

    def _plain(self, text: str) -> None:
        with self._lock:
            self._write(f"{self._workflow}: {text}\n")

    def _write(self, text: str) -> None:
        self._out.write(text)
        self._out.flush()

    def _count(self) -> str:
        return f"[{self._done}/{self._total}]"

    def _elapsed(self, job: Job[Any, Any]) -> str:
        duration = job.duration_seconds
        return _seconds(duration if duration is not None else perf_counter() - self._start)


def _is_terminal(stream: TextIO) -> bool:
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def _columns(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


def _seconds(seconds: float) -> str:
    """``0.123s``, ``12.3s``, ``2m05s``, ``1h02m05s``."""
    if seconds < 10:
        return f"{seconds:.3f}s"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s"


def _clock(seconds: float) -> str:
    """A running time on the live line: tenths only, so that it does not flicker."""
    return f"{seconds:.1f}s" if seconds < 60 else _seconds(seconds)


def _since(started: float | None) -> float:
    return perf_counter() - started if started is not None else 0.0


def _one_line(text: str) -> str:
    return " ".join(text.split())
