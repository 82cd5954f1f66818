"""ProgressHook in a Python program: plain lines, the live line, several running tasks."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import taskmaestro
from taskmaestro import Job, ProgressHook, Runner, Task, Workflow
from taskmaestro.hooks import ProgressHook as FromHooks
from taskmaestro.hooks.progress import ProgressHook as FromModule

from .helpers import AddOne, Boom, Double, Number, Sleep, Sleeper


def durations(text: str) -> str:
    return re.sub(r"\d+\.\d+s", "Ts", text)


def frames(text: str) -> list[str]:
    return [frame.removesuffix("\x1b[K") for frame in re.split(r"\r|\n", text) if frame]


def test_it_is_exported_from_the_package_and_from_hooks() -> None:
    assert taskmaestro.ProgressHook is FromHooks is FromModule is ProgressHook
    assert "ProgressHook" in taskmaestro.__all__


def test_plain_lines_for_a_completed_job() -> None:
    stream = io.StringIO()
    workflow = Workflow(name="math", tasks=[AddOne, Double])

    Runner(hooks=[ProgressHook(stream)]).run(Job(workflow, Number(value=1)))

    assert durations(stream.getvalue()).splitlines() == [
        "math: job started, 2 tasks",
        "math: [0/2] add_one started",
        "math: [1/2] add_one completed in Ts",
        "math: [1/2] double started",
        "math: [2/2] double completed in Ts",
        "math: job completed, 2/2 tasks in Ts",
    ]


def test_plain_lines_for_a_failed_job() -> None:
    stream = io.StringIO()
    workflow = Workflow(name="bad", tasks=[AddOne, Boom, Double])

    Runner(hooks=[ProgressHook(stream)]).run(Job(workflow, Number(value=1)))

    assert durations(stream.getvalue()).splitlines()[-2:] == [
        "bad: [1/3] boom failed after Ts: ValueError: boom",
        "bad: job failed at task 'boom' after Ts (1/3 tasks done): ValueError: boom",
    ]


def test_the_live_line_is_redrawn_while_a_task_runs() -> None:
    stream = io.StringIO()
    workflow = Workflow(name="slow", tasks=[Sleeper, Sleeper])
    hook = ProgressHook(stream, live=True, refresh_seconds=0.02)

    Runner(hooks=[hook]).run(Job(workflow, Sleep(seconds=0.1)))

    text = stream.getvalue()
    assert text.count("\n") == 1  # only the summary ends a line
    drawn = frames(text)
    assert re.fullmatch(r"\x1b\[Kslow: job completed, 2/2 tasks in \d\.\d{3}s", drawn[-1])
    assert re.fullmatch(r"slow \[-{20}\] 0/2  0\.\ds", drawn[0])
    assert any(
        re.fullmatch(r"slow \[-{20}\] 0/2  0\.\ds  running: sleeper \(0\.\ds\)", f) for f in drawn
    )
    assert any(
        re.fullmatch(r"slow \[#{10}-{10}\] 1/2  0\.\ds  running: sleeper_2 \(0\.\ds\)", f)
        for f in drawn
    )
    assert not any(t.name == "taskmaestro-progress" for t in threading.enumerate())


def test_several_running_tasks_are_all_shown() -> None:
    """As a parallel executor would emit them: several starts before any completion."""
    stream = io.StringIO()
    hook = ProgressHook(stream, live=True, refresh_seconds=60)
    workflow = Workflow.builder("fan").add_task(AddOne).add_task(Double, depends_on=AddOne).build()
    job = Job(workflow, Number(value=1))
    add_one, double = _named(AddOne(), "add_one"), _named(Double(), "double")

    hook.on_job_start(job)
    hook.on_task_start(job, add_one)
    hook.on_task_start(job, double)
    hook.write_line("a message")
    hook.on_task_complete(job, add_one, Number(value=2))
    hook.write_line("another")
    stopped = RuntimeError("stopped")
    hook.on_task_fail(job, double, stopped)
    job.mark_failed(stopped, None, datetime.now())
    hook.on_job_fail(job)

    drawn = frames(stream.getvalue())
    assert re.fullmatch(r"fan \[-{20}\] 0/2  \d\.\ds", drawn[0])
    assert "\x1b[Ka message" in drawn
    assert re.fullmatch(
        r"fan \[-{20}\] 0/2  \d\.\ds  running: add_one \(\d\.\ds\), double \(\d\.\ds\)",
        drawn[drawn.index("\x1b[Ka message") + 1],
    )
    assert re.fullmatch(
        r"fan \[#{10}-{10}\] 1/2  \d\.\ds  running: double \(\d\.\ds\)",
        drawn[drawn.index("\x1b[Kanother") + 1],
    )
    assert drawn[-1].startswith("\x1b[Kfan: job failed after ")
    assert drawn[-1].endswith("(1/2 tasks done): RuntimeError: stopped")


def test_the_live_line_never_reaches_the_last_column() -> None:
    stream = io.StringIO()  # no terminal size: 80 columns
    hook = ProgressHook(stream, live=True, refresh_seconds=60)
    workflow = Workflow(name="w" * 100, tasks=[AddOne])
    job = Job(workflow, Number(value=1))

    hook.on_job_start(job)

    [line] = frames(stream.getvalue())
    assert len(line) == 79
    assert line.endswith("...")
    hook.on_job_complete(job)


def test_auto_mode_is_live_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    controller, terminal = pty.openpty()
    try:
        with open(terminal, "w", closefd=False) as on_terminal:
            workflow = Workflow(name="math", tasks=[AddOne])
            monkeypatch.setenv("TERM", "xterm")
            hook = ProgressHook(on_terminal, refresh_seconds=60)
            Runner(hooks=[hook]).run(Job(workflow, Number(value=1)))
            shown = _read_all(controller)
            assert shown.startswith("\rmath [")
            assert "job started" not in shown

            monkeypatch.setenv("TERM", "dumb")
            Runner(hooks=[ProgressHook(on_terminal)]).run(Job(workflow, Number(value=1)))
            shown = _read_all(controller)
            assert shown.startswith("math: job started, 1 task\r\n")
    finally:
        os.close(controller)
        os.close(terminal)

    stream = io.StringIO()
    Runner(hooks=[ProgressHook(stream)]).run(Job(workflow, Number(value=1)))
    assert stream.getvalue().startswith("math: job started")


def test_one_hook_shows_one_job_after_another() -> None:
    stream = io.StringIO()
    runner = Runner(hooks=[ProgressHook(stream)])
    workflow = Workflow(name="math", tasks=[AddOne])

    runner.run(Job(workflow, Number(value=1)))
    runner.run(Job(workflow, Number(value=2)))

    ends = [line for line in durations(stream.getvalue()).splitlines() if "job completed" in line]
    assert ends == ["math: job completed, 1/1 tasks in Ts"] * 2


def test_the_default_stream_is_stderr_at_the_time_of_the_job(
    capsys: pytest.CaptureFixture[str],
) -> None:
    workflow = Workflow(name="math", tasks=[AddOne])
    Runner(hooks=[ProgressHook(live=False)]).run(Job(workflow, Number(value=1)))

    assert "math: job completed" in capsys.readouterr().err


def test_a_workflow_file_can_name_it(tmp_path: Path) -> None:
    (tmp_path / "workflow.yaml").write_text(
        "workflow:\n"
        "  name: math\n"
        "  tasks:\n"
        "    - task: tests.helpers.AddOne\n"
        "runner:\n"
        "  hooks:\n"
        "    - hook: taskmaestro.hooks.progress.ProgressHook\n"
        "      params: {live: false, refresh_seconds: 0.5}\n",
        encoding="utf-8",
    )
    (tmp_path / "input.yaml").write_text("value: 1\n", encoding="utf-8")

    loaded = taskmaestro.load_workflow_from_yaml(
        tmp_path / "workflow.yaml", tmp_path / "input.yaml"
    )

    [hook] = loaded.runner.hooks
    assert isinstance(hook, ProgressHook)
    assert (hook.live, hook.refresh_seconds) == (False, 0.5)


def test_refresh_seconds_must_be_positive() -> None:
    with pytest.raises(ValueError, match="refresh_seconds must be positive"):
        ProgressHook(refresh_seconds=0)


def _read_all(controller: int) -> str:
    """What the terminal has been sent so far."""
    shown = b""
    while select.select([controller], [], [], 0.2)[0]:
        shown += os.read(controller, 65536)
    return shown.decode()


def _named[T: Task[Any, Any]](task: T, name: str) -> T:
    """A task instance as the runner hands it to hooks: named after its instance."""
    task.name = name
    return task
