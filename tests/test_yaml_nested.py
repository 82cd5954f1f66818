"""Nested workflow files: wrapped as tasks, relative paths, their inputs, include cycles."""

from __future__ import annotations

from pathlib import Path

import pytest

from taskmaestro import IncompleteInputError, JobStatus, load_workflow_from_yaml
from taskmaestro.workflow_task import nested_workflow

from .yaml_support import M, assert_at, line_of, load_error, write


@pytest.fixture
def parts(tmp_path: Path) -> Path:
    """parts/inner.yaml: double -> scale (factor configured), tasks from a module beside it."""
    write(
        tmp_path,
        "parts/inner_tasks.py",
        f"""
        from {M} import Double, Scale

        __all__ = ["Double", "Scale"]
        """,
    )
    write(
        tmp_path,
        "parts/inner.yaml",
        """
        workflow:
          name: inner
          tasks:
            - task: inner_tasks.Double
            - task: inner_tasks.Scale
              depends_on: double
              config_fields: [factor]
        runner:
          hooks:
            - hook: taskmaestro.hooks.timing.TimingHook
        """,
    )
    write(tmp_path, "parts/inner_input.yaml", "scale: {factor: 3}\n")
    write(tmp_path, "input.yaml", "value: 1\n")
    return tmp_path / "parts"


def outer(tmp_path: Path, entry: str, *, after: str = "inner") -> Path:
    return write(
        tmp_path,
        "outer.yaml",
        f"""
        workflow:
          name: outer
          tasks:
            - task: {M}.AddOne
            {entry}
              depends_on: add_one
            - task: {M}.ToText
              depends_on: {after}
        """,
    )


def test_a_nested_workflow_runs_as_one_task(tmp_path: Path, parts: Path) -> None:
    workflow = outer(
        tmp_path,
        """- workflow: parts/inner.yaml
              workflow_input: parts/inner_input.yaml
              name: inner""",
    )
    loaded = load_workflow_from_yaml(workflow, tmp_path / "input.yaml")
    assert list(loaded.workflow.task_names) == ["add_one", "inner", "to_text"]
    inner = nested_workflow(loaded.workflow.graph.nodes["inner"].task)
    assert inner is not None
    assert list(inner.task_names) == ["double", "scale"]
    assert inner.graph.nodes["scale"].config_fields == ("factor",)
    job = loaded.run()
    assert job.status is JobStatus.COMPLETED, job.error
    assert job.result is not None
    assert job.result.text == "12"  # (1 + 1) * 2 * 3


def test_the_default_name_is_the_nested_workflow_name(tmp_path: Path, parts: Path) -> None:
    workflow = outer(tmp_path, "- workflow: parts/inner.yaml")
    loaded = load_workflow_from_yaml(workflow, tmp_path / "input.yaml")
    assert list(loaded.workflow.task_names) == ["add_one", "inner", "to_text"]
    job = loaded.run()
    assert job.result is not None
    assert job.result.text == "4"  # factor defaults to 1 without the nested input


def test_nested_files_nest_with_paths_relative_to_their_own_folder(
    tmp_path: Path, parts: Path
) -> None:
    write(
        tmp_path,
        "parts/middle.yaml",
        """
        workflow:
          name: middle
          tasks:
            - workflow: inner.yaml
              workflow_input: inner_input.yaml
        """,
    )
    workflow = outer(tmp_path, "- workflow: parts/middle.yaml", after="middle")
    job = load_workflow_from_yaml(workflow, tmp_path / "input.yaml").run()
    assert job.status is JobStatus.COMPLETED, job.error
    assert job.result is not None
    assert job.result.text == "12"


def test_a_file_included_twice_is_loaded_once(tmp_path: Path, parts: Path) -> None:
    workflow = write(
        tmp_path,
        "outer.yaml",
        f"""
        workflow:
          name: twice
          tasks:
            - task: {M}.AddOne
            - workflow: parts/inner.yaml
              name: left
              depends_on: add_one
            - workflow: parts/inner.yaml
              name: right
              depends_on: add_one
            - task: {M}.Sum
              depends_on: {{a: left, b: right}}
        """,
    )
    loaded = load_workflow_from_yaml(workflow, tmp_path / "input.yaml")
    nodes = loaded.workflow.graph.nodes
    left, right = nested_workflow(nodes["left"].task), nested_workflow(nodes["right"].task)
    assert left is not None
    assert left is right
    job = loaded.run()
    assert job.result is not None
    assert job.result.total == 8


def test_a_file_that_includes_itself(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "self.yaml",
        f"""
        workflow:
          name: me
          tasks:
            - task: {M}.AddOne
            - workflow: self.yaml  # <-
              depends_on: add_one
        """,
    )
    error = load_error(workflow, None, match="include cycle: .*self.yaml -> .*self.yaml")
    assert_at(error, workflow, line_of(workflow, "# <-"))


def test_an_include_cycle_through_two_files(tmp_path: Path) -> None:
    first = write(
        tmp_path,
        "a.yaml",
        f"""
        workflow:
          name: a
          tasks:
            - task: {M}.AddOne
            - workflow: sub/b.yaml
              depends_on: add_one
        """,
    )
    second = write(
        tmp_path,
        "sub/b.yaml",
        """
        workflow:
          name: b
          tasks:
            - workflow: ../a.yaml  # <-
        """,
    )
    error = load_error(first, None, match=r"include cycle: .*a.yaml -> .*b.yaml -> .*a.yaml")
    assert_at(error, second, line_of(second, "# <-"))


def test_a_missing_nested_file_is_reported_where_it_is_named(tmp_path: Path) -> None:
    workflow = outer(tmp_path, "- workflow: parts/absent.yaml  # <-")
    error = load_error(workflow, None, match="Cannot read file .* \\(the nested workflow file\\)")
    assert_at(error, workflow, line_of(workflow, "# <-"))


def test_errors_inside_a_nested_file_point_into_it(tmp_path: Path, parts: Path) -> None:
    broken = write(
        tmp_path,
        "parts/broken.yaml",
        f"""
        workflow:
          name: broken
          tasks:
            - task: {M}.Double
              depend_on: nothing  # <-
        """,
    )
    workflow = outer(tmp_path, "- workflow: parts/broken.yaml", after="broken")
    error = load_error(workflow, tmp_path / "input.yaml", match="unknown key 'depend_on'")
    assert_at(error, broken, line_of(broken, "# <-"))


def test_a_nested_input_file_must_be_keyed_by_task_names(tmp_path: Path, parts: Path) -> None:
    flat = write(tmp_path, "parts/flat.yaml", "value: 2\n")
    workflow = outer(
        tmp_path,
        """- workflow: parts/inner.yaml
              workflow_input: parts/flat.yaml""",
    )
    error = load_error(workflow, None, match="'value' is not a task of the nested workflow")
    assert_at(error, flat, 1)


def test_a_nested_input_value_is_checked_where_it_is_written(tmp_path: Path, parts: Path) -> None:
    bad = write(tmp_path, "parts/bad.yaml", "scale:\n  factor: none\n")
    workflow = outer(
        tmp_path,
        """- workflow: parts/inner.yaml
              workflow_input: parts/bad.yaml""",
    )
    error = load_error(workflow, None, match=r"task 'scale' \(Scaled\), field 'factor'")
    assert_at(error, bad, 2)


def test_a_nested_workflow_missing_required_config(tmp_path: Path) -> None:
    inner = write(
        tmp_path,
        "needy.yaml",
        f"""
        workflow:
          name: needy
          tasks:
            - task: {M}.Double
            - task: {M}.AddOffset  # <-
              depends_on: double
              config_fields: [offset]
        """,
    )
    workflow = outer(tmp_path, "- workflow: needy.yaml", after="needy")
    error = load_error(workflow, None, match="needs config value")
    assert_at(error, inner, line_of(inner, "# <-"))
    assert isinstance(error.__cause__, IncompleteInputError)
