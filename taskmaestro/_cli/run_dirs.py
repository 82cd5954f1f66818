"""Run directories on ``run``: ``--record DIR`` and ``--resume RUN_DIR``.

``--record DIR`` adds a ``RunRecordHook(DIR)`` to the run (DIR must not hold a
record yet); ``--resume RUN_DIR`` runs the job with ``Runner.resume``, which
reuses the outputs the recorded run completed and continues its record. A
refusal (another workflow or other inputs, no record there) is reported
before any task runs, and ``run`` exits with 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..exceptions import ResumeError, RunRecordError
from . import envelope

if TYPE_CHECKING:
    from .._yaml.build import Loaded
    from ..hooks.base import Hook
    from ..job import Job
    from ..runner import Runner
    from .commands import Console

__all__ = ["RUN_RECORD", "add_run_options", "record_hooks", "refused", "start"]

RUN_RECORD = "taskmaestro-run-record"
"""The code of a run directory that cannot be used (no record, or a refused resume)."""


def add_run_options(run: argparse.ArgumentParser) -> None:
    """``run``'s ``--record DIR`` and ``--resume RUN_DIR`` (one or the other)."""
    group = run.add_mutually_exclusive_group()
    group.add_argument(
        "--record",
        metavar="DIR",
        help="record the run in DIR (created; must not hold a record yet): run.json and "
        "each completed task's output, so that 'runs show DIR' and '--resume DIR' work",
    )
    group.add_argument(
        "--resume",
        metavar="RUN_DIR",
        help="continue the run recorded in RUN_DIR: the tasks it completed are not run "
        "again; refused when the workflow or the inputs differ from that run's",
    )


def record_hooks(args: argparse.Namespace) -> list[Hook]:
    """The hooks ``--record`` adds to the run (none without it)."""
    from ..hooks.record import RunRecordHook

    folder: str | None = getattr(args, "record", None)
    return [RunRecordHook(folder)] if folder is not None else []


def start(args: argparse.Namespace, loaded: Loaded, runner: Runner) -> Job[Any, Any]:
    """Run the loaded job with ``runner``: resumed with ``--resume``; ``RunRecordError``
    before any task runs when the directory of ``--record``/``--resume`` cannot be used."""
    from ..hooks.run_files import RECORD_FILE  # the CLI imports pydantic only when needed

    job, ctx, timeout = loaded.job, loaded.context, loaded.timeout_seconds
    resume: str | None = getattr(args, "resume", None)
    if resume is not None:
        return runner.resume(job, resume, ctx=ctx, timeout_seconds=timeout)
    folder: str | None = getattr(args, "record", None)
    if folder is not None and (Path(folder) / RECORD_FILE).exists():
        raise RunRecordError(
            f"{folder}: already holds the record of a run; continue it with "
            f"'--resume {folder}', or record into another directory",
            folder,
        )
    return runner.run(job, ctx=ctx, timeout_seconds=timeout)


def refused(console: Console, error: RunRecordError, workflow: str) -> None:
    """Report a run directory that cannot be used (``run`` then exits with 2)."""
    console.error(f"taskmaestro: {error}", error)
    if console.json:
        differences = error.differences if isinstance(error, ResumeError) else ()
        issues = tuple(envelope.Issue(RUN_RECORD, text) for text in differences) or (
            envelope.Issue(RUN_RECORD, str(error), error.run_dir),
        )
        info = envelope.ErrorInfo(RUN_RECORD, type(error).__name__, str(error), issues=issues)
        console.document(envelope.document("run", "error", workflow=workflow, error=info))
