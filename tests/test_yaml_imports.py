"""Dotted paths: modules beside the workflow file are found from any current directory."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from taskmaestro import load_workflow_from_yaml

from .yaml_support import M, assert_at, load_error, write

STEPS = f"""
from pydantic import BaseModel

from taskmaestro import ExecutionContext, Task
from {M} import Number

from {{neighbour}} import AMOUNT


class Bump(Task[Number, Number]):
    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        return Number(value=input.value + AMOUNT)
"""


def folder_with_steps(root: Path, name: str, module: str, amount: int) -> Path:
    """``root/name`` with workflow.yaml using ``module.Bump``, which imports a neighbour."""
    folder = root / name
    write(folder, f"{module}.py", STEPS.format(neighbour=f"{module}_amount"))
    write(folder, f"{module}_amount.py", f"AMOUNT = {amount}\n")
    write(
        folder,
        "workflow.yaml",
        f"""
        workflow:
          name: {name}
          tasks:
            - task: {module}.Bump
        """,
    )
    write(folder, "input.yaml", "value: 1\n")
    return folder


def result_of(folder: Path) -> int:
    job = load_workflow_from_yaml(folder / "workflow.yaml", folder / "input.yaml").run()
    assert job.result is not None, job.error
    value: int = job.result.value
    return value


def test_a_module_beside_the_file_and_its_neighbour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = folder_with_steps(tmp_path, "project", "beside_steps", amount=10)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert result_of(folder) == 11
    # The folder stays on sys.path (for process pools' workers), after the standard library.
    standard_library = str(Path(json.__file__).parent.parent)
    assert sys.path.index(standard_library) < sys.path.index(str(folder))


def test_two_folders_with_modules_of_the_same_name(tmp_path: Path) -> None:
    first = folder_with_steps(tmp_path, "first", "twin_steps", amount=100)
    second = folder_with_steps(tmp_path, "second", "twin_steps", amount=200)
    assert result_of(first) == 101
    assert result_of(second) == 201
    assert result_of(first) == 101


def test_a_package_beside_the_file(tmp_path: Path) -> None:
    write(tmp_path, "beside_pkg/__init__.py", "")
    write(tmp_path, "beside_pkg/tasks.py", f"from {M} import Double as Twice\n")
    workflow = write(
        tmp_path,
        "w.yaml",
        """
        workflow:
          name: pkg
          tasks:
            - task: beside_pkg.tasks.Twice
        """,
    )
    job = load_workflow_from_yaml(workflow, write(tmp_path, "in.yaml", "value: 4\n")).run()
    assert job.result is not None
    assert job.result.value == 8


def test_a_module_beside_the_file_never_shadows_the_standard_library(tmp_path: Path) -> None:
    write(tmp_path, "json.py", "")
    workflow = write(
        tmp_path,
        "w.yaml",
        """
        workflow:
          name: shadow
          tasks:
            - task: json.Anything
        """,
    )
    error = load_error(workflow, match="'json' is already the name of a module of the standard")
    assert "rename the file" in str(error)
    assert_at(error, workflow, 4)


def test_a_missing_module_beside_nothing(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        """
        workflow:
          name: missing
          tasks:
            - task: not_beside_anything.Task
        """,
    )
    error = load_error(workflow, match=f"looked beside the file, in {tmp_path}")
    assert_at(error, workflow, 4)
