"""0.1.0's key phrases: every loader error keeps ``path:line:column`` and also contains
the phrase 0.1.0 used for the same check (compat section 13), so that code matching
those phrases keeps working. One case per phrase; ``# <-`` marks the line at fault
(in the input file when the case has one marked there).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .yaml_support import M, assert_at, line_of, load_error, write

MARK = "# <-"

ONE_TASK = f"""
workflow:
  name: w
  tasks:
    - task: {M}.AddOne
"""

CASES: dict[str, tuple[str, str | None]] = {
    "YAML parse error": ("workflow:\n  name: w: x  # <-\n", None),
    "YAML file must contain a mapping at top level": ("- just  # <-\n- a list\n", None),
    "Input YAML parse error": (ONE_TASK, "value: x: y  # <-\n"),
    "Input YAML file must contain a mapping": (ONE_TASK, "- 1  # <-\n"),
    "Input validation error": (ONE_TASK, "value: many  # <-\n"),
    "YAML schema validation error": (
        f"""
        workflow:
          name: w
          taks:  # <-
            - task: {M}.AddOne
        """,
        None,
    ),
    "is not a Task subclass": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.Number  # <-
        """,
        None,
    ),
    "result_task 'missing' not found": (
        f"""
        workflow:
          name: w
          result_task: missing  # <-
          tasks:
            - task: {M}.AddOne
        """,
        None,
    ),
    "is not a BaseHook subclass": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
        runner:
          hooks:
            - hook: {M}.NotATask  # <-
        """,
        None,
    ),
    "Cannot instantiate hook": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
        runner:
          hooks:
            - hook: {M}.ExplodingHook  # <-
              params: {{limit: 3}}
        """,
        None,
    ),
    "Dependency 'nowhere' for task 'double' not found": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
            - task: {M}.Double
              name: double
              depends_on: nowhere  # <-
        """,
        None,
    ),
    "Workflow validation failed: Type mismatch": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.ToText
            - task: {M}.Double
              depends_on: to_text  # <-
        """,
        None,
    ),
    "List depends_on must be [task_path, field_name]": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
            - task: {M}.Double
              depends_on: [add_one]  # <-
        """,
        None,
    ),
    "List dep must be [task_path, field_name]": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
            - task: {M}.Double
              depends_on:
                value: [add_one, value, extra]  # <-
        """,
        None,
    ),
    "Invalid import path": (
        """
        workflow:
          name: w
          tasks:
            - task: AddOne  # <-
        """,
        None,
    ),
    "Cannot import module 'no_such_module_here'": (
        """
        workflow:
          name: w
          tasks:
            - task: no_such_module_here.AddOne  # <-
        """,
        None,
    ),
    f"Module '{M}' has no attribute 'AddTen'": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddTen  # <-
        """,
        None,
    ),
    "Specify either 'task' or 'workflow'": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
              workflow: other.yaml  # <-
        """,
        None,
    ),
    "Must specify either 'task' or 'workflow'": (
        """
        workflow:
          name: w
          tasks:
            - name: nothing  # <-
        """,
        None,
    ),
    "'workflow_input' requires 'workflow'": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
              workflow_input: in.yaml  # <-
        """,
        None,
    ),
}


@pytest.mark.parametrize(("workflow_text", "input_text"), CASES.values(), ids=CASES.keys())
def test_each_error_keeps_its_position_and_0_1_0_phrase(
    tmp_path: Path, request: pytest.FixtureRequest, workflow_text: str, input_text: str | None
) -> None:
    phrase = request.node.callspec.id
    workflow = write(tmp_path, "workflow.yaml", workflow_text)
    inputs = write(tmp_path, "input.yaml", input_text or "value: 1\n")
    error = load_error(workflow, inputs, match=re.escape(phrase))
    marked = inputs if input_text is not None else workflow
    assert_at(error, marked, line_of(marked, MARK))


def test_cannot_read_file(tmp_path: Path) -> None:
    error = load_error(tmp_path / "absent.yaml", match=re.escape("Cannot read file"))
    assert error.path == str(tmp_path / "absent.yaml")
    assert error.line is None


def test_cannot_read_input_file(tmp_path: Path) -> None:
    workflow = write(tmp_path, "workflow.yaml", ONE_TASK)
    error = load_error(workflow, tmp_path / "absent.yaml", match="Cannot read input file")
    assert error.path == str(tmp_path / "absent.yaml")


def test_a_nested_file_that_cannot_be_read_is_reported_where_it_is_named(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "workflow.yaml",
        """
        workflow:
          name: w
          tasks:
            - workflow: absent.yaml  # <-
        """,
    )
    error = load_error(workflow, None, match="Cannot read file")
    assert_at(error, workflow, line_of(workflow, MARK))


def test_a_result_task_name_that_is_missing_in_a_linear_file(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "workflow.yaml",
        f"""
        workflow:
          name: w
          result_task: {M}.Double  # <-
          tasks:
            - task: {M}.AddOne
        """,
    )
    error = load_error(
        workflow, write(tmp_path, "in.yaml", "value: 1\n"), match="result_task '.*Double' not found"
    )
    assert_at(error, workflow, line_of(workflow, MARK))
