"""The command line as a user runs it: a subprocess per call, exit status and output.

Each command is run both as ``python -m taskmaestro`` and as the installed
``taskmaestro`` script where it matters; the terminal progress display is
checked through a pseudo-terminal.
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml

from taskmaestro import workflow_schema

ROOT = Path(__file__).parent.parent
SCRIPT = Path(sys.executable).parent / "taskmaestro"
MODULE = [sys.executable, "-m", "taskmaestro"]

TASKS = '''
import time
from pathlib import Path

from pydantic import BaseModel

from taskmaestro import BaseHook, ExecutionContext, Task


class Number(BaseModel):
    value: int


class Sleep(BaseModel):
    seconds: float


class AddOne(Task[Number, Number]):
    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        return Number(value=input.value + 1)


class Double(Task[Number, Number]):
    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        return Number(value=input.value * 2)


class Boom(Task[Number, Number]):
    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        raise ValueError("boom")


class Touch(Task[Number, Number]):
    """Leaves a file named 'touched' beside this module: proof that a task ran."""

    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        (Path(__file__).parent / "touched").write_text("ran")
        return input


class Nap(Task[Sleep, Sleep]):
    def run(self, input: Sleep, ctx: ExecutionContext) -> Sleep:
        time.sleep(input.seconds)
        return input


class Noisy(BaseHook):
    def on_task_start(self, job, task):
        raise RuntimeError("noisy hook")
'''

MATH = """\
workflow:
  name: math
  tasks:
    - task: clitasks.AddOne
    - task: clitasks.Double
      depends_on: add_one
"""

FAILING = """\
workflow:
  name: failing
  tasks:
    - task: clitasks.AddOne
    - task: clitasks.Boom
      depends_on: add_one
    - task: clitasks.Double
      depends_on: boom
"""

BROKEN = """\
workflow:
  name: broken
  tasks:
    - task: clitasks.AddOne
    - task: clitasks.Double
      depend_on: add_one
"""

MISWIRED = """\
workflow:
  name: miswired
  tasks:
    - task: clitasks.AddOne
    - task: clitasks.Nap
      depends_on: add_one
"""

TOUCHING = """\
workflow:
  name: touching
  tasks:
    - task: clitasks.Touch
"""

NAPS = """\
workflow:
  name: naps
  tasks:
    - task: clitasks.Nap
      name: first
    - task: clitasks.Nap
      name: second
      depends_on: first
"""

NAP_THEN_BOOM = """\
workflow:
  name: nap_then_boom
  tasks:
    - task: clitasks.Nap
    - task: clitasks.Boom
      config_fields: [value]
      depends_on: nap
"""

NOISY = (
    MATH
    + """\
runner:
  hooks:
    - hook: clitasks.Noisy
"""
)

IMPORT_FAILS = """\
workflow:
  name: import_fails
  tasks:
    - task: failing_module.Thing
"""

FILES = {
    "clitasks.py": TASKS,
    "failing_module.py": "VALUE = 1 / 0\n",
    "math.yaml": MATH,
    "failing.yaml": FAILING,
    "broken.yaml": BROKEN,
    "miswired.yaml": MISWIRED,
    "touching.yaml": TOUCHING,
    "naps.yaml": NAPS,
    "nap_then_boom.yaml": NAP_THEN_BOOM,
    "noisy.yaml": NOISY,
    "import_fails.yaml": IMPORT_FAILS,
    "input.yaml": "value: 5\n",
    "bad_input.yaml": "# the value is not a number\nvalue: five\n",
    "naps_input.yaml": "seconds: 0.3\n",
    "nap_then_boom_input.yaml": "nap:\n  seconds: 0.3\nboom:\n  value: 1\n",
    "not_utf8.yaml": None,
}


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the task module and the workflow and input files (the current
    directory of every call: the files are named relative to it)."""
    folder = tmp_path_factory.mktemp("cli")
    for name, text in FILES.items():
        if text is None:
            (folder / name).write_bytes(b"workflow:\n  name: caf\xe9\n")
        else:
            (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def script() -> Path:
    if not SCRIPT.is_file():
        pytest.fail(f"the console script {SCRIPT} is not installed; run 'make venv'")
    return SCRIPT


def cli(
    *args: str | Path, cwd: Path, script: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    command = [str(script)] if script is not None else MODULE
    return subprocess.run(
        [*command, *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_environment(),
        check=False,
    )


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONWARNINGS", None)
    env["TERM"] = "xterm"
    return env


def lines(text: str) -> list[str]:
    return text.splitlines()


def location(line: str) -> str:
    """``file:line:column:`` at the start of a problem line (``file:`` if it has no line)."""
    found = re.match(r"[^:]+:(\d+:\d+:)?", line)
    assert found is not None, line
    return found.group(0)


# -- run -----------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["module", "script"])
def test_run_a_completed_job_exits_0_and_reports_it(work: Path, how: str, script: Path) -> None:
    done = cli(
        "run", "math.yaml", "input.yaml", cwd=work, script=script if how == "script" else None
    )

    assert done.returncode == 0, done.stderr
    out = lines(done.stdout)
    assert out[0] == "workflow: math"
    assert re.fullmatch(r"job: [0-9a-f-]{36} \(correlation id [0-9a-f-]{36}\)", out[1])
    assert re.fullmatch(r"status: completed in \d+\.\d{3} s", out[2])
    assert out[3] == "tasks:"
    assert re.fullmatch(r"  add_one  completed  \d+\.\d{3} s", out[4])
    assert re.fullmatch(r"  double   completed  \d+\.\d{3} s", out[5])
    assert out[6] == "result:"
    assert json.loads("\n".join(out[7:])) == {"value": 12}
    # stderr is not a terminal here: one plain progress line per event
    assert [re.sub(r"\d+\.\d{3}s", "Ts", line) for line in lines(done.stderr)] == [
        "math: job started, 2 tasks",
        "math: [0/2] add_one started",
        "math: [1/2] add_one completed in Ts",
        "math: [1/2] double started",
        "math: [2/2] double completed in Ts",
        "math: job completed, 2/2 tasks in Ts",
    ]


def test_run_json_prints_the_whole_job_record(work: Path) -> None:
    done = cli("run", "--json", "math.yaml", "input.yaml", cwd=work)

    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["status"] == "completed"
    assert document["workflow"] == "math"
    assert document["error"] is None
    assert document["result"]["output"] == {"value": 12}
    record = document["result"]["job"]
    assert record["workflow"] == "math"
    assert record["status"] == "completed"
    assert record["result"] == {"value": 12}
    assert record["error"] is None
    assert record["failed_task"] is None
    assert record["duration_seconds"] >= 0
    assert list(record["tasks"]) == ["add_one", "double"]
    assert record["tasks"]["add_one"]["status"] == "completed"
    assert record["tasks"]["add_one"]["output"] == {"value": 6}
    assert record["tasks"]["double"]["output"] == {"value": 12}
    assert {"job_id", "correlation_id", "started_at", "completed_at"} <= record.keys()


@pytest.mark.parametrize("how", ["module", "script"])
def test_run_a_failing_job_exits_1(work: Path, how: str, script: Path) -> None:
    done = cli(
        "run", "failing.yaml", "input.yaml", cwd=work, script=script if how == "script" else None
    )

    assert done.returncode == 1, done.stderr
    out = lines(done.stdout)
    assert re.fullmatch(r"status: failed in \d+\.\d{3} s", out[2])
    assert out[3] == "failed task: boom"
    assert out[4] == "error: ValueError: boom"
    assert re.fullmatch(r"  add_one  completed  \d+\.\d{3} s", out[6])
    assert re.fullmatch(r"  boom     failed     \d+\.\d{3} s", out[7])
    assert out[8] == "  double   not run"
    assert out[9:] == ["result:", "null"]
    assert "Traceback" not in done.stderr
    assert re.search(
        r"^failing: \[1/3\] boom failed after \d+\.\d{3}s: ValueError: boom$",
        done.stderr,
        re.M,
    )
    assert lines(done.stderr)[-1].startswith("failing: job failed at task 'boom' after ")


def test_run_json_of_a_failing_job(work: Path) -> None:
    done = cli("run", "--json", "--quiet", "failing.yaml", "input.yaml", cwd=work)

    assert done.returncode == 1
    assert done.stderr == ""
    document = json.loads(done.stdout)
    assert document["status"] == "failed"
    assert document["error"]["code"] == "taskmaestro-task-failed"
    assert document["error"]["type"] == "ValueError"
    assert document["error"]["task"] == "boom"
    assert document["error"]["message"] == "Task 'boom' failed"  # no error text unless asked
    record = document["result"]["job"]
    assert record["status"] == "failed"
    assert record["failed_task"] == "boom"
    assert record["error"] == "ValueError"  # the text may quote input values: withheld
    assert record["result"] is None
    shown = cli("run", "--json", "-q", "--show-values", "failing.yaml", "input.yaml", cwd=work)
    document = json.loads(shown.stdout)
    assert document["error"]["message"] == "Task 'boom' failed: boom"
    assert document["result"]["job"]["error"] == "boom"  # job.error: the exception's text
    assert [task["status"] for task in record["tasks"].values()] == [
        "completed",
        "failed",
        "not_run",
    ]


def test_run_debug_shows_the_traceback_of_a_failed_task(work: Path) -> None:
    done = cli("run", "--debug", "failing.yaml", "input.yaml", cwd=work)

    assert done.returncode == 1
    assert "Traceback (most recent call last)" in done.stderr
    assert 'raise ValueError("boom")' in done.stderr


def test_run_quiet_shows_no_progress(work: Path) -> None:
    done = cli("--quiet", "run", "math.yaml", "input.yaml", cwd=work)

    assert done.returncode == 0
    assert done.stderr == ""
    assert "status: completed" in done.stdout


@pytest.mark.parametrize("how", ["module", "script"])
def test_run_a_broken_file_exits_2_with_its_line(work: Path, how: str, script: Path) -> None:
    done = cli(
        "run", "broken.yaml", "input.yaml", cwd=work, script=script if how == "script" else None
    )

    assert done.returncode == 2
    assert done.stdout == ""
    assert lines(done.stderr) == [
        "broken.yaml:6:7: YAML schema validation error: workflow.tasks[1]: "
        "unknown key 'depend_on' (did you mean 'depends_on'?); "
        "a task entry takes the keys: task, name, depends_on, config_fields, map"
    ]


def test_run_a_bad_input_exits_2_at_the_input_line(work: Path) -> None:
    done = cli("run", "math.yaml", "bad_input.yaml", cwd=work)

    assert done.returncode == 2
    [line] = lines(done.stderr)
    assert line.startswith("bad_input.yaml:2:8: ")
    assert "'value'" in line


def test_run_without_a_needed_input_exits_2(work: Path) -> None:
    done = cli("run", "math.yaml", cwd=work)

    assert done.returncode == 2
    [line] = lines(done.stderr)
    assert line.startswith("math.yaml:")
    assert "give an input file" in line


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (
            ["missing.yaml"],
            "missing.yaml: Cannot read file (the workflow file): No such file or directory",
        ),
        (
            ["math.yaml", "nowhere.yaml"],
            "nowhere.yaml: Cannot read input file (the input file): No such file",
        ),
        (["."], ".: Cannot read file (the workflow file): Is a directory"),
        (
            ["not_utf8.yaml"],
            "not_utf8.yaml:2:12: YAML parse error: the file is not valid UTF-8 text",
        ),
    ],
    ids=["missing", "missing-input", "directory", "not-utf8"],
)
def test_unreadable_files_give_one_line(work: Path, arguments: list[str], expected: str) -> None:
    done = cli("run", *arguments, cwd=work)

    assert done.returncode == 2
    [line] = lines(done.stderr)
    assert line.startswith(expected)


def test_a_failing_import_gives_one_line_and_debug_the_traceback(work: Path) -> None:
    done = cli("run", "import_fails.yaml", cwd=work)

    assert done.returncode == 2
    assert lines(done.stderr) == [
        "import_fails.yaml:4:13: workflow.tasks[0].task: cannot import 'failing_module.Thing': "
        "Cannot import module 'failing_module': importing it raised "
        "ZeroDivisionError: division by zero"
    ]

    debug = cli("run", "import_fails.yaml", "--debug", cwd=work)
    assert debug.returncode == 2
    assert "Traceback (most recent call last)" in debug.stderr
    assert "VALUE = 1 / 0" in debug.stderr  # the line of the module that raised
    assert lines(debug.stderr)[-1] == lines(done.stderr)[0]


def test_a_hook_warning_is_one_log_line_and_the_job_goes_on(work: Path) -> None:
    done = cli("run", "noisy.yaml", "input.yaml", cwd=work)

    assert done.returncode == 0
    warned = [line for line in lines(done.stderr) if line.startswith("WARNING")]
    assert warned == [
        "WARNING py.warnings: HookWarning: Hook Noisy raised during task_start: RuntimeError: "
        "noisy hook; the job goes on"
    ]


def test_ctrl_c_ends_the_run_with_130(work: Path) -> None:
    process = subprocess.Popen(
        [*MODULE, "run", "naps.yaml", "naps_input.yaml"],
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_environment(),
    )
    assert process.stderr is not None
    assert "job started" in process.stderr.readline()  # the job is running: interrupt it
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)

    assert process.returncode == 130
    assert lines(err)[-1] == "taskmaestro: interrupted"
    assert "Traceback" not in err


# -- check ---------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["module", "script"])
def test_check_good_files_exits_0(work: Path, how: str, script: Path) -> None:
    done = cli(
        "check",
        "math.yaml",
        "input.yaml",
        "failing.yaml",
        "naps.yaml",
        "naps_input.yaml",
        cwd=work,
        script=script if how == "script" else None,
    )

    assert done.returncode == 0, done.stdout
    assert done.stdout == ""
    assert lines(done.stderr) == ["no problems; checked 5 files"]


def test_check_reports_each_file_s_problem_at_its_line(work: Path) -> None:
    done = cli(
        "check",
        "broken.yaml",
        "math.yaml",
        "bad_input.yaml",  # the input of math.yaml: it follows it, and is not a workflow file
        "miswired.yaml",
        "import_fails.yaml",
        "missing.yaml",
        "failing.yaml",
        cwd=work,
    )

    assert done.returncode == 1
    problems = lines(done.stdout)
    assert [location(line) for line in problems] == [
        "broken.yaml:6:7:",
        "bad_input.yaml:2:8:",
        "miswired.yaml:6:19:",
        "import_fails.yaml:4:13:",
        "missing.yaml:",
    ]
    assert [line.rsplit(" ", 1)[1] for line in problems] == [
        "[taskmaestro-yaml-schema]",
        "[taskmaestro-input]",
        "[taskmaestro-type]",
        "[taskmaestro-import]",
        "[taskmaestro-file]",
    ]
    assert problems[2].endswith("(checked without an input file) [taskmaestro-type]")
    assert problems[4] == (
        "missing.yaml: Cannot read file (the file): No such file or directory [taskmaestro-file]"
    )
    assert lines(done.stderr) == ["5 problems; checked 7 files"]
    assert "Traceback" not in done.stderr


def test_check_runs_no_task(work: Path) -> None:
    done = cli("check", "touching.yaml", "input.yaml", cwd=work)

    assert done.returncode == 0, done.stdout
    assert not (work / "touched").exists()


def test_check_quiet_prints_problems_only(work: Path) -> None:
    good = cli("check", "-q", "math.yaml", cwd=work)
    bad = cli("check", "-q", "broken.yaml", cwd=work)

    assert (good.returncode, good.stdout, good.stderr) == (0, "", "")
    assert bad.returncode == 1
    assert bad.stdout.startswith("broken.yaml:6:7: ")
    assert bad.stderr == ""


def test_check_debug_shows_tracebacks_on_stderr(work: Path) -> None:
    done = cli("check", "--debug", "import_fails.yaml", cwd=work)

    assert done.returncode == 1
    assert done.stdout.startswith("import_fails.yaml:4:13: ")
    assert "VALUE = 1 / 0" in done.stderr


# -- graph and schema --------------------------------------------------------------------


@pytest.mark.parametrize("how", ["module", "script"])
def test_graph_prints_the_mermaid_flowchart(work: Path, how: str, script: Path) -> None:
    done = cli("graph", "math.yaml", cwd=work, script=script if how == "script" else None)

    assert done.returncode == 0, done.stderr
    out = lines(done.stdout)
    assert out[:4] == ["---", "title: math", "---", "graph TD"]
    assert any(re.search(r"add_one.*-->.*double", line) for line in out)


def test_graph_with_a_per_task_input_draws_the_configured_values(work: Path) -> None:
    done = cli("graph", "nap_then_boom.yaml", "nap_then_boom_input.yaml", cwd=work)

    assert done.returncode == 0, done.stderr
    assert "_config_" in done.stdout


def test_graph_of_a_broken_file_exits_2(work: Path) -> None:
    done = cli("graph", "broken.yaml", cwd=work)

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("broken.yaml:6:7: ")


@pytest.mark.parametrize("how", ["module", "script"])
def test_schema_prints_the_json_schema(work: Path, how: str, script: Path) -> None:
    done = cli("schema", cwd=work, script=script if how == "script" else None)

    assert done.returncode == 0
    assert json.loads(done.stdout) == workflow_schema()


# -- the command line itself ----------------------------------------------------------------


@pytest.mark.parametrize(
    "arguments",
    [[], ["frobnicate"], ["run"], ["check"], ["run", "a.yaml", "b.yaml", "c.yaml"]],
    ids=["no-command", "unknown-command", "run-no-file", "check-no-file", "run-extra-file"],
)
def test_wrong_arguments_exit_2_with_usage(work: Path, arguments: list[str]) -> None:
    done = cli(*arguments, cwd=work)

    assert done.returncode == 2
    assert done.stderr.startswith("usage: taskmaestro")


def test_help_and_version(work: Path, script: Path) -> None:
    help_text = cli("--help", cwd=work, script=script)
    version = cli("--version", cwd=work)

    assert help_text.returncode == 0
    for command in ("run", "check", "graph", "schema"):
        assert command in help_text.stdout
    assert "exit status:" in help_text.stdout
    assert re.fullmatch(r"taskmaestro \d+\.\d+\.\d+\n", version.stdout)


def test_the_script_finds_task_modules_in_the_current_directory(
    work: Path, script: Path, tmp_path: Path
) -> None:
    """As with python -m: a workflow file elsewhere names a module of the current directory."""
    (tmp_path / "math.yaml").write_text(MATH, encoding="utf-8")

    done = cli("check", tmp_path / "math.yaml", cwd=work, script=script)

    assert done.returncode == 0, done.stdout


# -- the terminal progress display -------------------------------------------------------


def run_in_terminal(
    arguments: Sequence[str], cwd: Path, columns: int = 100
) -> tuple[int, str, str]:
    """Run with stderr on a pseudo-terminal (stdout a pipe); returns status, stderr, stdout."""
    import fcntl
    import struct
    import termios

    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    process = subprocess.Popen(
        [*MODULE, *arguments],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=terminal,
        env=_environment(),
    )
    os.close(terminal)
    shown = bytearray()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 1)
        if not ready:
            if process.poll() is not None:
                break
            continue
        try:
            data = os.read(controller, 4096)
        except OSError:  # EIO: the terminal's other end is closed, the process is gone
            break
        if not data:
            break
        shown += data
    os.close(controller)
    assert process.stdout is not None
    out = process.stdout.read().decode()
    process.stdout.close()
    status = process.wait(timeout=30)
    return status, shown.decode(), out


def frames(shown: str) -> list[str]:
    """What the live line showed, redraw after redraw (the terminal turns \\n into \\r\\n)."""
    return [frame.removesuffix("\x1b[K") for frame in re.split(r"\r\n|\r", shown) if frame]


def test_live_progress_on_a_terminal(work: Path) -> None:
    status, shown, out = run_in_terminal(["run", "naps.yaml", "naps_input.yaml"], work)

    assert status == 0, shown
    assert "\n" not in shown.replace("\r\n", "")  # one line, redrawn in place
    assert shown.endswith("\r\n")
    drawn = frames(shown)
    assert re.fullmatch(r"\x1b\[Knaps: job completed, 2/2 tasks in \d+\.\d{3}s", drawn[-1])
    live = drawn[:-1]
    assert all(len(frame) < 100 for frame in live)
    assert any(
        re.fullmatch(r"naps \[-{20}\] 0/2  \d+\.\ds  running: first \(\d+\.\ds\)", frame)
        for frame in live
    ), live
    assert any(
        re.fullmatch(r"naps \[#{10}-{10}\] 1/2  \d+\.\ds  running: second \(\d+\.\ds\)", frame)
        for frame in live
    ), live
    elapsed = [float(frame.split("  ")[1][:-1]) for frame in live]
    assert elapsed == sorted(elapsed)  # the clock moves
    assert elapsed[-1] >= 0.3
    assert "status: completed" in out  # the report on stdout is not affected


def test_live_progress_of_a_failing_job_ends_with_its_failure(work: Path) -> None:
    status, shown, out = run_in_terminal(
        ["run", "nap_then_boom.yaml", "nap_then_boom_input.yaml"], work, columns=60
    )

    assert status == 1
    drawn = frames(shown)
    live = drawn[:-1]
    assert live
    for frame in live:
        assert frame.startswith("nap_then_boom [")
        assert len(frame) <= 59  # never the terminal's last column
    cut = [frame for frame in live if "running" in frame]
    assert cut
    assert all(len(frame) == 59 and frame.endswith("...") for frame in cut)
    assert drawn[-1].startswith("\x1b[Knap_then_boom: job failed at task 'boom' after ")
    assert drawn[-1].endswith("(1/2 tasks done): ValueError: boom")
    assert "failed task: boom" in out


def test_quiet_shows_nothing_on_a_terminal(work: Path) -> None:
    status, shown, out = run_in_terminal(["run", "-q", "math.yaml", "input.yaml"], work)

    assert status == 0
    assert shown == ""
    assert "status: completed" in out


# -- pre-commit ------------------------------------------------------------------------------


def test_the_pre_commit_hook_checks_workflow_files(work: Path, script: Path) -> None:
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "taskmaestro-check"
    assert hook["language"] == "python"
    pattern = re.compile(hook["files"])
    chosen = ["workflow.yaml", "a/workflow.yml", "etl.workflow.yaml", "nightly_workflow.yaml"]
    left = ["input.yaml", "workflows/etl.yaml", "workflow.py", "README.md"]
    assert all(pattern.search(name) for name in chosen)
    assert not any(pattern.search(name) for name in left)

    entry = hook["entry"].split()
    assert entry[:2] == ["taskmaestro", "check"]
    good = subprocess.run(
        [str(script), *entry[1:], "math.yaml", "failing.yaml"], cwd=work, capture_output=True
    )
    bad = subprocess.run([str(script), *entry[1:], "broken.yaml"], cwd=work, capture_output=True)
    assert good.returncode == 0
    assert bad.returncode == 1


# -- the README ------------------------------------------------------------------------------


def readme_section() -> str:
    return (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")


def test_the_readme_documents_each_command_and_exit_status() -> None:
    from taskmaestro._cli.app import _parser

    section = readme_section()
    subcommands = next(
        action for action in _parser()._actions if isinstance(action, argparse._SubParsersAction)
    )
    for command in subcommands.choices:
        assert f"**`{command} " in section or f"**`{command}`**" in section, command
    for status in ("| 0 |", "| 1 |", "| 2 |", "| 130 |"):
        assert status in section


def test_the_readme_s_pre_commit_configurations_match_the_shipped_hook() -> None:
    [shipped] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    blocks = re.findall(r"```yaml\n(.*?)```", readme_section(), re.S)
    remote, local = (yaml.safe_load(block) for block in blocks[-2:])

    assert remote["repos"][0]["hooks"][0]["id"] == shipped["id"]
    [plain, paired] = local["repos"][0]["hooks"]
    assert (plain["id"], plain["entry"], plain["files"]) == (
        shipped["id"],
        shipped["entry"],
        shipped["files"],
    )
    assert paired["entry"].startswith("taskmaestro check ")
    assert paired["pass_filenames"] is False


# -- faults (issue 12): no exit passes for success, odd files and odd outputs ------------

EXITING_TASKS = """
import sys

from pydantic import BaseModel

from taskmaestro import ExecutionContext, Task


class Number(BaseModel):
    value: int


class Odd(BaseModel):
    number: float
    raw: bytes
    label: str


class ExitZero(Task[Number, Number]):
    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        sys.exit(0)


class MakeOdd(Task[Number, Odd]):
    def run(self, input: Number, ctx: ExecutionContext) -> Odd:
        return Odd(number=float("nan"), raw=b"\\xff\\xfe", label="bad \\udcff text")


class Infinite(Task[Number, Odd]):
    def run(self, input: Number, ctx: ExecutionContext) -> Odd:
        return Odd(number=float("-inf"), raw=b"plain", label="ok")
"""


def one_task(name: str, task: str) -> str:
    return f"workflow:\n  name: {name}\n  tasks:\n    - task: {task}\n"


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("faults")
    (folder / "exiting.py").write_text(EXITING_TASKS, encoding="utf-8")
    (folder / "exit_at_import.py").write_text(
        "import sys\nsys.exit(0)\n\nclass Thing: ...\n", encoding="utf-8"
    )
    (folder / "exits.yaml").write_text(one_task("exits", "exiting.ExitZero"))
    (folder / "odd.yaml").write_text(one_task("odd", "exiting.MakeOdd"))
    (folder / "infinite.yaml").write_text(one_task("infinite", "exiting.Infinite"))
    (folder / "a.yaml").write_text(one_task("a", "exit_at_import.Thing"))
    (folder / "b.yaml").write_text(one_task("b", "exiting.Nothing"))
    (folder / "input.yaml").write_text("value: 1\n")
    return folder


def test_a_task_calling_sys_exit_0_never_gives_exit_status_0(faults: Path) -> None:
    done = cli("run", "exits.yaml", "input.yaml", cwd=faults)

    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "status: completed" not in done.stdout
    assert "status:" in done.stdout  # a report is printed
    assert "Traceback" not in done.stderr


def test_check_reports_a_module_exiting_at_import_and_goes_on(faults: Path) -> None:
    done = cli("check", "a.yaml", "b.yaml", cwd=faults)

    assert done.returncode == 1
    problems = lines(done.stdout)
    assert len(problems) == 2, problems
    assert problems[0].startswith("a.yaml:4:13: ")
    assert "Cannot import module 'exit_at_import': importing it raised SystemExit: 0" in problems[0]
    assert problems[1].startswith("b.yaml:4:13: ")  # b.yaml was checked too
    assert "Module 'exiting' has no attribute 'Nothing'" in problems[1]


def test_run_reports_a_module_exiting_at_import_as_a_file_problem(faults: Path) -> None:
    done = cli("run", "a.yaml", cwd=faults)

    assert done.returncode == 2
    assert "SystemExit" in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize("command", ["run", "check"])
def test_a_fifo_is_refused_at_once(tmp_path: Path, command: str) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    # No writer ever opens the FIFO: reading it would block until the timeout.
    done = cli(command, "pipe.yaml", cwd=tmp_path, timeout=30)

    assert done.returncode == (2 if command == "run" else 1)
    output = done.stderr if command == "run" else done.stdout
    assert "pipe.yaml: Cannot read file (the " in output
    assert "it is not a regular file (it is a FIFO)" in output


def test_a_device_is_refused_at_once(tmp_path: Path) -> None:
    done = cli("check", "/dev/zero", cwd=tmp_path, timeout=30)

    assert done.returncode == 1
    assert "/dev/zero: Cannot read file" in done.stdout
    assert "it is a device" in done.stdout


@pytest.mark.parametrize("workflow", ["odd.yaml", "infinite.yaml"])
def test_json_report_is_strict_json_for_any_output(faults: Path, workflow: str) -> None:
    done = cli("run", workflow, "input.yaml", "--json", cwd=faults)

    assert done.returncode == 0, done.stderr

    def refuse(constant: str) -> object:
        raise AssertionError(f"not strict JSON: {constant}")

    document = json.loads(done.stdout, parse_constant=refuse)
    assert document["status"] == "completed"
    result = document["result"]["output"]
    assert document["result"]["job"]["result"] == result
    if workflow == "odd.yaml":
        assert result["number"] == "nan"
        assert result["raw"] == "__4="  # not UTF-8: base64 (URL-safe alphabet)
        assert result["label"] == "bad \\udcff text"  # the lone surrogate, escaped
    else:
        assert result == {"number": "-inf", "raw": "plain", "label": "ok"}


def test_the_text_report_survives_unencodable_text(faults: Path) -> None:
    done = cli("run", "odd.yaml", "input.yaml", cwd=faults)

    assert done.returncode == 0, done.stderr
    assert "status: completed" in done.stdout


def test_a_reader_that_goes_away_does_not_fail_the_job(faults: Path, work: Path) -> None:
    for folder, workflow, status in [
        (work, "math.yaml", 0),
        (work, "failing.yaml", 1),
    ]:
        # A reader that is gone before the report is written (as `| head -c1` soon is).
        reader = subprocess.Popen(["true"], stdin=subprocess.PIPE)
        reader.wait(timeout=30)
        assert reader.stdin is not None
        done = subprocess.run(
            [*MODULE, "run", workflow, "input.yaml", "--json", "-q"],
            cwd=folder,
            stdout=reader.stdin,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            env=_environment(),
            check=False,
        )
        reader.stdin.close()
        assert done.returncode == status, done.stderr
        assert "Traceback" not in done.stderr


def test_a_closed_stdout_does_not_fail_the_job(work: Path) -> None:
    for workflow, status in [("math.yaml", 0), ("failing.yaml", 1)]:
        done = subprocess.run(
            # stdout closed outright, as with `>&-` in a shell
            ["sh", "-c", 'exec "$@" >&-', "sh", *MODULE, "run", workflow, "input.yaml", "-q"],
            cwd=work,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            env=_environment(),
            check=False,
        )
        assert done.returncode == status, done.stderr
        assert "Traceback" not in done.stderr


# -- check reports every problem of a file (issue 15, item 3) ----------------------------

MANY_PROBLEMS = """\
workflow:
  name: many
  tasks:
    - task: clitasks.AddOne
      depend_on: nothing
    - task: clitasks.Double
      nmae: twice
    - task: 42
runnr: {}
"""

MANY_IMPORTS = """\
workflow:
  name: imports
  tasks:
    - task: clitasks.AddOne
    - task: clitasks.Missing
    - task: nowhere_at_all.Task
runner:
  hooks:
    - hook: clitasks.AddOne
    - hook: clitasks.Noisy
      params: {colour: red}
"""


def test_check_reports_every_schema_problem_of_a_file(work: Path, tmp_path: Path) -> None:
    (work / "many.yaml").write_text(MANY_PROBLEMS, encoding="utf-8")
    done = cli("check", "many.yaml", cwd=work)

    assert done.returncode == 1
    problems = lines(done.stdout)
    assert [location(line) for line in problems] == [
        "many.yaml:5:7:",
        "many.yaml:7:7:",
        "many.yaml:8:13:",
        "many.yaml:9:1:",
    ]
    assert all(line.endswith("[taskmaestro-yaml-schema]") for line in problems)
    assert "did you mean 'depends_on'" in problems[0]
    assert "did you mean 'name'" in problems[1]
    assert "did you mean 'runner'" in problems[3]
    assert lines(done.stderr) == ["4 problems; checked 1 file"]


def test_check_reports_every_import_problem_then_every_hook_problem(work: Path) -> None:
    (work / "imports.yaml").write_text(MANY_IMPORTS, encoding="utf-8")
    done = cli("check", "imports.yaml", cwd=work)

    assert done.returncode == 1
    problems = lines(done.stdout)
    # Tasks first: the hooks are checked once the tasks are (the next run shows them).
    assert [location(line) for line in problems] == ["imports.yaml:5:13:", "imports.yaml:6:13:"]
    assert "Module 'clitasks' has no attribute 'Missing'" in problems[0]
    assert "Cannot import module 'nowhere_at_all'" in problems[1]
    assert all(line.endswith("[taskmaestro-import]") for line in problems)

    (work / "imports.yaml").write_text(
        MANY_IMPORTS.replace("    - task: clitasks.Missing\n", "").replace(
            "    - task: nowhere_at_all.Task\n", ""
        ),
        encoding="utf-8",
    )
    hooks = lines(cli("check", "imports.yaml", cwd=work).stdout)
    assert [location(line) for line in hooks] == ["imports.yaml:7:13:", "imports.yaml:9:16:"]
    assert "is not a BaseHook subclass" in hooks[0]
    assert "Cannot instantiate hook 'clitasks.Noisy': it has no parameter 'colour'" in hooks[1]
    assert all(line.endswith("[taskmaestro-hook]") for line in hooks)


def test_wiring_codes_are_the_mypy_plugin_s() -> None:
    from mypy_plugin import codes
    from taskmaestro._yaml import problems

    plugin = {code.code for code in codes.ALL}
    assert set(problems.SHARED_WITH_PLUGIN) <= plugin
    own = set(problems.CODES) - set(problems.SHARED_WITH_PLUGIN)
    assert not own & plugin  # the file's own checks have codes of their own
