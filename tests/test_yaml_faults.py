"""Hostile and odd input to the loader (issue 12): timeouts, files that are not files,
modules that would shadow the standard library, and process pools that must import
the tasks of a YAML file; plus the input file's two wrong reports of issue 11."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from taskmaestro import ConfigLoadError, JobStatus, Runner, load_workflow_from_yaml

from .yaml_support import M, assert_at, line_of, load_error, write

MARK = "# <-"


def one_task_with_timeout(tmp_path: Path, written: str) -> Path:
    return write(
        tmp_path,
        "workflow.yaml",
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
        runner:
          timeout_seconds: {written}  # <-
        """,
    )


@pytest.mark.parametrize(
    "written", [".nan", ".NaN", ".inf", "-.inf", "1e26", "-1", "0", "'30'", "soon", "true"]
)
def test_a_timeout_must_be_finite_and_positive(tmp_path: Path, written: str) -> None:
    workflow = one_task_with_timeout(tmp_path, written)
    error = load_error(workflow, write(tmp_path, "in.yaml", "value: 1\n"), match="timeout_seconds")
    assert "expected a finite positive number of seconds" in str(error)
    assert_at(error, workflow, line_of(workflow, MARK))


@pytest.mark.parametrize(("written", "seconds"), [("30", 30.0), ("0.25", 0.25), ("1.0e+9", 1e9)])
def test_a_good_timeout_is_kept(tmp_path: Path, written: str, seconds: float) -> None:
    workflow = one_task_with_timeout(tmp_path, written)
    loaded = load_workflow_from_yaml(workflow, write(tmp_path, "in.yaml", "value: 1\n"))
    assert loaded.timeout_seconds == seconds


# -- files that are not regular files ---------------------------------------------------

LOAD_ONE = """
import sys
from taskmaestro import ConfigLoadError, load_workflow_from_yaml
try:
    load_workflow_from_yaml(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
except ConfigLoadError as error:
    print(error)
"""


def load_in_child(*paths: Path | str) -> str:
    """Load in a child process, with a timeout: reading a FIFO would block forever."""
    done = subprocess.run(
        [sys.executable, "-c", LOAD_ONE, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_fifo_workflow_file_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    message = load_in_child(tmp_path / "pipe.yaml")
    assert message == (
        f"{tmp_path / 'pipe.yaml'}: Cannot read file (the workflow file): "
        "it is not a regular file (it is a FIFO)"
    )


def test_a_fifo_input_file_is_refused_without_blocking(tmp_path: Path) -> None:
    workflow = write(
        tmp_path, "w.yaml", f"workflow:\n  name: w\n  tasks:\n    - task: {M}.AddOne\n"
    )
    os.mkfifo(tmp_path / "pipe.yaml")
    message = load_in_child(workflow, tmp_path / "pipe.yaml")
    assert "Cannot read input file (the input file): it is not a regular file (it is a FIFO)" in (
        message
    )


def test_a_device_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigLoadError, match=r"it is not a regular file \(it is a device\)"):
        load_workflow_from_yaml("/dev/zero")


# -- the input file's wrong reports (issue 11) --------------------------------------------


def test_one_misspelled_task_key_is_reported_by_name_at_its_line(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.Scale
              name: load
            - task: {M}.AddOffset
              name: transform
              depends_on:
                value: [load, value]
        """,
    )
    inputs = write(
        tmp_path,
        "in.yaml",
        """
        load:
          value: 2
          factor: 3
        transfrom:  # <-
          offset: 4
        """,
    )
    error = load_error(workflow, inputs, match="'transfrom' is not a task of the workflow")
    assert "did you mean 'transform'?" in str(error)
    assert_at(error, inputs, line_of(inputs, MARK))


def test_a_python_tag_is_reported_as_a_refused_tag_at_its_line(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: !!python/tuple [a, b]  # <-
          tasks:
            - task: {M}.AddOne
        """,
    )
    error = load_error(workflow, match="refused tag '!!python/tuple'")
    assert "expected a name" not in str(error)
    assert_at(error, workflow, line_of(workflow, MARK))


# -- modules beside the file --------------------------------------------------------------

STEPS = """
import colorsys
import json

from pydantic import BaseModel

from taskmaestro import ExecutionContext, Task


class Number(BaseModel):
    value: int


class Report(BaseModel):
    text: str
    hue: float


class Describe(Task[Number, Report]):
    def run(self, input: Number, ctx: ExecutionContext) -> Report:
        return Report(text=json.dumps({"value": input.value}), hue=colorsys.rgb_to_hsv(1, 0, 0)[0])
"""

SHADOWED = """
workflow:
  name: shadowed
  tasks:
    - task: shadow_steps.Describe
"""

SHOW_MODULES = """
import json, sys
from taskmaestro import load_workflow_from_yaml
job = load_workflow_from_yaml(sys.argv[1], sys.argv[2]).run()
print(json.dumps({
    "status": job.status.value,
    "error": job.error,
    "result": job.result.model_dump() if job.result is not None else None,
    "json": sys.modules["json"].__file__,
    "colorsys": sys.modules["colorsys"].__file__,
}))
"""


@pytest.fixture
def shadowing_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    write(folder, "shadow_steps.py", STEPS)
    write(folder, "json.py", "raise RuntimeError('the json.py beside the file was imported')\n")
    write(folder, "colorsys.py", "raise RuntimeError('the colorsys.py beside was imported')\n")
    write(folder, "workflow.yaml", SHADOWED)
    write(folder, "input.yaml", "value: 7\n")
    return folder


def test_modules_beside_the_file_never_shadow_the_standard_library(
    shadowing_folder: Path, tmp_path: Path
) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            SHOW_MODULES,
            str(shadowing_folder / "workflow.yaml"),
            str(shadowing_folder / "input.yaml"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["status"] == "completed", seen["error"]
    assert seen["result"] == {"text": '{"value": 7}', "hue": 0.0}
    assert not Path(seen["json"]).is_relative_to(shadowing_folder)
    assert not Path(seen["colorsys"]).is_relative_to(shadowing_folder)


@pytest.mark.parametrize("command", ["run", "check", "validate", "run --json", "run --nope --json"])
@pytest.mark.parametrize("how", ["module", "script"])
def test_check_and_run_agree_on_a_folder_with_a_json_py(
    shadowing_folder: Path, command: str, how: str
) -> None:
    program = (
        [sys.executable, "-m", "taskmaestro"]
        if how == "module"
        else [str(Path(sys.executable).parent / "taskmaestro")]
    )
    done = subprocess.run(
        [*program, *command.split(), "workflow.yaml", "input.yaml", "-q"],
        cwd=shadowing_folder,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "Traceback" not in done.stderr
    if "--nope" in command:  # wrong arguments: still the JSON document, from the real json
        assert done.returncode == 2
        assert '"taskmaestro-usage"' in done.stdout
    else:
        assert done.returncode == 0, (done.stdout, done.stderr)
    if "--json" in command:
        assert done.stdout.startswith('{"format": 1, ')


# -- process pools --------------------------------------------------------------------

POOL_STEPS = """
import os

from pydantic import BaseModel

from taskmaestro import ExecutionContext, Task


class Number(BaseModel):
    value: int


class Worker(BaseModel):
    value: int
    pid: int


class Triple(Task[Number, Worker]):
    def run(self, input: Number, ctx: ExecutionContext) -> Worker:
        return Worker(value=input.value * 3, pid=os.getpid())
"""


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_yaml_tasks_run_on_spawn_and_forkserver_pools(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    module = f"pool_steps_{method}"
    folder = tmp_path / "project"
    write(folder, f"{module}.py", POOL_STEPS)
    workflow = write(
        folder, "workflow.yaml", f"workflow:\n  name: pool\n  tasks:\n    - task: {module}.Triple\n"
    )
    inputs = write(folder, "input.yaml", "value: 5\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    loaded = load_workflow_from_yaml(workflow, inputs)
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        job = Runner(executor=pool).run(loaded.job, ctx=loaded.context)
    assert job.status is JobStatus.COMPLETED, job.error
    assert job.result is not None
    assert job.result.value == 15
    assert job.result.pid != os.getpid()
