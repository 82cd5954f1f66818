"""Every problem of a workflow file, each with its code, task and fields (issue 15.3).

The core's errors say which task and which of its input fields they are about
(``task_name``, ``fields``); the YAML check goes on after a problem wherever
the rest of the file can still be judged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from taskmaestro import (
    IncompleteInputError,
    Job,
    JobConfiguration,
    Workflow,
    WorkflowDefinitionError,
)
from taskmaestro._yaml.problems import problems_of

from .helpers import AddOne, Sum
from .yaml_support import M, Scale, load_error, write


def build_error(*tasks: tuple[Any, dict[str, Any]]) -> WorkflowDefinitionError:
    builder = Workflow.builder("w")
    for task, options in tasks:
        builder.add_task(task, **options)
    with pytest.raises(WorkflowDefinitionError) as caught:
        builder.build()
    return caught.value


def test_the_core_errors_name_their_task_and_fields() -> None:
    missing = build_error((AddOne, {}), (Sum, {"depends_on": {"a": AddOne}}))
    assert isinstance(missing, IncompleteInputError)
    assert (missing.task_name, missing.fields) == ("sum", ["b"])
    unknown = build_error((AddOne, {"config_fields": ["value", "extra"]}))
    assert (unknown.task_name, unknown.fields, unknown.part) == (
        "add_one",
        ["extra"],
        ("config_fields", "extra"),
    )
    key = build_error((AddOne, {}), (Sum, {"depends_on": {"a": AddOne, "b": AddOne, "c": AddOne}}))
    assert (key.task_name, key.fields, key.part) == ("sum", ["c"], ("key", "c"))


def test_the_job_checks_name_their_task_and_fields() -> None:
    workflow = Workflow.builder("w").add_task(Scale, config_fields=["value", "factor"]).build()
    with pytest.raises(IncompleteInputError) as missing:
        Job(workflow, None, job_configuration=JobConfiguration({"scale": {}}))
    assert (missing.value.task_name, missing.value.fields) == ("scale", ["value"])
    values = {"scale": {"value": 1, "factor": 0}}
    with pytest.raises(WorkflowDefinitionError) as invalid:
        Job(workflow, None, job_configuration=JobConfiguration(values))
    assert (invalid.value.task_name, invalid.value.fields) == ("scale", ["factor"])
    extra = {"scale": {"value": 1, "nope": 2, "nor": 3}}
    with pytest.raises(WorkflowDefinitionError) as undeclared:
        Job(workflow, None, job_configuration=JobConfiguration(extra))
    assert undeclared.value.fields == ["nope", "nor"]


def test_the_structured_fields_default_to_none_and_empty() -> None:
    error = WorkflowDefinitionError("plain")
    assert (error.task_name, error.task, error.fields, error.part) == (None, None, [], None)
    given = WorkflowDefinitionError("x", task_name="t", fields=["f"])
    assert (given.task_name, given.task, given.fields) == ("t", "t", ["f"])


def test_every_input_value_problem_names_its_task_and_field(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.Scale
              config_fields: [value, factor]
        """,
    )
    inputs = write(tmp_path, "in.yaml", "scale:\n  value: 1\n  factor: 0\n")
    error = load_error(workflow, inputs)
    [problem] = problems_of(error)
    assert (problem.error.task_name, problem.error.fields) == ("scale", ["factor"])
    assert problem.code == "taskmaestro-input"
