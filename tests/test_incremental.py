"""The plugin gives the same errors cold, from a warm cache, and under the mypy daemon.

A small project: ``flow`` and ``clean`` wire tasks from ``tasks``, whose
models come from ``models`` and ``models2``; neither wiring module imports
``models2``, and ``clean`` has no error. mypy runs cold, then warm on the same
cache, then through ``dmypy run``. Then a field of a model in ``models2``
changes type, which breaks the wirings in ``clean``, and the three runs go
again. The daemon re-checks files that had errors anyway; it must also see
the new errors in ``clean``, which did not change and does not import the
edited module (the plugin registers the dependencies mypy cannot see).
Last, a class that only model fields mention changes its base: the warm run
must re-check ``clean`` too (the plugin reports the modules it read).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

MODELS2 = """
from pydantic import BaseModel


class Shared(BaseModel):
    value: int
    note: str = ""


class SharedOut(BaseModel):
    keywords: list[str]
"""

MODELS3 = """
from pydantic import BaseModel


class Base(BaseModel):
    x: int


class Sub(Base):
    pass
"""

MODELS = """
from pydantic import BaseModel

from models2 import Shared
from models3 import Base, Sub


class Input(BaseModel):
    text: str


class Merged(BaseModel):
    shared: Shared
    count: int


class Holder(BaseModel):
    item: Sub


class Wants(BaseModel):
    item: Base
"""

TASKS = """
from pydantic import BaseModel

from models import Holder, Input, Merged, Wants
from models2 import Shared, SharedOut
from taskmaestro import ExecutionContext, Task


class Load(Task[Input, Shared]):
    def run(self, input: Input, ctx: ExecutionContext) -> Shared:
        return Shared(value=len(input.text))


class Extract(Task):
    class Inputs(BaseModel):
        shared: Shared

    class Outputs(SharedOut):
        removed: int

    def run(self, input: Inputs, ctx: ExecutionContext) -> Outputs:
        return self.Outputs(keywords=[], removed=input.shared.value)


class Combine(Task[Merged, Merged]):
    def run(self, input: Merged, ctx: ExecutionContext) -> Merged:
        return input


class Mislabelled(Task):
    class Inputs(BaseModel):
        text: str

    class Outputs(BaseModel):
        size: int

    def run(self, input: Input, ctx: ExecutionContext) -> Outputs:
        return self.Outputs(size=len(input.text))


class Hold(Task[Input, Holder]):
    def run(self, input: Input, ctx: ExecutionContext) -> Holder:
        raise NotImplementedError


class Take(Task[Wants, Wants]):
    def run(self, input: Wants, ctx: ExecutionContext) -> Wants:
        return input
"""

FLOW = """
from tasks import Combine, Extract, Load
from taskmaestro import Workflow

workflow = (
    Workflow.builder(name="flow", result_task="combine")
    .add_task(Load)
    .add_task(Extract, depends_on={"shared": Load})
    .add_task(Combine, depends_on={"shared": Load, "count": (Load, "value")})
    .add_task(Combine, name="bad", depends_on={"shared": Load, "count": (Extract, "keywords")})
    .build()
)
reveal_type(workflow)

other = Workflow(name="other", tasks=[Load, Extract])
"""

CLEAN = """
from tasks import Combine, Hold, Load, Take
from taskmaestro import Workflow

workflow = (
    Workflow.builder(name="clean")
    .add_task(Load)
    .add_task(Combine, depends_on={"shared": Load, "count": (Load, "value")})
    .build()
)


def build() -> None:
    inner = (
        Workflow.builder(name="inner")
        .add_task(Load)
        .add_task(Combine, depends_on={"shared": Load, "count": (Load, "value")})
        .build()
    )
    print(inner)


held = Workflow.builder(name="held").add_task(Hold).add_task(
    Take, depends_on={"item": (Hold, "item")}
).build()
"""

CONFIG = """
[mypy]
strict = true
plugins = pydantic.mypy, taskmaestro.mypy
"""


def _write(project: Path, name: str, text: str) -> None:
    (project / name).write_text(textwrap.dedent(text).lstrip())


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name, text in [
        ("models2.py", MODELS2),
        ("models3.py", MODELS3),
        ("models.py", MODELS),
        ("tasks.py", TASKS),
        ("flow.py", FLOW),
        ("clean.py", CLEAN),
        ("mypy.ini", CONFIG),
    ]:
        _write(tmp_path, name, text)
    return tmp_path


_FILES = ["flow.py", "clean.py", "tasks.py", "models.py", "models2.py", "models3.py"]


def _env() -> dict[str, str]:
    return {**os.environ, "TASKMAESTRO_MYPY_DEBUG": "1"}


def _mypy(project: Path, cache: str) -> str:
    command = [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "--cache-dir", cache]
    done = subprocess.run(
        [*command, *_FILES], cwd=project, env=_env(), capture_output=True, text=True, timeout=300
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return _normalized(done.stdout)


def _normalized(output: str) -> str:
    """mypy's messages, file by file (the daemon orders files differently), no chatter."""
    found: list[tuple[str, int, int, str]] = []
    for position, line in enumerate(output.splitlines()):
        match = re.match(r"^([\w./-]+\.py):(\d+): ", line)
        if match is not None:
            found.append((match[1], int(match[2]), position, line))
    return "\n".join(line for *_, line in sorted(found))


class _Daemon:
    def __init__(self, project: Path) -> None:
        self.project = project
        self.status = project / ".dmypy.json"

    def run(self) -> str:
        return self.run_files(_FILES)

    def run_files(self, files: list[str]) -> str:
        command = [sys.executable, "-m", "mypy.dmypy", "--status-file", str(self.status), "run"]
        done = subprocess.run(
            [*command, "--", "--config-file", "mypy.ini", *files],
            cwd=self.project,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode in (0, 1), done.stdout + done.stderr
        return _normalized(done.stdout)

    def stop(self) -> None:
        if not self.status.exists():
            return
        pid = json.loads(self.status.read_text()).get("pid")
        command = [sys.executable, "-m", "mypy.dmypy", "--status-file", str(self.status), "stop"]
        stopped = subprocess.run(command, cwd=self.project, capture_output=True, timeout=60)
        if stopped.returncode != 0 and isinstance(pid, int):
            os.kill(pid, signal.SIGTERM)  # the daemon this test started, by its id


@pytest.fixture
def daemon(project: Path) -> Iterator[_Daemon]:
    started = _Daemon(project)
    try:
        yield started
    finally:
        started.stop()


def test_cold_warm_and_daemon_agree(project: Path, daemon: _Daemon) -> None:
    cold = _mypy(project, ".cache-a")
    assert "Workflow[models.Input, models.Merged]" in cold
    assert "field 'count' of task 'bad' is \"int\", but field 'keywords' of 'extract' is" in cold
    assert "Type mismatch: task 'extract' takes \"Extract.Inputs\"" in cold
    assert 'tasks.py:36: error: Task Mislabelled: run() takes "Input"' in cold
    assert _mypy(project, ".cache-a") == cold
    assert daemon.run() == cold

    assert "clean.py" not in cold

    # A field two imports away from the wiring changes type; clean.py had no error.
    _write(project, "models2.py", MODELS2.replace("value: int", "value: str"))
    edited = _mypy(project, ".cache-b")
    assert edited != cold
    mismatch = "error: Fan-in type mismatch: field 'count' of task 'combine' is \"int\""
    assert f"clean.py:7: {mismatch}" in edited
    assert f"clean.py:16: {mismatch}" in edited
    assert _mypy(project, ".cache-a") == edited
    assert daemon.run() == edited
    assert _mypy(project, ".cache-a") == edited

    # A class that only model fields mention stops being a subclass: the only way
    # from clean.py to models3 is through the fields of the models in models.py.
    _write(
        project,
        "models3.py",
        MODELS3.replace("class Sub(Base):\n    pass", "class Sub(BaseModel):\n    x: int"),
    )
    edited_again = _mypy(project, ".cache-c")
    assert (
        "clean.py:23: error: Fan-in type mismatch: field 'item' of task 'take' is \"Base\", "
        "but field 'item' of 'hold' is \"Sub\"" in edited_again
    )
    assert _mypy(project, ".cache-a") == edited_again
    assert daemon.run() == edited_again


# The editor loop, once per place a wiring can stand: every wiring module is
# clean, then an edit of the models module breaks each of them, then the edit
# is reverted. The daemon and a warm cache must say what a cold run says at
# each step. No wiring module imports `models` itself; `deep` is imported by
# nobody but `models` (its class appears only in a model field).
LOOP_DEEP = """
from pydantic import BaseModel


class Base(BaseModel):
    x: int


class Sub(Base):
    pass
"""

LOOP_MODELS = """
from pydantic import BaseModel

from deep import Base, Sub


class Input(BaseModel):
    text: str


class Shared(BaseModel):
    value: int


class Merged(BaseModel):
    shared: Shared
    count: int


class Holder(BaseModel):
    item: Sub


class Wants(BaseModel):
    item: Base
"""

LOOP_TASKS = """
from models import Holder, Input, Merged, Shared, Wants
from taskmaestro import ExecutionContext, Task


class Load(Task[Input, Shared]):
    def run(self, input: Input, ctx: ExecutionContext) -> Shared:
        return Shared(value=len(input.text))


class Combine(Task[Merged, Merged]):
    def run(self, input: Merged, ctx: ExecutionContext) -> Merged:
        return input


class Hold(Task[Input, Holder]):
    def run(self, input: Input, ctx: ExecutionContext) -> Holder:
        raise NotImplementedError


class Take(Task[Wants, Wants]):
    def run(self, input: Wants, ctx: ExecutionContext) -> Wants:
        return input
"""

_FAN_IN = '{"shared": Load, "count": (Load, "value")}'

PLACEMENTS = {
    "module_level": f"""
from tasks import Combine, Load
from taskmaestro import Workflow

workflow = Workflow.builder(name="w").add_task(Load).add_task(Combine, depends_on={_FAN_IN}).build()
""",
    "function_body": f"""
from tasks import Combine, Load
from taskmaestro import Workflow


def make() -> None:
    workflow = (
        Workflow.builder(name="w").add_task(Load).add_task(Combine, depends_on={_FAN_IN}).build()
    )
    print(workflow)
""",
    "returned_chain": f"""
from typing import Any

from tasks import Combine, Load
from taskmaestro import Workflow


def make() -> Workflow[Any, Any]:
    return Workflow.builder(name="w").add_task(Load).add_task(Combine, depends_on={_FAN_IN}).build()
""",
    "method": f"""
from typing import Any

from tasks import Combine, Load
from taskmaestro import Workflow


class Factory:
    def make(self) -> Workflow[Any, Any]:
        builder = Workflow.builder(name="w").add_task(Load)
        return builder.add_task(Combine, depends_on={_FAN_IN}).build()
""",
    "several_statements": f"""
from tasks import Combine, Load
from taskmaestro import Workflow

first = Workflow.builder(name="w").add_task(Load)
second = first.add_task(Combine, depends_on={_FAN_IN})
workflow = second.build()
""",
    "closure": f"""
from collections.abc import Callable
from typing import Any

from tasks import Combine, Load
from taskmaestro import Workflow


def outer() -> Callable[[], Workflow[Any, Any]]:
    def inner() -> Workflow[Any, Any]:
        builder = Workflow.builder(name="w").add_task(Load)
        return builder.add_task(Combine, depends_on={_FAN_IN}).build()

    return inner
""",
    "set_result_in_chain": f"""
from tasks import Combine, Load
from taskmaestro import Workflow

workflow = (
    Workflow.builder(name="w").add_task(Load).set_result_task(Load)
    .add_task(Combine, depends_on={_FAN_IN}).set_result_task(Combine).build()
)
""",
    "workflow_into_job": """
from tasks import Hold, Take
from taskmaestro import Job, JobConfiguration, Workflow
from taskmaestro.models import EmptyConfig


def run() -> None:
    print(Job(workflow=Workflow.builder(name="w").add_task(Hold, config_fields=["text"]).add_task(
        Take, depends_on={"item": (Hold, "item")}).build(), config=EmptyConfig(),
        job_configuration=JobConfiguration({"hold": {"text": "x"}})))
""",
}


def _loop_project(folder: Path) -> list[str]:
    for name, text in [
        ("deep.py", LOOP_DEEP),
        ("models.py", LOOP_MODELS),
        ("tasks.py", LOOP_TASKS),
        ("mypy.ini", CONFIG),
    ]:
        _write(folder, name, text)
    for name, text in PLACEMENTS.items():
        _write(folder, f"{name}.py", text)
    return [f"{name}.py" for name in PLACEMENTS] + ["tasks.py", "models.py", "deep.py"]


def test_editor_loop_in_every_placement(tmp_path: Path) -> None:
    files = _loop_project(tmp_path)
    daemon = _Daemon(tmp_path)
    try:
        steps = [
            ("clean", None),
            ("edited", ("models.py", LOOP_MODELS.replace("value: int", "value: str"))),
            (
                "edited deep",
                (
                    "deep.py",
                    LOOP_DEEP.replace(
                        "class Sub(Base):\n    pass", "class Sub(BaseModel):\n    x: int"
                    ),
                ),
            ),
            ("reverted", ("models.py", LOOP_MODELS)),
            ("reverted deep", ("deep.py", LOOP_DEEP)),
        ]
        only_job = {"workflow_into_job"}
        expected_broken = {
            "clean": set(),
            "edited": set(PLACEMENTS) - only_job,
            "edited deep": set(PLACEMENTS),
            "reverted": only_job,
            "reverted deep": set(),
        }
        for step, edit in steps:
            if edit is not None:
                _write(tmp_path, *edit)
            cold = _mypy_files(tmp_path, f".cache-{step.replace(' ', '-')}", files)
            warm = _mypy_files(tmp_path, ".cache-warm", files)
            served = daemon.run_files(files)
            for placement in PLACEMENTS:
                expected = _of(cold, placement)
                assert _of(warm, placement) == expected, f"warm cache, {step}: {placement}"
                assert _of(served, placement) == expected, f"dmypy, {step}: {placement}"
            broken = {placement for placement in PLACEMENTS if _of(cold, placement)}
            assert broken == expected_broken[step], cold
    finally:
        daemon.stop()


def _of(output: str, placement: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(f"{placement}.py:")]


def _mypy_files(project: Path, cache: str, files: list[str]) -> str:
    command = [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "--cache-dir", cache]
    done = subprocess.run(
        [*command, *files], cwd=project, env=_env(), capture_output=True, text=True, timeout=300
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return _normalized(done.stdout)


# Handles (issue 14.6): a handle made in one module and wired in another keeps
# its instance name and output type through the cache and the daemon.
HANDLES = """
from tasks import Load
from taskmaestro import Workflow

builder = Workflow.builder(name="handles")
load = builder.task(Load, name="loader")
"""

HANDLES_USE = """
from handles import builder, load
from tasks import Combine
from taskmaestro import collect

builder.task(Combine, shared=load, count=load.field("value"))
builder.task(Combine, name="wrong", shared=load, count=load)
keys = collect(load, load)
"""

_HANDLE_FILES = ["handles_use.py", "handles.py", "tasks.py", "models.py", "models2.py"]


def test_handles_cold_warm_and_daemon_agree(project: Path) -> None:
    _write(project, "handles.py", HANDLES)
    _write(project, "handles_use.py", HANDLES_USE)
    daemon = _Daemon(project)
    try:
        cold = _mypy_files(project, ".cache-a", _HANDLE_FILES)
        assert "field 'count' of task 'wrong' is \"int\", but the output of 'loader'" in cold
        assert "handles_use.py:5:" not in cold
        assert _mypy_files(project, ".cache-a", _HANDLE_FILES) == cold
        assert daemon.run_files(_HANDLE_FILES) == cold

        _write(project, "models2.py", MODELS2.replace("value: int", "value: str"))
        edited = _mypy_files(project, ".cache-b", _HANDLE_FILES)
        assert "field 'count' of task 'combine' is \"int\", but field 'value' of 'loader'" in edited
        assert _mypy_files(project, ".cache-a", _HANDLE_FILES) == edited
        assert daemon.run_files(_HANDLE_FILES) == edited
    finally:
        daemon.stop()
