"""Every problem of a phase is collected: the first is raised, carrying them all."""

from __future__ import annotations

from pathlib import Path

from taskmaestro._yaml.problems import ConfigProblems, problems_of

from .yaml_support import M, load_error, write


def test_the_first_problem_is_raised_and_carries_every_problem_of_its_phase(
    tmp_path: Path,
) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
              depend_on: x
            - task: {M}.Double
              config_fields: [1]
        context:
          sevices: {{}}
        """,
    )
    error = load_error(workflow, match="unknown key 'depend_on'")
    assert isinstance(error, ConfigProblems)
    assert error.line == 5
    found = problems_of(error)
    assert [(p.error.line, p.code) for p in found] == [
        (5, "taskmaestro-yaml-schema"),
        (7, "taskmaestro-yaml-schema"),
        (9, "taskmaestro-yaml-schema"),
    ]
    assert "did you mean 'services'" in str(found[2].error)


def test_one_problem_is_a_plain_error_with_its_code(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.ToText
            - task: {M}.Double
              depends_on: to_text
        """,
    )
    error = load_error(workflow, match="Workflow validation failed")
    assert not isinstance(error, ConfigProblems)
    assert [p.code for p in problems_of(error)] == ["taskmaestro-type"]


def test_every_bad_task_value_of_a_per_task_input_file(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.Scale
              name: first
            - task: {M}.Scale
              name: second
              depends_on:
                value: [first, value]
        """,
    )
    inputs = write(
        tmp_path,
        "in.yaml",
        """
        first:
          value: 1
          factor: zero
        second:
          factor: -3
        """,
    )
    error = load_error(workflow, inputs, match="Input validation error")
    assert [(p.error.line, p.code) for p in problems_of(error)] == [
        (3, "taskmaestro-input"),
        (5, "taskmaestro-input"),
    ]


def test_input_problems_have_the_input_and_job_codes(tmp_path: Path) -> None:
    chain = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
        """,
    )
    flat = load_error(chain, write(tmp_path, "bad.yaml", "value: many\n"))
    assert [p.code for p in problems_of(flat)] == ["taskmaestro-input"]
    missing = load_error(chain, None, match="give an input file")
    assert [p.code for p in problems_of(missing)] == ["taskmaestro-input"]


def test_every_task_with_a_wiring_problem_is_reported(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
            - task: {M}.ToText
              depends_on: add_one
            - task: {M}.Double
              name: typed_wrong
              depends_on: to_text
            - task: {M}.Double
              name: routed_wrong
              depends_on: [add_one, nope]
            - task: {M}.Double
              name: configured_wrong
              depends_on: add_one
              config_fields: [bogus]
        """,
    )
    error = load_error(workflow, match="Workflow validation failed")
    assert isinstance(error, ConfigProblems)
    found = problems_of(error)
    assert [(p.error.line, p.code) for p in found] == [
        (9, "taskmaestro-type"),
        (3, "taskmaestro-result"),  # three sinks and no result_task
        (12, "taskmaestro-route"),
        (16, "taskmaestro-config-field"),
    ]
    assert "'typed_wrong'" in str(found[0].error)
    assert "3 sink tasks" in str(found[1].error)
    assert "'nope'" in str(found[2].error)
    assert "'bogus'" in str(found[3].error)


def test_several_problems_of_one_task_are_each_reported(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
              config_fields: [value, extra]
            - task: {M}.Sum
              depends_on:
                a: [add_one, nope]
                c: add_one
                b: [add_one, value]
              config_fields: [zzz]
        """,
    )
    error = load_error(workflow, match="Workflow validation failed")
    found = problems_of(error)
    assert [(p.error.line, p.code) for p in found] == [
        (5, "taskmaestro-config-field"),
        (8, "taskmaestro-route"),
        (9, "taskmaestro-fan-in-key"),
        (10, "taskmaestro-type"),  # b takes a Number, the routed field is an int
        (11, "taskmaestro-config-field"),
    ]
    assert "'extra'" in str(found[0].error)
    assert "'zzz'" in str(found[4].error)
