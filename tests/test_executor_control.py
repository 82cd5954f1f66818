"""Choosing the executor in a YAML file (``runner.executor``, ``max_workers``, ``scheduler``) and
on the command line (``--executor``, ``--workers``), and setting input values with ``--set``."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from taskmaestro import (
    ConfigLoadError,
    ExecutorChoice,
    JobStatus,
    Workflow,
    load_workflow_from_yaml,
)
from taskmaestro._cli.commands import executor_choice
from taskmaestro._yaml.build import load, load_for_workflow
from taskmaestro._yaml.overrides import read_overrides

from .helpers import AddOne
from .yaml_support import line_of, write

STEPS = """
    import os
    import threading

    from pydantic import BaseModel

    from taskmaestro import ExecutionContext, Task


    class Number(BaseModel):
        value: int


    class Where(BaseModel):
        value: int
        pid: int
        thread: str


    class Locate(Task[Number, Where]):
        def run(self, input: Number, ctx: ExecutionContext) -> Where:
            ctx.logger.warning("located %d", input.value)
            return Where(value=input.value, pid=os.getpid(), thread=threading.current_thread().name)


    class Label(BaseModel):
        where: Where
        prefix: str
        times: int = 1


    class Text(BaseModel):
        text: str


    class Stamp(Task[Label, Text]):
        def run(self, input: Label, ctx: ExecutionContext) -> Text:
            return Text(text=input.prefix * input.times + str(input.where.value))
"""


def project(folder: Path, runner: str = "", *, module: str = "control_steps") -> Path:
    """A workflow file (locate -> stamp) beside its task module; returns the workflow file."""
    write(folder, f"{module}.py", STEPS)
    runner_section = f"runner:\n{runner}" if runner else ""
    return write(
        folder,
        "workflow.yaml",
        f"""\
workflow:
  name: where
  tasks:
    - task: {module}.Locate
      name: locate
    - task: {module}.Stamp
      name: stamp
      depends_on:
        where: locate
{runner_section}""",
    )


PER_TASK_INPUT = "locate:\n  value: 2\nstamp:\n  prefix: '>'\n"


# -- the YAML file -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sequential", "threads", "processes", "dask"])
def test_the_file_chooses_the_executor_that_runs_the_tasks(tmp_path: Path, kind: str) -> None:
    module = f"control_steps_{kind}"
    workers = "" if kind == "sequential" else "  max_workers: 1\n"
    workflow = project(tmp_path, f"  executor: {kind}\n{workers}", module=module)
    loaded = load_workflow_from_yaml(workflow, write(tmp_path, "input.yaml", PER_TASK_INPUT))

    assert loaded.executor == ExecutorChoice(kind, None if kind == "sequential" else 1)  # type: ignore[arg-type]
    job = loaded.run()

    assert job.status is JobStatus.COMPLETED, job.error
    located = job.task_result("locate")
    assert located is not None
    where = located.output
    assert where is not None
    pid, thread = where.pid, where.thread  # type: ignore[attr-defined]
    if kind == "sequential":
        assert (pid, thread) == (os.getpid(), threading.current_thread().name)
    elif kind == "threads":
        assert pid == os.getpid()
        assert thread.startswith("ThreadPoolExecutor")
    else:
        assert pid != os.getpid()
    assert job.result is not None
    assert job.result.text == ">2"


def test_without_an_executor_the_file_runs_sequentially(tmp_path: Path) -> None:
    workflow = project(tmp_path)
    loaded = load_workflow_from_yaml(workflow, write(tmp_path, "input.yaml", PER_TASK_INPUT))
    assert loaded.executor == ExecutorChoice()


@pytest.mark.parametrize(
    ("runner", "at", "message"),
    [
        (
            "  executor: fibers\n",
            "executor: fibers",
            "runner.executor: expected an executor (one of: sequential, threads, processes, "
            "dask), got the string 'fibers'",
        ),
        (
            "  executor: threads\n  scheduler: tcp://127.0.0.1:8786\n",
            "scheduler:",
            "runner.scheduler: a scheduler address is for the dask executor, not for 'threads'",
        ),
        (
            "  max_workers: 2\n",
            "max_workers:",
            "runner.max_workers: max_workers needs an executor (threads, processes or dask), "
            "not 'sequential'",
        ),
        (
            "  executor: dask\n  scheduler: tcp://127.0.0.1:8786\n  max_workers: 2\n",
            "max_workers:",
            "runner.max_workers: max_workers sizes a local Dask cluster; with a scheduler, "
            "its workers decide",
        ),
        ("  executor: threads\n  max_workers: 0\n", "max_workers:", "runner.max_workers: expected"),
        (
            "  executor: threads\n  max_workers: yes\n",
            "max_workers:",
            "runner.max_workers: expected",
        ),
        ("  executor: dask\n  scheduler: [a]\n", "scheduler:", "runner.scheduler: expected"),
    ],
)
def test_a_wrong_executor_setting_is_an_error_at_its_line(
    tmp_path: Path, runner: str, at: str, message: str
) -> None:
    workflow = project(tmp_path, runner)
    with pytest.raises(ConfigLoadError) as raised:
        load_workflow_from_yaml(workflow, write(tmp_path, "input.yaml", PER_TASK_INPUT))

    assert raised.value.line == line_of(workflow, at)
    assert f"YAML schema validation error: {message}" in str(raised.value)


# -- ExecutorChoice ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"kind": "fibers"}, "executor 'fibers' is not one of sequential, threads"),
        ({"kind": "threads", "max_workers": 0}, "max_workers must be a whole number from 1"),
        ({"kind": "threads", "max_workers": True}, "max_workers must be a whole number from 1"),
        ({"kind": "processes", "scheduler": "tcp://x:1"}, "a scheduler address is for the dask"),
        ({"kind": "dask", "scheduler": " "}, "the scheduler address must be a non-empty string"),
        ({"max_workers": 2}, "max_workers needs an executor"),
        ({"kind": "dask", "max_workers": 2, "scheduler": "tcp://x:1"}, "max_workers sizes a local"),
    ],
)
def test_an_executor_choice_that_means_nothing_is_refused(
    arguments: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=f"^ExecutorChoice: {message}"):
        ExecutorChoice(**arguments)


def test_open_starts_the_chosen_pool_and_shuts_it_down() -> None:
    with ExecutorChoice().open() as none:
        assert none is None
    with ExecutorChoice("threads", 3).open() as pool:
        assert isinstance(pool, ThreadPoolExecutor)
        assert pool.submit(sum, [1, 2]).result() == 3
        assert pool._max_workers == 3
    with pytest.raises(RuntimeError, match="shutdown"):
        pool.submit(sum, [1])


# -- the command line: --executor and --workers --------------------------------------------


def taskmaestro(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "taskmaestro", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def output(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The result of a ``run --json`` that completed."""
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    tasks: dict[str, Any] = data["result"]["job"]["tasks"]
    return {"result": data["result"]["output"], "where": tasks["locate"]["output"]}


def test_executor_flag_runs_the_tasks_in_a_pool(tmp_path: Path) -> None:
    project(tmp_path)
    write(tmp_path, "input.yaml", PER_TASK_INPUT)

    threads = output(taskmaestro(tmp_path, "run", "workflow.yaml", "input.yaml", "--json",
                                 "--executor", "threads"))  # fmt: skip
    processes = taskmaestro(
        tmp_path, "run", "workflow.yaml", "input.yaml", "--json", "-q",
        "--executor", "processes", "--workers", "2",
    )  # fmt: skip

    assert threads["where"]["thread"].startswith("ThreadPoolExecutor")
    assert output(processes)["where"]["thread"] == "MainThread"
    assert output(processes)["result"] == {"text": ">2"}
    # The worker process logs to stderr as the command does, with the task's logger.
    assert "WARNING taskmaestro.where.locate: located 2" in processes.stderr


def test_a_local_dask_cluster_runs_quietly_from_the_command_line(tmp_path: Path) -> None:
    project(tmp_path, module="quiet_dask_steps")
    write(tmp_path, "input.yaml", PER_TASK_INPUT)

    done = taskmaestro(
        tmp_path, "run", "workflow.yaml", "input.yaml", "--json", "-q",
        "--executor", "dask", "--workers", "1",
    )  # fmt: skip

    assert output(done)["where"]["pid"] != os.getpid()
    assert "INFO" not in done.stderr  # the cluster's start and stop, below the command's level


def test_workers_beside_the_sequential_runner_is_a_usage_error(tmp_path: Path) -> None:
    project(tmp_path)
    write(tmp_path, "input.yaml", PER_TASK_INPUT)

    done = taskmaestro(tmp_path, "run", "workflow.yaml", "input.yaml", "--workers", "3")
    bad = taskmaestro(tmp_path, "run", "workflow.yaml", "input.yaml", "--workers", "0")

    assert done.returncode == 2
    assert "--workers 3: max_workers needs an executor (threads, processes or dask)" in done.stderr
    assert bad.returncode == 2
    assert "expected a whole number of workers from 1 to 4096, got '0'" in bad.stderr


REMOTE = ExecutorChoice("dask", scheduler="tcp://s:1")


@pytest.mark.parametrize(
    ("executor", "workers", "file", "expected"),
    [
        (None, None, ExecutorChoice("threads", 4), ExecutorChoice("threads", 4)),
        (None, 2, ExecutorChoice("threads", 4), ExecutorChoice("threads", 2)),
        ("threads", None, ExecutorChoice("threads", 4), ExecutorChoice("threads", 4)),
        ("dask", None, ExecutorChoice("threads", 4), ExecutorChoice("dask")),
        ("dask", None, ExecutorChoice("dask", scheduler="tcp://s:1"), REMOTE),
        ("threads", 3, ExecutorChoice("dask", scheduler="tcp://s:1"), ExecutorChoice("threads", 3)),
        ("sequential", None, ExecutorChoice("processes", 2), ExecutorChoice()),
    ],
)
def test_the_flags_go_over_the_file(
    executor: str | None, workers: int | None, file: ExecutorChoice, expected: ExecutorChoice
) -> None:
    args = argparse.Namespace(executor=executor, workers=workers)
    assert executor_choice(args, file) == expected


def test_workers_beside_a_scheduler_names_the_flag() -> None:
    args = argparse.Namespace(executor=None, workers=2)
    with pytest.raises(ConfigLoadError, match=r"^--workers 2: max_workers sizes a local Dask"):
        executor_choice(args, ExecutorChoice("dask", scheduler="tcp://s:1"))


# -- --set ---------------------------------------------------------------------------------


def test_set_values_go_over_the_input_file_and_add_fields(tmp_path: Path) -> None:
    project(tmp_path)
    write(tmp_path, "input.yaml", PER_TASK_INPUT)

    done = taskmaestro(
        tmp_path, "run", "workflow.yaml", "input.yaml", "--json", "-q",
        "--set", "locate.value=5", "--set", "stamp.times=3", "--set", "stamp.prefix='7'",
    )  # fmt: skip

    assert output(done)["result"] == {"text": "7775"}


def test_set_alone_gives_every_value(tmp_path: Path) -> None:
    project(tmp_path)

    done = taskmaestro(
        tmp_path, "run", "workflow.yaml", "--json", "-q",
        "--set", "locate.value=4", "--set", "stamp.prefix=+",
    )  # fmt: skip

    assert output(done)["result"] == {"text": "+4"}


def test_set_alone_must_give_the_root_task_its_input(tmp_path: Path) -> None:
    project(tmp_path)

    done = taskmaestro(tmp_path, "run", "workflow.yaml", "--set", "stamp.prefix=+")

    assert done.returncode == 2
    assert (
        "--set: Input validation error: root task 'locate' needs its input (Number), but no "
        "--set gives it; give its fields with --set locate.FIELD=VALUE"
    ) in done.stderr


def test_set_on_a_flat_input_file_sets_the_root_task_only(tmp_path: Path) -> None:
    write(tmp_path, "flat_steps.py", STEPS)
    workflow = write(
        tmp_path,
        "flat.yaml",
        "workflow:\n  name: flat\n  tasks:\n    - task: flat_steps.Locate\n      name: locate\n",
    )
    inputs = write(tmp_path, "input.yaml", "value: 1\n")

    loaded = load(workflow, inputs, overrides=read_overrides(["locate.value=9"]))
    assert loaded.job.config.value == 9

    with pytest.raises(ConfigLoadError) as raised:
        load(workflow, inputs, overrides=read_overrides(["locate.value=9", "other.value=x"]))
    assert str(raised.value).startswith(
        "--set #2 'other.value=x': Input validation error: the input file "
    )
    assert "is flat: its keys are the input fields of root task 'locate'" in str(raised.value)
    with pytest.raises(ConfigLoadError, match=r"^--set #1 'locate\.value=x': Input validation"):
        load(workflow, inputs, overrides=read_overrides(["locate.value=x"]))


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["locate.value=2", "stamp"], "--set #2 'stamp': expected TASK.FIELD=VALUE"),
        (["locate=2"], "--set #1 'locate=2': expected TASK.FIELD=VALUE"),
        (
            ["stamp.where.value=1"],
            "--set #1 'stamp.where.value=1': 'where.value' is not one field: set the whole "
            "value of a top-level field, such as 'stamp.where={value: ...}'",
        ),
        (
            ["locate.value=2", "locat.value=1"],
            "--set #2 'locat.value=1': Input validation error: 'locat' is not a task of the "
            "workflow (did you mean 'locate'?); its tasks: locate, stamp",
        ),
        (
            ["locate.value=x"],
            "--set #1 'locate.value=x': Input validation error: task 'locate' (Number), field "
            "'value': Input should be a valid integer",
        ),
        (
            ["stamp.prefix=>", "stamp.times=[1"],
            "--set #2 'stamp.times=[1': value:2:1: Input YAML parse error:",
        ),
        (
            ["stamp.prefix=>", "stamp.tims=2"],
            "--set #2 'stamp.tims=2': Workflow validation failed: Config field 'tims' not found "
            "on Label",
        ),
        (["locate.value=!!python/name:os.system"], "--set #1 'locate.value=!!python/name:os"),
    ],
)
def test_a_wrong_set_names_its_flag_and_position(
    tmp_path: Path, flags: list[str], message: str
) -> None:
    project(tmp_path)
    write(tmp_path, "input.yaml", PER_TASK_INPUT)
    arguments = [item for flag in flags for item in ("--set", flag)]

    run = taskmaestro(tmp_path, "run", "workflow.yaml", "input.yaml", *arguments)
    check = taskmaestro(tmp_path, "validate", "workflow.yaml", "input.yaml", *arguments)

    assert (run.returncode, check.returncode) == (2, 2)
    assert message in run.stderr
    assert message in check.stderr


def test_set_binds_values_to_a_built_workflow_under_its_config_fields() -> None:
    workflow: Workflow[Any, Any] = (
        Workflow.builder(name="built").add_task(AddOne, name="one", config_fields=["value"]).build()
    )

    loaded = load_for_workflow(workflow, None, read_overrides(["one.value=41"]))
    assert loaded.job.job_configuration is not None
    assert loaded.job.job_configuration.get("one") == {"value": 41}
    with pytest.raises(ConfigLoadError, match=r"^--set #1 'one\.other=1': .*not a config field"):
        load_for_workflow(workflow, None, read_overrides(["one.other=1"]))
