"""What a user installs: the wheel's contents, and the plugin working from a wheel and a checkout.

The wheel tests build the wheel once, install it into one fresh virtual
environment (pydantic, PyYAML and mypy come from the package index through
pip's cache) and run mypy there on a small project with a wiring error. The
project keeps its own ``mypy_plugin.py`` at its root, as some projects do: it
must not stand in for taskmaestro's plugin. These tests take about a minute.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path

import mypy.version
import pytest

import mypy_plugin

ROOT = Path(__file__).resolve().parent.parent

PIPELINE = """\
from pydantic import BaseModel

from taskmaestro import ExecutionContext, Task, Workflow


class Number(BaseModel):
    value: int


class Text(BaseModel):
    text: str


class Count(Task[Number, Number]):
    def run(self, input: Number, context: ExecutionContext) -> Number:
        return Number(value=input.value + 1)


class Shout(Task[Text, Text]):
    def run(self, input: Text, context: ExecutionContext) -> Text:
        return Text(text=input.text.upper())


workflow = Workflow(name="broken", tasks=[Count, Shout])
"""

WIRING_ERROR = (
    "pipeline.py:24: error: Type mismatch: task 'shout' takes \"Text\", "
    "but the output of 'count' is \"Number\"  [taskmaestro-type]"
)

MYPY_INI = "[mypy]\nstrict = true\nplugins = pydantic.mypy, taskmaestro.mypy\n"


def _user_project(folder: Path) -> Path:
    """A project with a wiring error and a root module named like the plugin's folder."""
    folder.mkdir()
    (folder / "pipeline.py").write_text(PIPELINE)
    (folder / "mypy_plugin.py").write_text('"""This project\'s own module of that name."""\n')
    (folder / "mypy.ini").write_text(MYPY_INI)
    return folder


def _clean_environment() -> dict[str, str]:
    """This process's environment without Python path, mypy or virtual-environment settings."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "MYPY", "TASKMAESTRO_", "VIRTUAL_ENV"))
    }


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=_clean_environment(), capture_output=True, text=True, timeout=600
    )


def _mypy(python: Path, project: Path) -> list[str]:
    """``python -m mypy .`` in ``project`` (so the project's root comes first on sys.path)."""
    done = _run([str(python), "-m", "mypy", "."], project)
    assert done.returncode == 1, done.stdout + done.stderr
    return done.stdout.splitlines()


@dataclass(frozen=True)
class Installed:
    wheel: Path
    python: Path


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel of this checkout, installed into a fresh virtual environment."""
    folder = tmp_path_factory.mktemp("wheel")
    built = _run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(folder)],
        ROOT,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = folder.glob("taskmaestro-*.whl")
    environment = folder / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    # The same mypy as this run's: pip's cache has it.
    pins = [str(wheel), f"mypy=={mypy.version.__version__}"]
    done = _run([str(python), "-m", "pip", "install", "-q", *pins], folder)
    assert done.returncode == 0, done.stderr
    return Installed(wheel, python)


def test_the_wheel_holds_only_the_taskmaestro_package(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as archive:
        names = archive.namelist()
    top_level = {name.split("/")[0] for name in names}
    assert top_level == {"taskmaestro", "taskmaestro-0.1.0.dist-info"}
    plugin = "taskmaestro/_mypy_plugin/"
    plugin_files = {Path(name).name for name in names if name.startswith(plugin)}
    assert plugin_files == {path.name for path in (ROOT / "mypy_plugin").glob("*.py")}
    assert "taskmaestro/py.typed" in names
    assert "taskmaestro/workflow.schema.json" in names
    assert "taskmaestro/cli.schema.json" in names
    assert "taskmaestro/run_record.schema.json" in names
    assert "taskmaestro-0.1.0.dist-info/licenses/LICENSE" in names
    assert not any("__pycache__" in name for name in names)


def test_the_installed_plugin_reports_wiring_errors_cold_and_warm(
    installed: Installed, tmp_path: Path
) -> None:
    project = _user_project(tmp_path / "project")
    assert _mypy(installed.python, project)[0] == WIRING_ERROR
    # Warm: every module fresh in the cache, no hook runs; the code is printed all the same.
    assert _mypy(installed.python, project)[0] == WIRING_ERROR


def test_the_installed_plugin_comes_from_the_wheel_with_the_source_digest(
    installed: Installed, tmp_path: Path
) -> None:
    project = _user_project(tmp_path / "project")
    code = (
        "import sys, taskmaestro.mypy; "
        "print(sys.modules['taskmaestro._mypy_plugin'].__file__); "
        "print(taskmaestro.mypy.__version__)"
    )
    done = _run([str(installed.python), "-c", code], project)
    assert done.returncode == 0, done.stderr
    location, version = done.stdout.splitlines()
    site_packages = installed.python.parent.parent / "lib"
    assert Path(location).is_relative_to(site_packages)
    assert Path(location).parent.name == "_mypy_plugin"
    assert version == mypy_plugin.__version__


def test_a_checkout_with_a_user_mypy_plugin_module_runs_our_plugin(tmp_path: Path) -> None:
    """The editable install of `make`: the same project, checked by this environment's mypy."""
    project = _user_project(tmp_path / "project")
    assert _mypy(Path(sys.executable), project)[0] == WIRING_ERROR
