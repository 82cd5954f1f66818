"""The commands: ``run``, ``check``, ``graph`` and ``schema``; each returns the exit status.

Modules that import pydantic or PyYAML are imported by the commands that use
them, so that ``--help``, ``--version`` and wrong arguments answer at once.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from ..exceptions import ConfigLoadError, RunRecordError, WorkflowDefinitionError
from . import run_dirs

if TYPE_CHECKING:
    from .._yaml.build import Loaded
    from ..executors import ExecutorChoice
    from ..hooks.base import Hook
    from ..hooks.progress import ProgressHook
    from ..job import Job

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

    @property
    def json(self) -> bool:
        """``--json``: the command prints one JSON document (``document``) and nothing else."""
        ...

    @property
    def show_values(self) -> bool:
        """``--show-values``: the document may hold input values and task error texts."""
        ...

    def document(self, data: dict[str, object]) -> None:
        """Print the JSON document on stdout."""
        ...


def workflow_target(args: argparse.Namespace) -> tuple[Path | None, str | None]:
    """``(file, None)`` or ``(None, registered name)`` for the WORKFLOW argument.

    A file when it ends in ``.yaml``/``.yml`` (any case), has a path separator
    or names an existing path; a registered workflow name otherwise.
    """
    value: str = args.workflow
    if value.lower().endswith((".yaml", ".yml")) or os.sep in value or Path(value).exists():
        return Path(value), None
    return None, value


def input_path(args: argparse.Namespace) -> Path | None:
    """The input file, given as INPUT or ``--input`` (both: an error)."""
    positional: str | None = getattr(args, "input", None)
    option: str | None = getattr(args, "input_option", None)
    if positional is not None and option is not None:
        raise ConfigLoadError("give the input file once: as INPUT or with --input, not both")
    chosen = positional if positional is not None else option
    return Path(chosen) if chosen is not None else None


def has_values(args: argparse.Namespace) -> bool:
    """Whether the command line gives input values: an input file or ``--set`` flags."""
    return input_path(args) is not None or bool(getattr(args, "overrides", None))


def load_target(args: argparse.Namespace, extra_hooks: Sequence[Hook] = ()) -> Loaded:
    """Load the WORKFLOW argument (a file or a registered name) with its input file,
    and the ``--set`` values over it."""
    from .._yaml.build import load, load_for_workflow
    from .._yaml.overrides import read_overrides
    from ..discovery import get_registered_workflow

    overrides = read_overrides(getattr(args, "overrides", None) or ())
    file, name = workflow_target(args)
    inputs = input_path(args)
    if file is not None:
        return load(file, inputs, extra_hooks=extra_hooks, overrides=overrides)
    assert name is not None
    loaded = load_for_workflow(get_registered_workflow(name), inputs, overrides)
    if extra_hooks:
        from ..runner import Runner

        return replace(loaded, runner=Runner(hooks=extra_hooks))
    return loaded


def error_document(
    console: Console, command: str, args: argparse.Namespace, error: ConfigLoadError
) -> None:
    """The envelope of a file or plugin problem (status ``invalid``, or ``error`` for a
    registered name that cannot be loaded)."""
    from ..discovery import PluginLoadError
    from . import envelope

    if isinstance(error, PluginLoadError):
        info = envelope.simple_error(envelope.PLUGIN, error)
        console.document(envelope.document(command, "error", error=info))
        return
    inputs = input_path(args)
    info = envelope.config_error(
        error,
        input_files=[str(inputs)] if inputs is not None else [],
        show_values=console.show_values,
    )
    console.document(
        envelope.document(command, "invalid", workflow=error.workflow_name, error=info)
    )


def run(args: argparse.Namespace, console: Console) -> int:
    """Load the files, run the job, report it: 0 completed, 1 not completed, 2 a file's problem.

    Nothing that escapes the run (a task's ``SystemExit``, say) passes for success,
    and a reader that goes away (``| head``) does not change the status.
    """
    from ..job import JobStatus
    from ..runner import Runner
    from .report import text_report

    progress = console.progress()
    hooks = [*((progress,) if progress is not None else ()), *run_dirs.record_hooks(args)]
    try:
        loaded = load_target(args, extra_hooks=hooks)
    except ConfigLoadError as error:
        console.error(str(error), error)
        if console.json:
            error_document(console, "run", args, error)
        return CONFIG_ERROR
    if args.cache is not None:
        from ..cache import Cache

        loaded.runner.cache = Cache(args.cache)
    try:
        choice = executor_choice(args, loaded.executor, debug=console.debug)
    except ConfigLoadError as error:
        loaded.context.close()
        console.error(str(error), error)
        if console.json:
            error_document(console, "run", args, error)
        return CONFIG_ERROR
    escaped: BaseException | None = None
    try:
        with choice.open() as executor:
            runner = loaded.runner
            if executor is not None:
                runner = Runner(hooks=runner.hooks, executor=executor, cache=runner.cache)
            job = run_dirs.start(args, loaded, runner)  # run, or resume with --resume
    except KeyboardInterrupt:
        raise
    except RunRecordError as refused:  # before any task ran
        loaded.context.close()
        run_dirs.refused(console, refused, loaded.workflow.name)
        return CONFIG_ERROR
    except BaseException as error:  # SystemExit and the like: the job did not complete
        escaped = error
        job = loaded.job
    finally:
        loaded.context.close()
    if console.json:
        _run_document(console, job, loaded, escaped)
    else:
        try:
            report: str | None = text_report(job, loaded.context)
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


WORKER_LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"
"""How worker processes of ``--executor processes`` print log records (as ``run`` does)."""


def executor_choice(
    args: argparse.Namespace, chosen: ExecutorChoice, *, debug: bool = False
) -> ExecutorChoice:
    """The file's executor (``chosen``) with ``--executor`` and ``--workers`` over it.

    ``--workers`` alone resizes the file's executor; ``--executor`` replaces it
    (keeping the file's ``max_workers`` and ``scheduler`` when it names the same
    kind). Process workers log to stderr at the level of ``run`` (``--debug``).
    """
    import functools
    import logging

    from ..executors import ExecutorChoice, choice_problem, dask_problem

    kind = getattr(args, "executor", None) or chosen.kind
    workers: int | None = getattr(args, "workers", None)
    same = kind == chosen.kind
    max_workers = workers if workers is not None else (chosen.max_workers if same else None)
    scheduler = chosen.scheduler if same else None
    found = choice_problem(kind, max_workers, scheduler)
    if found is None and kind == "dask":
        problem = dask_problem()
        found = ("executor", problem) if problem is not None else None
    if found is not None:
        setting, problem = found
        flag = f"--workers {workers}" if setting == "max_workers" and workers else ""
        flag = flag or (f"--executor {kind}" if getattr(args, "executor", None) else "runner")
        raise ConfigLoadError(f"{flag}: {problem}")
    initializer = None
    if kind == "processes":
        level = logging.DEBUG if debug else logging.WARNING
        initializer = functools.partial(logging.basicConfig, level=level, format=WORKER_LOG_FORMAT)
    return ExecutorChoice(kind, max_workers, scheduler, initializer)


def _run_document(
    console: Console, job: Job[Any, Any], loaded: Loaded, escaped: BaseException | None
) -> None:
    """``run --json``: the envelope; ``result`` holds the result and the job record."""
    from ..job import JobStatus
    from . import envelope
    from .report import job_record, result_data

    name = job.workflow.name
    try:
        record = job_record(job, loaded.context, show_errors=console.show_values)
        result: object = {"output": result_data(job.result), "job": record}
        envelope.dumps(result)
    except Exception as unencodable:  # never a crash after the job ran
        info = envelope.simple_error(
            envelope.INTERNAL, unencodable, "the job record cannot be encoded"
        )
        console.document(envelope.document("run", "failed", workflow=name, error=info))
        return
    if job.status is JobStatus.COMPLETED and escaped is None:
        console.document(envelope.document("run", "completed", workflow=name, result=result))
        return
    failure = escaped if escaped is not None else job.exception
    task = job.failed_task
    message = f"Task '{task}' failed" if task is not None else "The job did not complete"
    if console.show_values and failure is not None and str(failure):
        message += f": {failure}"
    code = envelope.TASK_FAILED
    info = envelope.ErrorInfo(
        code,
        type(failure).__name__ if failure is not None else "TaskExecutionError",
        message,
        task=task,
        issues=(envelope.Issue(code, message, task=task),),
    )
    console.document(envelope.document("run", "failed", workflow=name, result=result, error=info))


def emit_json(stream: TextIO | None, data: object) -> None:
    """Print one JSON document (one line) on ``stream``."""
    from .envelope import dumps

    _emit(dumps(data), stream)


def _emit(text: str, stream: TextIO | None = None) -> None:
    """Print the report on stdout; a closed stdout or a reader gone away is not an error."""
    if stream is None:
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
    from . import envelope

    problems = 0
    files: list[dict[str, object]] = []
    issues: list[envelope.Issue] = []
    for workflow, input_file, unreadable in _pairs([Path(name) for name in args.files]):
        found: list[envelope.Issue] = []
        if unreadable is not None:
            found.extend(envelope.config_error(unreadable).issues)
            _problem(console, _coded(unreadable), unreadable)
        else:
            try:
                if input_file is None:
                    load_definition(workflow)
                else:
                    load(workflow, input_file).context.close()
            except ConfigLoadError as error:
                # every problem of the file, each with its code
                inputs = [str(input_file)] if input_file is not None else []
                coded = envelope.config_error(
                    error, input_files=inputs, show_values=console.show_values
                ).issues
                for problem, issue in zip(problems_of(error), coded, strict=True):
                    message = str(problem.error)
                    cause = problem.error.__cause__
                    if input_file is None and isinstance(cause, WorkflowDefinitionError):
                        message += " (checked without an input file)"
                    _problem(console, f"{message} [{problem.code}]", problem.error)
                    found.append(issue)
            except KeyboardInterrupt:
                raise
            except BaseException as error:  # not a problem of the file: a fault of ours
                text = f"{workflow}: unexpected {type(error).__name__}: {error}"
                _problem(console, text, error)
                found.append(envelope.Issue(envelope.INTERNAL, text, str(workflow)))
        problems += len(found)
        issues.extend(found)
        files.append(
            {
                "workflow": str(workflow),
                "input": str(input_file) if input_file is not None else None,
                "status": "invalid" if found else "valid",
                "issues": [issue.to_json() for issue in found],
            }
        )
    count = len(args.files)
    checked = f"{count} file{'' if count == 1 else 's'}"
    if console.json:
        summary = None
        if issues:
            first = issues[0]
            summary = envelope.ErrorInfo(
                first.code,
                "ConfigLoadError",
                first.message,
                first.task,
                first.fields,
                tuple(issues),
            )
        status = "invalid" if problems else "valid"
        console.document(envelope.document("check", status, result={"files": files}, error=summary))
    if problems:
        console.note(f"{problems} problem{'' if problems == 1 else 's'}; checked {checked}")
        return FAILED
    console.note(f"no problems; checked {checked}")
    return OK


def graph(args: argparse.Namespace, console: Console) -> int:
    """Print the workflow's Mermaid flowchart: 0, or 2 when a file cannot be loaded."""
    from .._yaml.build import load_definition
    from ..discovery import get_registered_workflow
    from . import envelope

    try:
        file, name = workflow_target(args)
        if has_values(args):
            loaded = load_target(args)
            loaded.context.close()
            workflow = loaded.workflow
            text = workflow.to_mermaid(job_configuration=loaded.job.job_configuration)
        else:
            workflow = (
                load_definition(file).workflow
                if file is not None
                else get_registered_workflow(str(name))
            )
            text = workflow.to_mermaid()
    except ConfigLoadError as error:
        console.error(str(error), error)
        if console.json:
            error_document(console, "graph", args, error)
        return CONFIG_ERROR
    if console.json:
        console.document(
            envelope.document("graph", "ok", workflow=workflow.name, result={"mermaid": text})
        )
    else:
        print(text)
    return OK


def schema(args: argparse.Namespace, console: Console) -> int:
    """Print the JSON Schema of the workflow file format (``--cli``: of the documents)."""
    from ..schema import cli_schema, schema_json, workflow_schema
    from . import envelope

    if console.json:
        data = cli_schema() if args.cli else workflow_schema()
        console.document(envelope.document("schema", "ok", result=data))
    elif args.cli:
        import json

        sys.stdout.write(json.dumps(cli_schema(), indent=2) + "\n")
    else:
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


def cache_clear(args: argparse.Namespace, console: Console) -> int:
    """``cache clear DIR``: remove the folder's entries; 2 when it is no cache."""
    from ..cache import Cache, CacheDirectoryError
    from . import envelope

    try:
        removed = Cache(args.directory).clear()
    except CacheDirectoryError as error:
        console.error(f"taskmaestro: {error}", error)
        if console.json:
            info = envelope.simple_error(envelope.USAGE, error)
            console.document(envelope.document("cache clear", "error", error=info))
        return CONFIG_ERROR
    if console.json:
        result = {"directory": args.directory, "removed": removed}
        console.document(envelope.document("cache clear", "ok", result=result))
    else:
        entries = "entry" if removed == 1 else "entries"
        _emit(f"removed {removed} cache {entries} from {args.directory}")
    return OK
