"""A YAML workflow on a real Dask cluster: a scheduler and a worker started as separate programs
in another folder, where the task module beside the workflow file cannot be imported; and on
``spawn``/``forkserver`` pools whose workers cannot import it either.

The task modules a workflow file's loader imported travel with the work, pickled by value.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from taskmaestro import JobStatus, Runner, load_workflow_from_yaml

from .test_yaml_faults import POOL_STEPS
from .yaml_support import write

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "text_analysis"
DASK = Path(sys.executable).parent / "dask"
START_TIMEOUT = 120.0
"""Seconds for the scheduler or a worker to come up on a busy machine."""


def start(command: list[str], folder: Path, log: str) -> subprocess.Popen[bytes]:
    """Start ``command`` in ``folder`` as a session of its own, its output in ``folder/log``."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    with (folder / log).open("wb") as output:
        return subprocess.Popen(
            command,
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop ``process`` and whatever it started (its session), waiting for it."""
    if process.poll() is None:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):  # a worker's nanny may leave its child behind
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def address_of(scheduler_file: Path, scheduler: subprocess.Popen[bytes]) -> str:
    """The scheduler's address, once it has written its file."""
    give_up = time.monotonic() + START_TIMEOUT
    while time.monotonic() < give_up:
        if scheduler.poll() is not None:
            log = (scheduler_file.parent / "scheduler.log").read_text()
            pytest.fail(f"the Dask scheduler exited with {scheduler.returncode}:\n{log}")
        try:
            address = json.loads(scheduler_file.read_text())["address"]
        except (OSError, ValueError, KeyError):
            time.sleep(0.2)
            continue
        assert isinstance(address, str)
        return address
    pytest.fail(f"the Dask scheduler wrote no {scheduler_file.name} in {START_TIMEOUT:g}s")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A scheduler and one worker process (2 threads), started in an empty folder."""
    folder = tmp_path_factory.mktemp("cluster")
    scheduler_file = folder / "scheduler.json"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        scheduler_command = [
            str(DASK),
            "scheduler",
            "--host=127.0.0.1",
            "--port=0",  # free ports only
            "--dashboard-address=:0",
            f"--scheduler-file={scheduler_file}",
        ]
        processes.append(start(scheduler_command, folder, "scheduler.log"))
        address = address_of(scheduler_file, processes[0])
        worker_command = [str(DASK), "worker", address, "--nthreads=2", "--no-dashboard"]
        processes.append(start(worker_command, folder, "worker.log"))
        yield address
    finally:
        for process in reversed(processes):
            stop(process)


def test_the_example_yaml_runs_on_a_cluster_started_elsewhere(cluster: str) -> None:
    from distributed import Client

    expected = load_workflow_from_yaml(EXAMPLE / "workflow.yaml", EXAMPLE / "input.yaml").run()
    loaded = load_workflow_from_yaml(EXAMPLE / "workflow.yaml", EXAMPLE / "input.yaml")
    with Client(cluster, timeout=START_TIMEOUT) as client:
        client.wait_for_workers(1, timeout=START_TIMEOUT)
        # The workers cannot import the example's task module: it travels with the work.
        assert set(client.run(importlib.util.find_spec, "pipeline").values()) == {None}
        job = Runner(executor=client.get_executor()).run(loaded.job, ctx=loaded.context)

    assert job.status is JobStatus.COMPLETED, job.error
    assert job.result == expected.result
    assert {r.task_name for r in job.task_results} == {r.task_name for r in expected.task_results}


def test_a_yaml_file_that_names_the_scheduler_runs_there_from_the_command_line(
    cluster: str, tmp_path: Path
) -> None:
    folder = tmp_path / "example"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("__pycache__"))
    workflow = folder / "workflow.yaml"
    text = workflow.read_text()
    assert "\nrunner:\n" in text
    workflow.write_text(
        text.replace("\nrunner:\n", f"\nrunner:\n  executor: dask\n  scheduler: {cluster}\n")
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    command = ["run", str(workflow), str(folder / "input.yaml"), "--json", "-q"]
    done = subprocess.run(
        [sys.executable, "-m", "taskmaestro", *command],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    expected = load_workflow_from_yaml(EXAMPLE / "workflow.yaml", EXAMPLE / "input.yaml").run()
    assert expected.result is not None
    assert json.loads(done.stdout)["result"]["output"] == expected.result.model_dump(mode="json")


def forget(folder: str) -> None:
    """A worker's initializer: the workflow's folder is not on its ``sys.path``."""
    while folder in sys.path:
        sys.path.remove(folder)


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_a_pool_whose_workers_cannot_import_the_task_module_runs_it(
    tmp_path: Path, method: str
) -> None:
    module = f"by_value_steps_{method}"
    folder = tmp_path / "project"
    write(folder, f"{module}.py", POOL_STEPS)
    workflow = write(
        folder, "workflow.yaml", f"workflow:\n  name: pool\n  tasks:\n    - task: {module}.Triple\n"
    )
    inputs = write(folder, "input.yaml", "value: 5\n")
    loaded = load_workflow_from_yaml(workflow, inputs)

    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(
        1, mp_context=context, initializer=forget, initargs=(str(folder.resolve()),)
    ) as pool:
        assert pool.submit(importlib.util.find_spec, module).result() is None
        job = Runner(executor=pool).run(loaded.job, ctx=loaded.context)

    assert job.status is JobStatus.COMPLETED, job.error
    assert job.result is not None
    assert (job.result.value, type(job.result).__module__) == (15, module)
    assert job.result.pid != os.getpid()


LOCKED_STEPS = """
    import threading

    from pydantic import BaseModel

    from taskmaestro import ExecutionContext, Task

    GUARD = threading.Lock()  # cannot be pickled: the module cannot travel by value


    class Number(BaseModel):
        value: int


    class Guarded(Task[Number, Number]):
        def run(self, input: Number, ctx: ExecutionContext) -> Number:
            with GUARD:
                return Number(value=input.value + 1)
"""


def test_a_module_that_cannot_travel_by_value_goes_by_reference_as_before(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "project"
    write(folder, "locked_steps.py", LOCKED_STEPS)
    workflow = write(
        folder,
        "workflow.yaml",
        "workflow:\n  name: locked\n  tasks:\n    - task: locked_steps.Guarded\n",
    )
    loaded = load_workflow_from_yaml(workflow, write(folder, "input.yaml", "value: 1\n"))

    # The pool's workers have the folder on sys.path (the loader appended it): they import it.
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver")) as pool:
        job = Runner(executor=pool).run(loaded.job, ctx=loaded.context)

    assert job.status is JobStatus.COMPLETED, job.error
    assert job.result is not None
    assert job.result.value == 2
