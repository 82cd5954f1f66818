"""A throwaway virtual environment with two tiny task packages installed by pip.

``tm_demo_plugins`` registers tasks and workflows under the entry-point groups
(some of them broken on purpose); ``tm_demo_other`` registers one task
identifier that the first package registers too, with another value (an
ambiguous name). The wheels are written here (no build backend needed) and
installed with ``pip install --no-deps --no-index``; the environment sees the
test interpreter's packages (taskmaestro, pydantic) through a ``.pth`` file.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PluginVenv", "make_plugin_venv"]

DEMO_MODULE = '''\
"""Demo tasks and workflows registered by entry points."""

from pydantic import BaseModel

from taskmaestro import ExecutionContext, Task, Workflow


class Number(BaseModel):
    value: int


class AddOne(Task[Number, Number]):
    """Adds one to the value."""

    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        print("add_one prints to stdout")
        return Number(value=input.value + 1)


class Double(Task[Number, Number]):
    """Doubles the value."""

    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        return Number(value=input.value * 2)


class Fail(Task[Number, Number]):
    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        raise ValueError(f"secret value {input.value}")


pipeline = (
    Workflow.builder(name="demo_pipeline")
    .add_task(AddOne, name="add_one", config_fields=["value"])
    .add_task(Double, name="double", depends_on="add_one")
    .build()
)

failing = (
    Workflow.builder(name="demo_failing")
    .add_task(AddOne, name="add_one", config_fields=["value"])
    .add_task(Fail, name="fail", depends_on="add_one")
    .build()
)

NOT_A_TASK = 3
'''

BROKEN_MODULE = 'raise RuntimeError("this plugin module is broken")\n'

OTHER_MODULE = """\
from pydantic import BaseModel

from taskmaestro import ExecutionContext, Task


class Text(BaseModel):
    text: str


class Echo(Task[Text, Text]):
    def run(self, input: Text, ctx: ExecutionContext) -> Text:
        return input
"""

DEMO_ENTRY_POINTS = """\
[taskmaestro.tasks]
demo.add_one = tm_demo_plugins:AddOne
demo.double = tm_demo_plugins:Double
demo.fail = tm_demo_plugins:Fail
demo.broken = tm_demo_plugins.broken:Thing
demo.not_a_task = tm_demo_plugins:NOT_A_TASK
demo.shared = tm_demo_plugins:AddOne

[taskmaestro.workflows]
demo.pipeline = tm_demo_plugins:pipeline
demo.failing = tm_demo_plugins:failing
demo.broken = tm_demo_plugins.broken:flow
demo.not_a_workflow = tm_demo_plugins:AddOne
"""

OTHER_ENTRY_POINTS = """\
[taskmaestro.tasks]
other.echo = tm_demo_other:Echo
demo.shared = tm_demo_other:Echo
"""


@dataclass(frozen=True)
class PluginVenv:
    """The environment: its interpreter and an ``env`` for subprocesses."""

    python: Path

    def command(self, *args: str) -> list[str]:
        """``python -m taskmaestro ARGS`` in the environment."""
        return [str(self.python), "-m", "taskmaestro", *args]

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("PYTHONWARNINGS", None)
        env.pop("PYTHONPATH", None)
        return env


def make_plugin_venv(folder: Path) -> PluginVenv:
    """Create the environment under ``folder`` and install both packages into it."""
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(folder / "venv")
    python = folder / "venv" / "bin" / "python"
    site_packages = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # The test interpreter's packages (taskmaestro editable, pydantic, ...), after its own.
    parent = [entry for entry in sys.path if entry and Path(entry).is_dir()]
    (site_packages / "_taskmaestro_tests_parent.pth").write_text(
        "\n".join(parent) + "\n", encoding="utf-8"
    )
    wheels = [
        _wheel(
            folder,
            "tm_demo_plugins",
            {
                "tm_demo_plugins/__init__.py": DEMO_MODULE,
                "tm_demo_plugins/broken.py": BROKEN_MODULE,
            },
            DEMO_ENTRY_POINTS,
        ),
        _wheel(folder, "tm_demo_other", {"tm_demo_other.py": OTHER_MODULE}, OTHER_ENTRY_POINTS),
    ]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--disable-pip-version-check",
            *map(str, wheels),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return PluginVenv(python)


def _wheel(folder: Path, name: str, files: dict[str, str], entry_points: str) -> Path:
    """A pure-Python wheel holding ``files`` and the entry points."""
    version = "1.0"
    info = f"{name}-{version}.dist-info"
    contents = {
        **files,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: taskmaestro-tests\nRoot-Is-Purelib: true\n"
            "Tag: py3-none-any\n"
        ),
        f"{info}/entry_points.txt": entry_points,
    }
    record = [f"{path},{_digest(text)},{len(text.encode())}" for path, text in contents.items()]
    record.append(f"{info}/RECORD,,")
    contents[f"{info}/RECORD"] = "\n".join(record) + "\n"
    path = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in contents.items():
            archive.writestr(member, text)
    return path


def _digest(text: str) -> str:
    digest = hashlib.sha256(text.encode()).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
