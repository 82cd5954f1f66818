"""``main``: arguments, the process around a command, and errors as one line each."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

from .. import __version__
from ..executors import EXECUTOR_KINDS, MAX_WORKERS
from . import commands, envelope, inspection, run_dirs, runs
from .commands import CONFIG_ERROR

if TYPE_CHECKING:
    from ..hooks.progress import ProgressHook

__all__ = ["INTERRUPTED", "main"]

INTERRUPTED = 130
"""Ctrl-C: the shells' status for a process ended by SIGINT."""

Command = Callable[[argparse.Namespace, commands.Console], int]

_EPILOG = """\
exit status:
  0  run: the job completed; check, validate: no problems; other commands: done
  1  run: the job failed; check: a file has a problem
  2  run, validate, graph, workflow describe: a file or a registered name could not be
     loaded; tasks describe: the task could not be loaded; run --record/--resume,
     runs show: the run directory cannot be used; any command: wrong arguments
  130  interrupted (Ctrl-C)
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _parser().parse_args(arguments)
    except SystemExit as exit:
        if exit.code in (0, None) or "--json" not in arguments:
            raise
        # argparse said why on stderr; the document says it too, for programs
        _current_directory_last()  # before json is imported: a json.py here is not json
        commands.emit_json(
            sys.stdout,
            envelope.document(
                _command_name(arguments),
                "error",
                error=envelope.ErrorInfo(
                    envelope.USAGE,
                    "ArgumentError",
                    "wrong arguments (see the usage on stderr)",
                    issues=(envelope.Issue(envelope.USAGE, "wrong arguments"),),
                ),
            ),
        )
        return CONFIG_ERROR
    console = _Console(
        debug=args.debug,
        quiet=args.quiet,
        json=getattr(args, "json", False),
        show_values=getattr(args, "show_values", False),
    )
    command: Command = args.command
    name: str = args.command_name
    with console.session():
        try:
            return command(args, console)
        except KeyboardInterrupt:
            console.error("taskmaestro: interrupted")
            if console.json:
                error = envelope.simple_error(
                    envelope.INTERRUPTED, KeyboardInterrupt(), "interrupted"
                )
                console.document(envelope.document(name, "interrupted", error=error))
            return INTERRUPTED
        except BrokenPipeError:  # the reader went away (| head): say nothing more to it
            commands.silence_stdout()
            return commands.FAILED
        except Exception as error:
            console.error(f"taskmaestro: error: {type(error).__name__}: {error}", error)
            if console.json:
                from ..discovery import PluginLoadError

                code = envelope.PLUGIN if isinstance(error, PluginLoadError) else envelope.INTERNAL
                info = envelope.simple_error(code, error, f"{type(error).__name__}: {error}")
                console.document(envelope.document(name, "error", error=info))
            return CONFIG_ERROR


def _command_name(arguments: Sequence[str]) -> str:
    """The command a wrong command line meant (its first words that name one)."""
    words = [word for word in arguments if not word.startswith("-")]
    if not words or words[0] not in _COMMANDS:
        return ""
    if _COMMANDS[words[0]] and len(words) > 1 and words[1] in _COMMANDS[words[0]]:
        return f"{words[0]} {words[1]}"
    return words[0]


_COMMANDS: dict[str, tuple[str, ...]] = {
    "run": (),
    "check": (),
    "validate": (),
    "graph": (),
    "schema": (),
    "workflow": ("describe", "list"),
    "tasks": ("describe", "list"),
    "cache": ("clear",),
    "runs": ("show",),
}


def _parser() -> argparse.ArgumentParser:
    # The options are accepted before and after the command (taskmaestro --debug run ...,
    # taskmaestro run --debug ...): the subcommands' copies default to SUPPRESS so that
    # they do not overwrite a value given before the command.
    shared = argparse.ArgumentParser(add_help=False)
    _add_shared_options(shared, default=argparse.SUPPRESS)
    parser = argparse.ArgumentParser(
        prog="taskmaestro",
        description="Run, check and draw taskmaestro workflows defined in YAML files.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"taskmaestro {__version__}")
    _add_shared_options(parser, default=False)
    subcommands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    def add(
        name: str,
        command: Command,
        help: str,
        description: str,
        within: argparse._SubParsersAction[argparse.ArgumentParser] = subcommands,
        full_name: str | None = None,
    ) -> argparse.ArgumentParser:
        sub = within.add_parser(
            name,
            parents=[shared],
            help=help,
            description=description,
            epilog=_EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.set_defaults(command=command, command_name=full_name or name)
        _add_json_options(sub)
        return sub

    def workflow_argument(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "workflow",
            metavar="WORKFLOW",
            help="a workflow file (.yaml/.yml, or any existing file) or a registered workflow name",
        )
        sub.add_argument("input", metavar="INPUT", nargs="?", help="its input file (optional)")
        sub.add_argument(
            "--input", dest="input_option", metavar="INPUT", help="the input file (same as INPUT)"
        )

    run = add(
        "run",
        commands.run,
        "load a workflow and its input, run the job, report it",
        "Load WORKFLOW and INPUT, run the job and print its status, each task's status "
        "and duration, and the result as JSON. Progress is shown on stderr while it runs.",
    )
    workflow_argument(run)
    run.add_argument(
        "--cache",
        metavar="DIR",
        help="serve and store the outputs of tasks that set 'cache' in the result cache "
        "folder DIR (instead of the file's runner.cache)",
    )
    _add_set_option(run)
    run.add_argument(
        "--executor",
        choices=EXECUTOR_KINDS,
        help="what runs the tasks (default: the file's runner.executor, else sequential)",
    )
    run.add_argument(
        "--workers",
        type=_workers,
        metavar="N",
        help="workers of the executor (threads, processes, local Dask workers)",
    )
    run_dirs.add_run_options(run)

    check = add(
        "check",
        commands.check,
        "check workflow files without running them",
        "Load and validate each workflow file (imports, wiring, hooks) and, when an input "
        "file follows it, the input, without running any task. Prints "
        "'file:line:column: message' for each file that has a problem. A file that follows "
        "a workflow file and has no top-level 'workflow' key is that workflow's input file.",
    )
    check.add_argument(
        "files",
        metavar="FILE",
        nargs="+",
        help="workflow files, each optionally followed by its input",
    )

    graph = add(
        "graph",
        commands.graph,
        "print the workflow's Mermaid flowchart",
        "Print the Mermaid flowchart of WORKFLOW, its edges labelled with the data they carry; "
        "with INPUT, the values an input file configures are drawn too.",
    )
    workflow_argument(graph)
    _add_set_option(graph)

    schema = add(
        "schema",
        commands.schema,
        "print the JSON Schema of workflow files",
        "Print the JSON Schema (draft 2020-12) of the workflow file format, for editors; "
        "with --cli, the schema of the --json documents of every command.",
    )
    schema.add_argument(
        "--cli", action="store_true", help="the schema of the commands' --json documents"
    )

    validate = add(
        "validate",
        inspection.validate,
        "load a workflow and its input and build the job, running nothing",
        "Load WORKFLOW (a file or a registered name) and INPUT, check every rule and build "
        "the job without running any task. Reports every problem of the first phase that "
        "has any, each with its position and code.",
    )
    workflow_argument(validate)
    _add_set_option(validate)

    workflow = subcommands.add_parser(
        "workflow", help="describe or list workflows", description="Describe or list workflows."
    )
    workflow_commands = workflow.add_subparsers(title="commands", metavar="COMMAND", required=True)
    describe = add(
        "describe",
        inspection.describe_workflow,
        "describe a workflow's tasks, wiring and configuration",
        "Describe WORKFLOW (a file or a registered name): each task in run order with its "
        "class, dependencies, config fields and model schemas. With INPUT, which configured "
        "fields it gives and which are missing (a partial input is fine: nothing runs).",
        within=workflow_commands,
        full_name="workflow describe",
    )
    workflow_argument(describe)
    add(
        "list",
        inspection.list_workflows,
        "list the workflows installed packages register",
        "List the workflow names installed packages register (entry-point group "
        "'taskmaestro.workflows'); imports nothing.",
        within=workflow_commands,
        full_name="workflow list",
    )

    tasks = subcommands.add_parser(
        "tasks", help="describe or list registered tasks", description="Describe or list tasks."
    )
    task_commands = tasks.add_subparsers(title="commands", metavar="COMMAND", required=True)
    add(
        "list",
        inspection.list_tasks,
        "list the tasks installed packages register",
        "List the task identifiers installed packages register (entry-point group "
        "'taskmaestro.tasks'); imports nothing.",
        within=task_commands,
        full_name="tasks list",
    )
    describe_task = add(
        "describe",
        inspection.describe_task,
        "describe a task: its models' schemas, timeout and docstring",
        "Describe the task ID (a registered identifier or a dotted path module.Class); "
        "imports only that task's module.",
        within=task_commands,
        full_name="tasks describe",
    )
    describe_task.add_argument(
        "task_id", metavar="ID", help="a registered task identifier, or a dotted path module.Class"
    )

    cache = subcommands.add_parser(
        "cache", help="manage a result cache folder", description="Manage a result cache folder."
    )
    cache_commands = cache.add_subparsers(title="commands", metavar="COMMAND", required=True)
    clear = add(
        "clear",
        commands.cache_clear,
        "remove every entry of a result cache folder",
        "Remove every entry of the result cache folder DIR (see 'runner.cache' and "
        "'run --cache'). A folder that is not a taskmaestro cache (no CACHEDIR.TAG) is "
        "left alone.",
        within=cache_commands,
        full_name="cache clear",
    )
    clear.add_argument("directory", metavar="DIR", help="the cache folder")
    _add_runs_commands(subcommands, add)
    return parser


def _add_set_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        metavar="TASK.FIELD=VALUE",
        help="set one input value over the input file's, read as YAML (repeatable); "
        "checked like the input file",
    )


def _workers(text: str) -> int:
    """``--workers``: a whole number of workers within ``MAX_WORKERS``."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 0 < value <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of workers from 1 to {MAX_WORKERS}, got {text!r}"
        )
    return value


def _add_runs_commands(
    subcommands: argparse._SubParsersAction[argparse.ArgumentParser],
    add: Callable[..., argparse.ArgumentParser],
) -> None:
    """``runs show RUN_DIR``: the run directories ``run --record`` writes."""
    parser = subcommands.add_parser(
        "runs", help="show recorded runs", description="Show runs recorded with run --record."
    )
    commands_of_runs = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    show = add(
        "show",
        runs.show,
        "show the record of a run: its status, versions and each task",
        "Show the record RUN_DIR/run.json of a run (written by 'run --record RUN_DIR' or a "
        "RunRecordHook): the workflow and input digests, the versions, each task's status, "
        "attempts, duration, cache hit and error. With --json, the record itself (error "
        "messages only with --show-values).",
        within=commands_of_runs,
        full_name="runs show",
    )
    show.add_argument("run_dir", metavar="RUN_DIR", help="the run directory")


def _add_json_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON document on stdout (see 'schema --cli'); logs stay on stderr",
    )
    parser.add_argument(
        "--show-values",
        action="store_true",
        help="with --json: include values of the input file and task error texts",
    )


def _add_shared_options(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "--debug",
        action="store_true",
        default=default,
        help="show the traceback of errors, and log messages of every level",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=default,
        help="no progress display and no summary on stderr",
    )


class _Console:
    """stderr for one command: errors, notes, log records and the progress display."""

    def __init__(self, *, debug: bool, quiet: bool, json: bool, show_values: bool) -> None:
        self.debug = debug
        self.quiet = quiet
        self.json = json
        self.show_values = show_values
        self._progress: ProgressHook | None = None
        self._stdout: TextIO = sys.stdout

    def document(self, data: dict[str, object]) -> None:
        """Print the one JSON document on the real stdout."""
        commands.emit_json(self._stdout, data)

    def progress(self) -> ProgressHook | None:
        if self.quiet:
            return None
        if self._progress is None:
            from ..hooks.progress import ProgressHook

            self._progress = ProgressHook()
        return self._progress

    def error(self, message: str, exception: BaseException | None = None) -> None:
        if self.debug and exception is not None:
            traceback.print_exception(exception, file=sys.stderr)
        self._line(message)

    def note(self, message: str) -> None:
        if not self.quiet:
            self._line(message)

    def _line(self, text: str) -> None:
        if self._progress is not None:
            self._progress.write_line(text)
        else:
            _write(sys.stderr, text)

    @contextmanager
    def session(self) -> Iterator[None]:
        """Log records and warnings to stderr (through the progress display); the
        current directory importable (last); all undone afterwards."""
        handler = _Handler(self)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        # Also on the handler: libraries that set their loggers' own level (a local Dask
        # cluster logs its start at INFO) are shown at the command's level too.
        handler.setLevel(logging.DEBUG if self.debug else logging.WARNING)
        root = logging.getLogger()
        level = root.level
        root.addHandler(handler)
        root.setLevel(logging.DEBUG if self.debug else logging.WARNING)
        show_warning = warnings.showwarning
        warnings.showwarning = self._show_warning
        path_before = list(sys.path)
        _current_directory_last()
        self._stdout = sys.stdout
        # --json: stdout carries the document only; prints of imported code go to stderr
        redirect = contextlib.redirect_stdout(sys.stderr) if self.json else contextlib.nullcontext()
        try:
            with redirect:
                yield
        finally:
            warnings.showwarning = show_warning
            root.removeHandler(handler)
            root.setLevel(level)
            sys.path[:] = path_before

    def _show_warning(
        self,
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        logging.getLogger("py.warnings").warning("%s: %s", category.__name__, message)


class _Handler(logging.Handler):
    def __init__(self, console: _Console) -> None:
        super().__init__()
        self._console = console

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._console._line(self.format(record))
        except Exception:
            self.handleError(record)


def _current_directory_last() -> None:
    """Make the current directory importable, *after* the standard library and installed
    packages, which a module in it must not shadow (a ``json.py`` there is not ``json``).

    ``python -m`` puts it first on ``sys.path`` and the ``taskmaestro`` script not at
    all; both then find task modules the same way."""
    cwd = os.getcwd()
    entries = [entry for entry in sys.path if entry in ("", cwd)]
    for entry in entries:
        sys.path.remove(entry)
    sys.path.extend(entries or [cwd])


def _write(stream: TextIO, text: str) -> None:
    stream.write(text + "\n")
    stream.flush()
