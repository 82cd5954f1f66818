"""The commands: ``run``, ``check``, ``graph`` and ``schema``; each returns the exit status.

Modules that import pydantic or PyYAML are imported by the commands that use
them, so that ``--help``, ``--version`` and wrong arguments answer at once.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..exceptions import ConfigLoadError, WorkflowDefinitionError

if TYPE_CHECKING:
    from ..hooks.progress import ProgressHook

__all__ = ["CONFIG_ERROR", "FAILED", "OK", "check", "graph", "run", "schema"]

OK = 0
FAILED = 1
"""``run``: the job failed; ``check``: some file has a problem."""
CONFIG_ERROR = 2
"""A file could not be loaded (``run``, ``graph``), or the command line is wrong."""


class Console(Protocol):
    """What the commands need from the command line around them (see ``app``)."""

    debug: bool
    quiet: bool

    def progress(self) -> ProgressHook | None:
        """The progress display for a run; ``None`` when ``--quiet``."""
        ...

    def error(self, message: str, exception: BaseException | None = None) -> None:
        """Report a problem on stderr: one line, after the traceback with ``--debug``."""
        ...

    def note(self, message: str) -> None:
        """Say something on stderr that ``--quiet`` silences."""
        ...


def run(args: argparse.Namespace, console: Console) -> int:
    """Load the files, run the job, report it: 0 completed, 1 not completed, 2 a file's problem.

    Nothing that escapes the run (a task's ``SystemExit``, say) passes for success,
    and a reader that goes away (``| head``) does not change the status.
    """
    from .._yaml.build import load
    from ..job import JobStatus
    from .report import job_record, text_report, to_json

    progress = console.progress()
    try:
        loaded = load(
            Path(args.workflow),
            _optional_path(args.input),
            extra_hooks=(progress,) if progress is not None else (),
        )
    except ConfigLoadError as error:
        console.error(str(error), error)
        return CONFIG_ERROR
    escaped: BaseException | None = None
    try:
        job = loaded.runner.run(
            loaded.job, ctx=loaded.context, timeout_seconds=loaded.timeout_seconds
        )
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # SystemExit and the like: the job did not complete
        escaped = error
        job = loaded.job
    finally:
        loaded.context.close()
    try:
        report = (
            to_json(job_record(job, loaded.context))
            if args.json
            else text_report(job, loaded.context)
        )
    except Exception as error:  # never a crash after the job ran: say why, keep its status
        console.error(f"taskmaestro: cannot print the report: {type(error).__name__}: {error}")
        report = None
    if report is not None:
        _emit(report)
    if escaped is not None:
        console.error(
            f"taskmaestro: the run was stopped by {type(escaped).__name__}"
            f"{f': {escaped}' if str(escaped) else ''}; the job did not complete "
            f"(status {job.status.value})",
            escaped,
        )
        return FAILED
    if job.status is JobStatus.COMPLETED:
        return OK
    if console.debug and job.exception is not None:
        console.error(f"job failed: {job.error}", job.exception)
    return FAILED


def _emit(text: str) -> None:
    """Print the report on stdout; a closed stdout or a reader gone away is not an error."""
    stream = sys.stdout
    if stream is None:  # started with stdout closed
        return
    try:
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
        stream.write(text + "\n")
        stream.flush()
    except BrokenPipeError:
        silence_stdout()
    except (OSError, ValueError):  # closed, or not writable: nobody reads the report
        pass


def silence_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so that the flush at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no stdout file to redirect
        pass


def check(args: argparse.Namespace, console: Console) -> int:
    """Load each workflow file (with its input file, if one follows it) and run nothing."""
    from .._yaml.build import load, load_definition
    from .._yaml.problems import problems_of

    problems = 0
    for workflow, input_file, unreadable in _pairs([Path(name) for name in args.files]):
        if unreadable is not None:
            problems += 1
            _problem(console, _coded(unreadable), unreadable)
            continue
        try:
            if input_file is None:
                load_definition(workflow)
            else:
                load(workflow, input_file).context.close()
        except ConfigLoadError as error:
            for problem in problems_of(error):  # every problem of the file, each with its code
                problems += 1
                message = str(problem.error)
                cause = problem.error.__cause__
                if input_file is None and isinstance(cause, WorkflowDefinitionError):
                    message += " (checked without an input file)"
                _problem(console, f"{message} [{problem.code}]", problem.error)
        except KeyboardInterrupt:
            raise
        except BaseException as error:  # not a problem of the file: a fault of ours, still said
            problems += 1
            _problem(console, f"{workflow}: unexpected {type(error).__name__}: {error}", error)
    count = len(args.files)
    files = f"{count} file{'' if count == 1 else 's'}"
    if problems:
        console.note(f"{problems} problem{'' if problems == 1 else 's'}; checked {files}")
        return FAILED
    console.note(f"no problems; checked {files}")
    return OK


def graph(args: argparse.Namespace, console: Console) -> int:
    """Print the workflow's Mermaid flowchart: 0, or 2 when a file cannot be loaded."""
    from .._yaml.build import load, load_definition

    try:
        if args.input is None:
            text = load_definition(Path(args.workflow)).workflow.to_mermaid()
        else:
            loaded = load(Path(args.workflow), Path(args.input))
            loaded.context.close()
            text = loaded.workflow.to_mermaid(job_configuration=loaded.job.job_configuration)
    except ConfigLoadError as error:
        console.error(str(error), error)
        return CONFIG_ERROR
    print(text)
    return OK


def schema(args: argparse.Namespace, console: Console) -> int:
    """Print the JSON Schema of the workflow file format."""
    from ..schema import schema_json

    sys.stdout.write(schema_json())
    return OK


# -- check's arguments ------------------------------------------------------------------


def _pairs(
    paths: Sequence[Path],
) -> Iterator[tuple[Path, Path | None, ConfigLoadError | None]]:
    """``(workflow, input or None, None)``, or ``(file, None, why it cannot be read)``.

    Every file is a workflow file, except one that follows a workflow file and
    is not one itself (its top level has no ``workflow`` key): that is the
    input file of the workflow before it.
    """
    index = 0
    while index < len(paths):
        workflow = paths[index]
        index += 1
        following = paths[index] if index < len(paths) else None
        if following is None:
            yield workflow, None, None
            continue
        try:
            is_workflow = _is_workflow_file(following)
        except ConfigLoadError as unreadable:
            yield workflow, None, None
            yield following, None, unreadable
            index += 1
            continue
        if is_workflow:
            yield workflow, None, None
        else:
            yield workflow, following, None
            index += 1


def _is_workflow_file(path: Path) -> bool:
    from yaml.nodes import MappingNode, ScalarNode

    from .._yaml.source import read_source

    root = read_source(path, label="file").root
    return isinstance(root, MappingNode) and any(
        isinstance(key, ScalarNode) and key.value == "workflow" for key, _ in root.value
    )


def _problem(console: Console, message: str, error: BaseException) -> None:
    """One ``file:line:column: message`` line on stdout (the traceback on stderr with --debug)."""
    if console.debug:
        console.error(f"traceback of: {message}", error)
    print(message, flush=True)


def _coded(error: ConfigLoadError) -> str:
    """``message [code]``: an error's text and the code of its kind of problem."""
    from .._yaml.problems import problems_of

    return f"{error} [{problems_of(error)[0].code}]"


def _optional_path(name: str | None) -> Path | None:
    return Path(name) if name is not None else None
