"""YAML hooks: any class with a hook method is a hook (no BaseHook needed, as for the
runner), and hook classes get 0.1.0's constructor parameters from ``params``."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from taskmaestro import JobStatus, LoggingHook, ResultPersistenceHook, load_workflow_from_yaml

from .yaml_support import M, load_error, write


class OnlyJobComplete:
    """A hook by duck typing alone: one method, no base class (0.1.0's arguments)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.completed: list[str] = []

    def on_job_complete(self, job: object, *rest: object) -> None:
        self.completed.append(self.label)


class HasNoHookMethod:
    def on_something_else(self) -> None: ...


def workflow_with_hook(tmp_path: Path, hook: str, params: str = "{}") -> Path:
    return write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
        runner:
          hooks:
            - hook: {hook}
              params: {params}
        """,
    )


def test_a_class_with_one_hook_method_is_a_hook(tmp_path: Path) -> None:
    workflow = workflow_with_hook(tmp_path, f"{__name__}.OnlyJobComplete", "{label: seen}")
    loaded = load_workflow_from_yaml(workflow, write(tmp_path, "in.yaml", "value: 1\n"))
    (hook,) = loaded.runner.hooks
    assert isinstance(hook, OnlyJobComplete)
    assert loaded.run().status is JobStatus.COMPLETED
    assert hook.completed == ["seen"]


def test_a_class_without_any_hook_method_is_refused(tmp_path: Path) -> None:
    workflow = workflow_with_hook(tmp_path, f"{__name__}.HasNoHookMethod")
    load_error(
        workflow,
        write(tmp_path, "in.yaml", "value: 1\n"),
        match="'.*HasNoHookMethod' is not a BaseHook subclass",
    )


def test_logging_hook_takes_its_level(tmp_path: Path) -> None:
    workflow = workflow_with_hook(
        tmp_path, "taskmaestro.hooks.logging.LoggingHook", f"{{level: {logging.DEBUG}}}"
    )
    loaded = load_workflow_from_yaml(workflow, write(tmp_path, "in.yaml", "value: 1\n"))
    (hook,) = loaded.runner.hooks
    assert isinstance(hook, LoggingHook)
    level = getattr(hook, "level", getattr(hook, "_level", None))  # 0.1.0 keeps it private
    assert level == logging.DEBUG


@pytest.mark.parametrize("folder", ["results", "deeper/results"])
def test_persistence_hook_gets_a_path(tmp_path: Path, folder: str) -> None:
    workflow = workflow_with_hook(
        tmp_path, "taskmaestro.hooks.persistence.ResultPersistenceHook", f"{{output_dir: {folder}}}"
    )
    loaded = load_workflow_from_yaml(workflow, write(tmp_path, "in.yaml", "value: 1\n"))
    (hook,) = loaded.runner.hooks
    assert isinstance(hook, ResultPersistenceHook)
    assert isinstance(hook.output_dir, Path)
    assert hook.output_dir == tmp_path / folder  # relative to the workflow file
    assert loaded.run().status is JobStatus.COMPLETED
    assert (tmp_path / folder / "add_one.json").is_file()
