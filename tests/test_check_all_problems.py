"""Every problem of a workflow file, each with its code, task and fields (issue 15.3).

The core's errors say which task and which of its input fields they are about
(``task_name``, ``fields``); the YAML check goes on after a problem wherever
the rest of the file can still be judged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from taskmaestro import (
    ConfigLoadError,
    ExecutionContext,
    IncompleteInputError,
    Job,
    JobConfiguration,
    Task,
    Workflow,
    WorkflowDefinitionError,
)
from taskmaestro._yaml.problems import problems_of

from .helpers import AddOne, Number, Sum
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
        Job(workflow, None, job_configuration=JobConfiguration({"scale": {}}))  # type: ignore[taskmaestro-job-config]  # the plugin sees the missing value too
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


class Wide(BaseModel):
    value: int
    label: str
    size: int


class Narrow(BaseModel):
    value: str
    label: int
    needed: int
    extra: int = 0


class MakeWide(Task[Number, Wide]):
    def run(self, input: Number, ctx: ExecutionContext) -> Wide:
        return Wide(value=input.value, label="x", size=1)


class UseNarrow(Task[Narrow, Number]):
    def run(self, input: Narrow, ctx: ExecutionContext) -> Number:
        return Number(value=input.needed)


HERE = "tests.test_check_all_problems"


def codes_and_lines(error: ConfigLoadError) -> list[tuple[int | None, str]]:
    return [(p.error.line, p.code) for p in problems_of(error)]


def test_every_problem_of_a_single_dependency(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: w
          tasks:
            - task: {HERE}.MakeWide
            - task: {HERE}.UseNarrow
              depends_on: make_wide
              config_fields: [extra, nope]
        """,
    )
    found = problems_of(load_error(workflow, match="Workflow validation failed"))
    assert [(p.error.line, p.code, p.error.fields) for p in found] == [
        (7, "taskmaestro-config-field", ["nope"]),  # the core's first problem first
        (5, "taskmaestro-missing-input", ["needed"]),
        (6, "taskmaestro-type", ["value"]),  # each shared field that does not fit
        (6, "taskmaestro-type", ["label"]),
    ]
    assert {p.error.task_name for p in found} == {"use_narrow"}


def test_every_unknown_reference_cycle_and_the_result(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: w
          result_task: nowhere
          tasks:
            - task: {M}.AddOne
              depends_on: ghost
            - task: {M}.Sum
              depends_on:
                a: add_one
                b: phantom
            - task: {M}.Double
              name: one
              depends_on: two
            - task: {M}.Double
              name: two
              depends_on: one
            - task: {M}.Double
              name: three
              depends_on: four
            - task: {M}.Double
              name: four
              depends_on: three
        """,
    )
    found = problems_of(load_error(workflow))
    assert [(p.error.line, p.code, p.error.task_name) for p in found] == [
        (6, "taskmaestro-reference", "add_one"),  # the core's first: ghost
        (3, "taskmaestro-reference", None),  # result_task: nowhere
        (10, "taskmaestro-reference", "sum"),  # phantom; sum.a is still judged: it fits
        (16, "taskmaestro-cycle", "one"),  # one cycle per group of tasks
        (22, "taskmaestro-cycle", "three"),
    ]
    assert "Dependency 'ghost' for task " in str(found[0].error)
    assert "result_task 'nowhere' not found" in str(found[1].error)
    assert "'phantom'" in str(found[2].error)
    assert str(found[3].error).endswith("one -> two -> one")
    assert str(found[4].error).endswith("three -> four -> three")


def test_entries_the_builder_refuses_are_each_reported_and_the_rest_judged(
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
            - task: {M}.Double
              name: "bad name"
              depends_on: add_one
            - task: {M}.ToText
              name: add_one
            - task: {M}.Double
              depends_on: "bad name"
            - task: {M}.Double
              name: typed
              depends_on: add_one
              config_fields: [bogus]
            - task: {M}.AddOne
              name: again
            - task: {M}.Double
              name: which
              depends_on: {M}.AddOne
        """,
    )
    found = problems_of(load_error(workflow))
    assert [(p.error.line, p.code) for p in found] == [
        (6, "taskmaestro-invalid-name"),
        (9, "taskmaestro-duplicate-name"),
        (20, "taskmaestro-ambiguous"),  # add_one or again: the plugin's code for it
        (15, "taskmaestro-config-field"),  # then the others' wiring; double's reference
    ]  # to "bad name" is not a problem of its own


def test_a_long_cycle_is_one_problem_and_needs_no_recursion(tmp_path: Path) -> None:
    count = 1200  # more than the recursion limit: the components are found iteratively
    entries = "".join(
        f"    - task: {M}.Double\n      name: t{i}\n      depends_on: t{(i + 1) % count}\n"
        for i in range(count)
    )
    workflow = tmp_path / "w.yaml"
    workflow.write_text(f"workflow:\n  name: w\n  tasks:\n{entries}", encoding="utf-8")
    [problem] = problems_of(load_error(workflow, match="Cycle detected"))
    assert problem.code == "taskmaestro-cycle"
    assert problem.error.task_name is not None


def test_the_hooks_are_judged_though_the_wiring_is_not_right(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
            - task: {M}.ToText
            - task: {M}.Double
        runner:
          hooks:
            - hook: {M}.RecordingHook
              params: {{colour: red}}
            - hook: {M}.Nowhere
        """,
    )
    found = problems_of(load_error(workflow, match="Workflow validation failed"))
    assert [(p.error.line, p.code) for p in found] == [
        (6, "taskmaestro-type"),  # Double takes a Number, ToText gives a Text
        (10, "taskmaestro-hook"),
        (11, "taskmaestro-hook"),
    ]
