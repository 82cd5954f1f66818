"""The input file: flat or per task, the rule that decides, and its errors' locations."""

from __future__ import annotations

from pathlib import Path

import pytest

from taskmaestro import (
    EmptyConfig,
    IncompleteInputError,
    JobStatus,
    WorkflowDefinitionError,
    load_workflow_from_yaml,
)

from .yaml_support import M, assert_at, line_of, load_error, write


@pytest.fixture
def chain(tmp_path: Path) -> Path:
    """add_one -> scale; Scale takes value (wired) and factor (configured, default 1)."""
    return write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: chain
          tasks:
            - task: {M}.AddOne
            - task: {M}.Scale
              depends_on: add_one
              config_fields: [factor]
        """,
    )


def test_flat_mode_keys_are_the_root_input_fields(tmp_path: Path, chain: Path) -> None:
    inputs = write(tmp_path, "in.yaml", "value: 1\n")
    loaded = load_workflow_from_yaml(chain, inputs)
    assert loaded.job.config.value == 1
    assert loaded.job.job_configuration is not None
    assert loaded.job.job_configuration.configured_tasks() == set()


def test_per_task_mode_configures_tasks_and_declares_their_config_fields(
    tmp_path: Path, chain: Path
) -> None:
    inputs = write(
        tmp_path,
        "in.yaml",
        """
        add_one:
          value: 4
        scale:
          factor: 5
        """,
    )
    loaded = load_workflow_from_yaml(chain, inputs)
    nodes = loaded.workflow.graph.nodes
    assert nodes["add_one"].config_fields == ("value",)
    assert nodes["scale"].config_fields == ("factor",)
    assert isinstance(loaded.job.config, EmptyConfig)
    configuration = loaded.job.job_configuration
    assert configuration is not None
    assert {k: dict(v) for k, v in configuration.items()} == {
        "add_one": {"value": 4},
        "scale": {"factor": 5},
    }
    job = loaded.run()
    assert job.status is JobStatus.COMPLETED
    assert job.result is not None
    assert job.result.value == 25


def test_per_task_mode_with_an_unconfigured_root_that_needs_nothing(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: one
          tasks:
            - task: {M}.Scale
        """,
    )
    inputs = write(tmp_path, "in.yaml", "scale: {value: 2, factor: 4}\n")
    job = load_workflow_from_yaml(workflow, inputs).run()
    assert job.result is not None
    assert job.result.value == 8


def test_rule_a_key_naming_a_task_and_a_field_reads_as_a_task_when_all_keys_are_tasks(
    tmp_path: Path,
) -> None:
    # The task instance 'value' shares its name with Number's field 'value'.
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: clash
          tasks:
            - task: {M}.AddOne
              name: value
        """,
    )
    flat_looking = write(tmp_path, "flat.yaml", "value: 3\n")
    error = load_error(workflow, flat_looking, match="read per task")
    assert_at(error, flat_looking, 1)
    assert "task 'value': expected a mapping of field: value, got the number 3" in str(error)

    per_task = write(tmp_path, "per_task.yaml", "value: {value: 3}\n")
    job = load_workflow_from_yaml(workflow, per_task).run()
    assert job.result is not None
    assert job.result.value == 4


def test_rule_one_key_that_names_no_task_makes_the_file_flat(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: clash
          tasks:
            - task: {M}.Scale
              name: value
        """,
    )
    inputs = write(tmp_path, "in.yaml", "value: 3\nfactor: 2\n")
    loaded = load_workflow_from_yaml(workflow, inputs)
    assert loaded.job.config.value == 3
    assert loaded.job.config.factor == 2


def test_flat_file_with_a_task_name_among_fields_is_refused_with_the_rule(
    tmp_path: Path, chain: Path
) -> None:
    inputs = write(tmp_path, "in.yaml", "value: 1\nscale:\n  factor: 2\n")
    error = load_error(chain, inputs, match="not an input field of root task 'add_one'")
    assert_at(error, inputs, 2)
    assert "read per task only when every top-level key names a task" in str(error)


def test_flat_value_of_the_wrong_type_is_reported_at_its_line(tmp_path: Path, chain: Path) -> None:
    inputs = write(tmp_path, "in.yaml", "# numbers only\nvalue: abc\n")
    error = load_error(chain, inputs, match=r"root task 'add_one' \(Number\), field 'value'")
    assert_at(error, inputs, 2)
    assert "valid integer" in str(error)


def test_flat_nested_value_is_reported_at_the_nested_line(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: pair
          tasks:
            - task: {M}.Sum
        """,
    )
    inputs = write(tmp_path, "in.yaml", "a:\n  value: 1\nb:\n  value: [1]\n")
    error = load_error(workflow, inputs, match="field 'b.value'")
    assert_at(error, inputs, 4)


def test_flat_missing_field_is_reported_at_the_file(tmp_path: Path, chain: Path) -> None:
    inputs = write(tmp_path, "in.yaml", "")
    error = load_error(chain, inputs, match="field 'value': Field required")
    assert_at(error, inputs, 1)


def test_per_task_value_of_the_wrong_type_is_reported_at_its_line(
    tmp_path: Path, chain: Path
) -> None:
    inputs = write(
        tmp_path,
        "in.yaml",
        """
        add_one:
          value: 1
        scale:
          factor: 0
        """,
    )
    error = load_error(chain, inputs, match=r"task 'scale' \(Scaled\), field 'factor'")
    assert_at(error, inputs, 4)
    assert "greater than or equal to 1" in str(error)


def test_per_task_field_that_the_task_lacks_is_reported_at_its_line(
    tmp_path: Path, chain: Path
) -> None:
    inputs = write(
        tmp_path,
        "in.yaml",
        """
        add_one:
          value: 1
        scale:
          factor: 2
          bogus: 3
        """,
    )
    error = load_error(chain, inputs, match="Config field 'bogus' not found on Scaled")
    assert_at(error, inputs, 5)
    assert isinstance(error.__cause__, WorkflowDefinitionError)


def test_config_fields_without_values_in_a_flat_file(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: needs_config
          tasks:
            - task: {M}.AddOne
            - task: {M}.AddOffset
              depends_on: add_one
              config_fields: [offset]
        """,
    )
    inputs = write(tmp_path, "in.yaml", "value: 1\n")
    error = load_error(workflow, inputs, match="needs config value")
    assert_at(error, inputs, 1)
    assert "the input file is flat" in str(error)
    assert isinstance(error.__cause__, IncompleteInputError)


def test_per_task_mode_without_values_for_the_root_input(tmp_path: Path, chain: Path) -> None:
    inputs = write(tmp_path, "in.yaml", "scale:\n  factor: 2\n")
    error = load_error(chain, inputs, match="root task 'add_one' needs its input")
    assert_at(error, inputs, 1)


def test_no_input_file_when_the_root_needs_input(tmp_path: Path, chain: Path) -> None:
    error = load_error(chain, None, match="give an input file")
    assert_at(error, chain, 2)


def test_input_file_that_is_not_a_mapping(tmp_path: Path, chain: Path) -> None:
    inputs = write(tmp_path, "in.yaml", "- 1\n- 2\n")
    error = load_error(chain, inputs, match="expected a mapping")
    assert_at(error, inputs, 1)


def test_input_file_keys_must_be_strings(tmp_path: Path, chain: Path) -> None:
    inputs = write(tmp_path, "in.yaml", "value: 1\n7: 2\n")
    error = load_error(chain, inputs, match="got the number 7")
    assert_at(error, inputs, 2)


def test_input_file_with_a_python_tag_is_refused(tmp_path: Path, chain: Path) -> None:
    inputs = write(tmp_path, "in.yaml", "value: !!python/object/apply:os.getpid []\n")
    error = load_error(chain, inputs, match="refused tag '!!python/object/apply:os.getpid'")
    assert_at(error, inputs, 1)


def test_missing_input_file(tmp_path: Path, chain: Path) -> None:
    error = load_error(
        chain, tmp_path / "absent.yaml", match=r"Cannot read input file \(the input file\)"
    )
    assert error.line is None


def test_line_of_helper_agrees_with_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yaml", "a: 1\nb: 2\nb: 3\n")
    assert line_of(path, "b:") == 2
    assert line_of(path, "b:", 2) == 3
