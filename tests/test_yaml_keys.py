"""Every key of the workflow file does what the README says."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from taskmaestro import (
    ExecutionContext,
    Job,
    JobStatus,
    ResultPersistenceHook,
    Runner,
    load_workflow_from_yaml,
)
from taskmaestro._graph import Edge

from .yaml_support import DuckHook, M, RecordingHook, write


def run(workflow: Path, inputs: Path | None = None) -> object:
    job = load_workflow_from_yaml(workflow, inputs).run()
    assert job.status is JobStatus.COMPLETED, job.error
    return job.result


def edges(workflow: Path, inputs: Path, task: str) -> tuple[Edge, ...]:
    loaded = load_workflow_from_yaml(workflow, inputs)
    return loaded.workflow.graph.nodes[task].edges


@pytest.fixture
def number(tmp_path: Path) -> Path:
    return write(tmp_path, "input.yaml", "value: 3\n")


def test_a_linear_chain_with_instance_names(tmp_path: Path, number: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: chain
          tasks:
            - task: {M}.AddOne
              name: first
            - task: {M}.AddOne
              name: second
              depends_on: first
            - task: {M}.Double
              depends_on: second
        """,
    )
    loaded = load_workflow_from_yaml(workflow, number)
    assert loaded.workflow.name == "chain"
    assert list(loaded.workflow.task_names) == ["first", "second", "double"]
    result = loaded.run().result
    assert result is not None
    assert result.value == 10  # (3 + 1 + 1) * 2


def test_depends_on_by_class_path(tmp_path: Path, number: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: by_class
          tasks:
            - task: {M}.AddOne
            - task: {M}.Double
              depends_on: {M}.AddOne
        """,
    )
    assert edges(workflow, number, "double") == (Edge("add_one"),)
    result = run(workflow, number)
    assert getattr(result, "value", None) == 8


def test_depends_on_a_task_field_list(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: route
          tasks:
            - task: {M}.Split
            - task: {M}.Double
              depends_on: [split, high]
        """,
    )
    inputs = write(tmp_path, "input.yaml", "value: 10\n")
    assert edges(workflow, inputs, "double") == (Edge("split", "high"),)
    assert getattr(run(workflow, inputs), "value", None) == 22


def test_fan_in_with_names_class_paths_and_routes(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: fan_in
          tasks:
            - task: {M}.Split
            - task: {M}.AddOne
              name: bump
              depends_on: [{M}.Split, low]
            - task: {M}.Sum
              depends_on:
                a: bump
                b: [split, high]
        """,
    )
    inputs = write(tmp_path, "input.yaml", "value: 10\n")
    assert edges(workflow, inputs, "sum") == (Edge("bump", None, "a"), Edge("split", "high", "b"))
    assert getattr(run(workflow, inputs), "total", None) == 21  # (9 + 1) + 11


def test_result_task_by_name_and_by_class_path(tmp_path: Path, number: Path) -> None:
    for result_task in ("double", f"{M}.Double"):
        workflow = write(
            tmp_path,
            "w.yaml",
            f"""
            workflow:
              name: two_sinks
              result_task: {result_task}
              tasks:
                - task: {M}.AddOne
                - task: {M}.Double
                  depends_on: add_one
                - task: {M}.ToText
                  depends_on: add_one
            """,
        )
        loaded = load_workflow_from_yaml(workflow, number)
        assert loaded.workflow.result_task_name == "double"
        result = loaded.run().result
        assert result is not None
        assert result.value == 8


def test_config_fields_declared_in_the_workflow_file(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: configured
          tasks:
            - task: {M}.AddOne
            - task: {M}.Scale
              depends_on: add_one
              config_fields: [factor]
        """,
    )
    inputs = write(
        tmp_path,
        "input.yaml",
        """
        add_one: {value: 4}
        scale: {factor: 3}
        """,
    )
    loaded = load_workflow_from_yaml(workflow, inputs)
    assert loaded.workflow.graph.nodes["scale"].config_fields == ("factor",)
    assert loaded.job.job_configuration is not None
    assert loaded.job.job_configuration.get_config_for_task("scale") == {"factor": 3}
    result = loaded.run().result
    assert result is not None
    assert result.value == 15


def test_hooks_with_params_checked_and_converted(tmp_path: Path, number: Path) -> None:
    workflow = write(
        tmp_path,
        "sub/w.yaml",
        f"""
        workflow:
          name: hooked
          tasks:
            - task: {M}.AddOne
        runner:
          timeout_seconds: 30
          hooks:
            - hook: {M}.RecordingHook
              params:
                folder: out
                label: seen
                repeat: "2"
            - hook: taskmaestro.hooks.persistence.ResultPersistenceHook
              params:
                output_dir: results
            - hook: {M}.DuckHook
        """,
    )
    loaded = load_workflow_from_yaml(workflow, number)
    recording, persistence, duck = loaded.runner.hooks
    assert isinstance(recording, RecordingHook)
    assert recording.folder == tmp_path / "sub" / "out"  # a Path, relative to the file
    assert isinstance(recording.folder, Path)
    assert recording.label == "seen"
    assert recording.repeat == 2
    assert isinstance(persistence, ResultPersistenceHook)
    assert persistence.output_dir == tmp_path / "sub" / "results"
    assert isinstance(duck, DuckHook)
    assert loaded.timeout_seconds == 30.0
    loaded.run()
    assert recording.events == ["add_one"]
    assert (tmp_path / "sub" / "results" / "add_one.json").read_text().count('"value": 4') == 1


def test_an_absolute_path_parameter_stays_as_given(tmp_path: Path, number: Path) -> None:
    target = tmp_path / "elsewhere"
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: hooked
          tasks:
            - task: {M}.AddOne
        runner:
          hooks:
            - hook: {M}.RecordingHook
              params: {{folder: "{target}"}}
        """,
    )
    hook = load_workflow_from_yaml(workflow, number).runner.hooks[0]
    assert isinstance(hook, RecordingHook)
    assert hook.folder == target


def test_context_services_correlation_id_and_scratch_dir(tmp_path: Path, number: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: context
          tasks:
            - task: {M}.EchoContext
        context:
          correlation_id: run-42
          scratch_dir: scratch
          services:
            greeting: hello
            limits: {{low: 1, high: [2, 3]}}
        """,
    )
    loaded = load_workflow_from_yaml(workflow, number)
    assert loaded.context.resolve("limits") == {"low": 1, "high": [2, 3]}
    result = loaded.run().result
    assert result is not None
    assert result.correlation_id == "run-42"
    assert result.greeting == "hello"
    assert Path(result.scratch_dir) == tmp_path / "scratch"
    assert (tmp_path / "scratch" / "touched.txt").read_text() == "yes"  # a given folder is kept


def test_without_runner_and_context_sections_defaults_apply(tmp_path: Path, number: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: bare
          tasks:
            - task: {M}.AddOne
        """,
    )
    loaded = load_workflow_from_yaml(workflow, number)
    assert loaded.runner.hooks == []
    assert loaded.timeout_seconds is None
    assert len(loaded.context.correlation_id) == 36  # a fresh UUID


def test_empty_optional_keys_read_as_absent(tmp_path: Path, number: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: empties
          result_task:
          tasks:
            - task: {M}.AddOne
              name:
              depends_on:
              config_fields:
        runner:
          hooks:
        context:
        """,
    )
    loaded = load_workflow_from_yaml(workflow, number)
    assert list(loaded.workflow.task_names) == ["add_one"]


def test_yaml_anchors_and_merge_keys_are_understood(tmp_path: Path, number: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: anchors
          tasks:
            - &adder
              task: {M}.AddOne
              name: one
            - <<: *adder
              name: two
              depends_on: one
        """,
    )
    loaded = load_workflow_from_yaml(workflow, number)
    assert list(loaded.workflow.task_names) == ["one", "two"]
    result = loaded.run().result
    assert result is not None
    assert result.value == 5


class SpyRunner(Runner):
    """A Runner that records the timeout it is asked to run with."""

    timeouts: list[float | None]

    def run(
        self,
        job: Job[Any, Any],
        ctx: ExecutionContext | None = None,
        timeout_seconds: float | None = None,
    ) -> Job[Any, Any]:
        self.timeouts.append(timeout_seconds)
        return super().run(job, ctx=ctx, timeout_seconds=timeout_seconds)


def test_run_uses_the_file_s_timeout_and_closes_the_context(tmp_path: Path, number: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: timed
          tasks:
            - task: {M}.AddOne
        runner:
          timeout_seconds: 7.5
        """,
    )
    loaded = load_workflow_from_yaml(workflow, number)
    spy = SpyRunner(hooks=loaded.runner.hooks)
    spy.timeouts = []
    scratch = loaded.context.scratch_dir  # a temporary folder, made on first use
    assert scratch.is_dir()
    job = dataclasses.replace(loaded, runner=spy).run()
    assert job.status is JobStatus.COMPLETED
    assert spy.timeouts == [7.5]
    assert not scratch.exists()  # the loaded context is closed after the run
