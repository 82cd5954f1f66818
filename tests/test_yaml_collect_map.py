"""YAML ``collect:`` and ``map:`` forms (features-0.4 sections 3 and 4), errors located."""

from __future__ import annotations

from pathlib import Path

import pytest

from taskmaestro import LoadedWorkflow, MappedOutput, TaskMap, load_workflow_from_yaml
from taskmaestro.dependencies import CollectionRef, OutputRef

from .test_map_rules import Measured
from .test_yaml_schema import errors_of
from .yaml_support import M, Number, assert_at, line_of, load_error, write

C = "tests.test_collect"
R = "tests.test_map_rules"
MARK = "# <-"


def load(tmp_path: Path, workflow: str, inputs: str) -> tuple[LoadedWorkflow, Path]:
    path = write(tmp_path, "workflow.yaml", workflow)
    return load_workflow_from_yaml(path, write(tmp_path, "input.yaml", inputs)), path


def test_collect_lists_and_mappings_of_members(tmp_path: Path) -> None:
    loaded, _ = load(
        tmp_path,
        f"""
        workflow:
          name: w
          result_task: sum_ints
          tasks:
            - task: {M}.AddOne
            - task: {M}.Double
              depends_on: add_one
            - task: {C}.SumInts
              depends_on:
                values: {{collect: [[add_one, value], [double, value]]}}
            - task: {C}.ListKeys
              depends_on:
                values:
                  collect: {{first: add_one, second: double}}
            - task: {C}.CountAny
              name: none
              depends_on:
                values: {{collect: []}}
        """,
        "add_one: {value: 1}\n",
    )
    workflow = loaded.workflow
    assert workflow.get_dependencies("sum_ints") == {
        "values": CollectionRef(
            "positional",
            positional_members=(OutputRef("add_one", "value"), OutputRef("double", "value")),
        )
    }
    assert workflow.get_dependencies("list_keys") == {
        "values": CollectionRef(
            "keyed",
            keyed_members=(("first", OutputRef("add_one")), ("second", OutputRef("double"))),
        )
    }
    job = loaded.run()
    assert job.error is None
    assert job.result == Number(value=2 + 4)


def test_map_entries_declare_mapped_tasks_and_their_items(tmp_path: Path) -> None:
    loaded, _ = load(
        tmp_path,
        f"""
        workflow:
          name: w
          tasks:
            - task: {R}.Measure
              map: {{over: files, key_as: name, value_as: size, error_mode: collect_all}}
            - task: {R}.Summarize
              depends_on:
                sizes: measure
        """,
        "measure: {files: {a: 1, b: 2}, unit: kb}\n",
    )
    workflow = loaded.workflow
    assert workflow.get_task_map("measure") == TaskMap("files", "name", "size", "collect_all")
    assert workflow.get_config_fields("measure") == {"unit"}
    assert workflow.get_dependencies("summarize") == {"sizes": ("measure", "root")}
    assert workflow.get_output_annotation("measure") is MappedOutput[Measured]
    assert loaded.job.configured_values["measure"]["files"] == {"a": 1, "b": 2}


def test_a_lone_map_entry_makes_a_dag_file(tmp_path: Path) -> None:
    loaded, _ = load(
        tmp_path,
        f"""
        workflow:
          name: w
          result_task: add_one
          tasks:
            - task: {M}.AddOne
            - task: {R}.Measure
              map: {{over: files, key_as: name, value_as: size}}
        """,
        "add_one: {value: 1}\nmeasure: {files: {}}\n",
    )
    workflow = loaded.workflow
    assert workflow.get_dependencies("measure") is None


ERRORS = {
    "member kind": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
            - task: {C}.SumAll
              depends_on:
                values: {{collect: [add_one, {{x: 1}}]}}  # <-
        """,
        r"Collection member must be a task name or \[task, field\]",
    ),
    "collect kind": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
            - task: {C}.SumAll
              depends_on:
                values: {{collect: add_one}}  # <-
        """,
        "'collect' must contain a list or mapping",
    ),
    "collect key": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
            - task: {C}.ListKeys
              depends_on:
                values:
                  collect:
                    1: add_one  # <-
        """,
        "Collection keys must be strings",
    ),
    "other key beside collect": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
            - task: {C}.SumAll
              depends_on:
                values: {{collect: [add_one], extra: 1}}  # <-
        """,
        "unknown key 'extra'",
    ),
    "element type": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.ToText
            - task: {C}.SumAll
              depends_on:
                values: {{collect: [to_text]}}  # <-
        """,
        r"Collection type mismatch for 'sum_all\.values\[0\]'",
    ),
    "error mode": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {R}.Measure
              map: {{over: files, key_as: name, value_as: size, error_mode: often}}  # <-
        """,
        "YAML schema validation error",
    ),
    "map unknown key": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {R}.Measure
              map: {{over: files, key: name, key_as: name, value_as: size}}  # <-
        """,
        "unknown key 'key'",
    ),
    "same key and value": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {R}.Measure
              map: {{over: files, key_as: name, value_as: name}}  # <-
        """,
        "key_as and TaskMap.value_as must be different",
    ),
    "missing map field": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {R}.Measure
              map:
                over: files
                key_as: title  # <-
                value_as: size
        """,
        r"Map field 'title' not found on Item",
    ),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_collect_and_map_errors_point_at_their_line(tmp_path: Path, case: str) -> None:
    text, match = ERRORS[case]
    workflow = write(tmp_path, "workflow.yaml", text)
    inputs = write(tmp_path, "input.yaml", "add_one: {value: 1}\n" if "AddOne" in text else "{}\n")
    error = load_error(workflow, inputs, match=match)
    assert_at(error, workflow, line_of(workflow, MARK))


def test_bad_items_in_the_input_file_are_a_job_error(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "workflow.yaml",
        f"""
        workflow:
          name: w
          tasks:
            - task: {R}.Measure
              map: {{over: files, key_as: name, value_as: size}}
        """,
    )
    inputs = write(tmp_path, "input.yaml", "measure: {files: [1, 2]}\n")
    load_error(workflow, inputs, match=r"Configuration field 'measure\.files' must be a mapping")


def test_the_json_schema_knows_collect_and_map() -> None:
    data = {
        "workflow": {
            "name": "w",
            "tasks": [
                {"task": "m.A", "map": {"over": "f", "key_as": "k", "value_as": "v"}},
                {
                    "task": "m.B",
                    "depends_on": {"x": {"collect": ["a", ["a", "out"]]}, "y": {"collect": {}}},
                },
                {
                    "task": "m.C",
                    "map": {
                        "over": "f",
                        "key_as": "k",
                        "value_as": "v",
                        "error_mode": "collect_all",
                    },
                },
            ],
        }
    }
    assert errors_of(data) == []


@pytest.mark.parametrize(
    "entry",
    [
        {"task": "m.A", "map": {"over": "f", "key_as": "k"}},
        {"task": "m.A", "map": {"over": "f", "key_as": "k", "value_as": "v", "mode": "x"}},
        {"task": "m.A", "map": {"over": "f", "key_as": "k", "value_as": "v", "error_mode": "x"}},
        {"task": "m.A", "depends_on": {"x": {"collect": "a"}}},
        {"task": "m.A", "depends_on": {"x": {"collect": [1]}}},
        {"task": "m.A", "depends_on": {"x": {"collect": ["a"], "other": 1}}},
    ],
)
def test_the_json_schema_rejects_bad_collect_and_map(entry: object) -> None:
    assert errors_of({"workflow": {"name": "w", "tasks": [entry]}}) != []
