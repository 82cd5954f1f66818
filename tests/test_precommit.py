"""The pre-commit set-up of docs/precommit.md works: run by pre-commit on a good and a bad file.

The documented configuration is a ``repo: local`` hook with ``language: system``:
pre-commit installs nothing for it, so the test runs offline in a temporary Git
repository, with this environment's ``taskmaestro`` command first on ``PATH``.
The hook of ``.pre-commit-hooks.yaml`` (installed by pre-commit from the
repository's URL) is run the way pre-commit calls it: its entry, then the
matching file names.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"

TASKS = '''\
"""Tasks of the workflows below."""

from pydantic import BaseModel

from taskmaestro import ExecutionContext, Task


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
'''

GOOD = """\
workflow:
  name: good
  tasks:
    - task: tasks.Count
"""

# Shout takes Text, but Count's output is Number (line 6). Its tasks sit at the
# repository's root under another name than pipelines/tasks.py: a module beside a
# workflow may not shadow one the command line can already import from there.
BAD = """\
workflow:
  name: bad
  tasks:
    - task: root_tasks.Count
    - task: root_tasks.Shout
      depends_on: root_tasks.Count
"""


def _yaml_blocks(markdown: Path) -> list[str]:
    return re.findall(r"^```yaml\n(.*?)^```", markdown.read_text(), flags=re.MULTILINE | re.DOTALL)


def _environment(home: Path) -> dict[str, str]:
    """This environment's commands first on PATH; pre-commit's store in the test's folder."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "GIT_"))}
    environment["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    environment["PRE_COMMIT_HOME"] = str(home / "pre-commit-home")
    environment["HOME"] = str(home)
    return environment


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A Git repository with tasks, a good and a bad workflow, and a YAML file no hook takes."""
    if shutil.which("git") is None:
        pytest.fail("git is needed to run pre-commit")
    folder = tmp_path / "repo"
    (folder / "pipelines").mkdir(parents=True)
    (folder / "root_tasks.py").write_text(TASKS)
    (folder / "pipelines" / "tasks.py").write_text(TASKS)
    (folder / "pipelines" / "good_workflow.yaml").write_text(GOOD)
    (folder / "bad.workflow.yml").write_text(BAD)
    (folder / "notes.yaml").write_text("this: [is not a workflow\n")
    (folder / ".pre-commit-config.yaml").write_text(_yaml_blocks(ROOT / "docs" / "precommit.md")[0])
    subprocess.run(["git", "init", "-q", str(folder)], check=True, env=_environment(tmp_path))
    subprocess.run(["git", "add", "."], cwd=folder, check=True, env=_environment(tmp_path))
    return folder


def _pre_commit(repository: Path, *files: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PRE_COMMIT), "run", "--color", "never", "--files", *files],
        cwd=repository,
        env=_environment(repository.parent),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_documented_hook_passes_a_good_workflow(repository: Path) -> None:
    done = _pre_commit(repository, "pipelines/good_workflow.yaml", "notes.yaml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "taskmaestro check" in done.stdout
    assert "Passed" in done.stdout


def test_the_documented_hook_fails_a_bad_workflow_and_names_the_line(repository: Path) -> None:
    done = _pre_commit(repository, "pipelines/good_workflow.yaml", "bad.workflow.yml")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Failed" in done.stdout
    assert "bad.workflow.yml:6:" in done.stdout
    assert "good_workflow.yaml:" not in done.stdout


def _shipped_hook() -> dict[str, Any]:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert isinstance(hook, dict)
    return hook


def test_the_shipped_hook_matches_the_documented_one() -> None:
    (documented,) = yaml.safe_load(_yaml_blocks(ROOT / "docs" / "precommit.md")[0])["repos"]
    (local,) = documented["hooks"]
    shipped = _shipped_hook()
    assert (shipped["id"], shipped["entry"], shipped["files"]) == (
        local["id"],
        local["entry"],
        local["files"],
    )


def test_the_shipped_hook_entry_as_pre_commit_calls_it(repository: Path) -> None:
    hook = _shipped_hook()
    files = [
        path.relative_to(repository).as_posix()
        for path in sorted(repository.rglob("*.y*ml"))
        if re.search(hook["files"], path.relative_to(repository).as_posix())
    ]
    assert files == ["bad.workflow.yml", "pipelines/good_workflow.yaml"]
    command = [*shlex.split(hook["entry"]), *hook.get("args", [])]
    environment = _environment(repository.parent)
    good = subprocess.run(
        [*command, files[1]], cwd=repository, env=environment, capture_output=True, text=True
    )
    assert good.returncode == 0, good.stdout + good.stderr
    both = subprocess.run(
        [*command, *files], cwd=repository, env=environment, capture_output=True, text=True
    )
    assert both.returncode == 1
    assert "bad.workflow.yml:6:" in both.stdout + both.stderr
