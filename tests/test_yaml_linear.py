"""Linear mode (as in 0.1.0): a file in which no entry has ``depends_on`` is a chain in
entry order. Unlike 0.1.0, ``name:`` and ``config_fields`` still work there and are
checked, and a chain's wiring errors point at the entry at fault."""

from __future__ import annotations

from pathlib import Path

from taskmaestro import JobStatus, load_workflow_from_yaml

from .yaml_support import M, assert_at, line_of, load_error, write

MARK = "# <-"


def test_entries_without_depends_on_form_a_chain_in_order(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: chain
          tasks:
            - task: {M}.AddOne
            - task: {M}.Double
            - task: {M}.AddOne
              name: add_again
        """,
    )
    loaded = load_workflow_from_yaml(workflow, write(tmp_path, "in.yaml", "value: 4\n"))
    job = loaded.run()
    assert job.status is JobStatus.COMPLETED, job.error
    assert job.result is not None
    assert job.result.value == (4 + 1) * 2 + 1


def test_names_and_config_fields_work_in_a_chain(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: chain
          result_task: scaled
          tasks:
            - task: {M}.AddOne
              name: first
            - task: {M}.Scale
              name: scaled
              config_fields: [factor]
        """,
    )
    inputs = write(tmp_path, "in.yaml", "first:\n  value: 2\nscaled:\n  factor: 5\n")
    job = load_workflow_from_yaml(workflow, inputs).run()
    assert job.status is JobStatus.COMPLETED, job.error
    assert job.result is not None
    assert job.result.value == 15


def test_config_fields_are_checked_in_a_chain(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: chain
          tasks:
            - task: {M}.AddOne
            - task: {M}.Scale
              config_fields: [factr]  # <-
        """,
    )
    error = load_error(workflow, write(tmp_path, "in.yaml", "value: 1\n"), match="factr")
    assert "Workflow validation failed" in str(error)
    assert_at(error, workflow, line_of(workflow, MARK))


def test_a_class_twice_in_a_chain_needs_a_name(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: chain
          tasks:
            - task: {M}.AddOne
            - task: {M}.AddOne  # <-
        """,
    )
    error = load_error(
        workflow, write(tmp_path, "in.yaml", "value: 1\n"), match="Duplicate task name 'add_one'"
    )
    assert_at(error, workflow, line_of(workflow, MARK))


def test_a_type_mismatch_in_a_chain_points_at_the_entry(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: chain
          tasks:
            - task: {M}.ToText
            - task: {M}.Double  # <-
        """,
    )
    error = load_error(
        workflow, write(tmp_path, "in.yaml", "value: 1\n"), match="Workflow validation failed"
    )
    assert_at(error, workflow, line_of(workflow, MARK))


def test_one_depends_on_makes_the_file_a_dag(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: dag
          tasks:
            - task: {M}.AddOne
            - task: {M}.Double
            - task: {M}.Sum
              depends_on:
                a: add_one
                b: double
        """,
    )
    loaded = load_workflow_from_yaml(workflow, write(tmp_path, "in.yaml", "value: 3\n"))
    assert loaded.workflow._graph.nodes["double"].edges == ()  # a root, not chained
