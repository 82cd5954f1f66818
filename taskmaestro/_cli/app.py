"""``main``: arguments, the process around a command, and errors as one line each."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

from .. import __version__
from . import commands
from .commands import CONFIG_ERROR

if TYPE_CHECKING:
    from ..hooks.progress import ProgressHook

__all__ = ["INTERRUPTED", "main"]

INTERRUPTED = 130
"""Ctrl-C: the shells' status for a process ended by SIGINT."""

Command = Callable[[argparse.Namespace, commands.Console], int]

_EPILOG = """\
exit status:
  0  run: the job completed; check: no problems; graph, schema: done
  1  run: the job failed; check: a file has a problem
  2  run, graph: a file could not be loaded; any command: wrong arguments
  130  interrupted (Ctrl-C)
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    args = _parser().parse_args(argv)
    console = _Console(debug=args.debug, quiet=args.quiet)
    command: Command = args.command
    with console.session():
        try:
            return command(args, console)
        except KeyboardInterrupt:
            console.error("taskmaestro: interrupted")
            return INTERRUPTED
        except BrokenPipeError:  # the reader went away (| head): say nothing more to it
            commands.silence_stdout()
            return commands.FAILED
        except Exception as error:
            console.error(f"taskmaestro: error: {type(error).__name__}: {error}", error)
            return CONFIG_ERROR


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

    def add(name: str, command: Command, help: str, description: str) -> argparse.ArgumentParser:
        sub = subcommands.add_parser(
            name,
            parents=[shared],
            help=help,
            description=description,
            epilog=_EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.set_defaults(command=command)
        return sub

    run = add(
        "run",
        commands.run,
        "load a workflow and its input, run the job, report it",
        "Load WORKFLOW and INPUT, run the job and print its status, each task's status "
        "and duration, and the result as JSON. Progress is shown on stderr while it runs.",
    )
    run.add_argument("workflow", metavar="WORKFLOW", help="the workflow file")
    run.add_argument("input", metavar="INPUT", nargs="?", help="the input file, if it needs one")
    run.add_argument(
        "--json", action="store_true", help="print the whole job record as JSON on stdout"
    )

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
    graph.add_argument("workflow", metavar="WORKFLOW", help="the workflow file")
    graph.add_argument("input", metavar="INPUT", nargs="?", help="its input file (optional)")

    add(
        "schema",
        commands.schema,
        "print the JSON Schema of workflow files",
        "Print the JSON Schema (draft 2020-12) of the workflow file format, for editors.",
    )
    return parser


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

    def __init__(self, *, debug: bool, quiet: bool) -> None:
        self.debug = debug
        self.quiet = quiet
        self._progress: ProgressHook | None = None

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
        root = logging.getLogger()
        level = root.level
        root.addHandler(handler)
        root.setLevel(logging.DEBUG if self.debug else logging.WARNING)
        show_warning = warnings.showwarning
        warnings.showwarning = self._show_warning
        path_before = list(sys.path)
        _current_directory_last()
        try:
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
