"""The README's YAML example: loads and runs, from any current directory."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from taskmaestro import (
    ExecutionContext,
    JobStateError,
    JobStatus,
    LoadedWorkflow,
    LoggingHook,
    Runner,
    TimingHook,
    load_workflow_from_yaml,
    run_workflow_from_yaml,
)

from .helpers import names

EXAMPLE = Path(__file__).parent / "yaml_fixtures" / "text_analysis"

EXPECTED_TASKS = [
    "prepare_text",
    "generate_stop_words",
    "compute_word_stats",
    "extract_keywords",
    "score_readability",
    "build_report",
]


@pytest.fixture
def elsewhere(tmp_path: Path) -> Iterator[Path]:
    """Run the test with the current directory set to an unrelated, empty folder."""
    previous = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(previous)


def check_report(loaded: LoadedWorkflow) -> None:
    job = loaded.run()
    assert job.status is JobStatus.COMPLETED, job.error
    report = job.result
    assert report is not None
    assert report.title == "Python Overview"
    assert report.total_words == 9
    assert report.unique_words == 7
    assert report.keywords == ["python", "easy", "fun"]
    assert report.num_words_removed == 6
    assert report.average_word_length == 4.67


def test_the_example_loads_into_a_workflow_runner_job_and_context(elsewhere: Path) -> None:
    loaded = load_workflow_from_yaml(EXAMPLE / "workflow.yaml", EXAMPLE / "input.yaml")

    assert loaded.workflow.name == "text_analysis"
    assert list(loaded.workflow.task_names) == EXPECTED_TASKS
    assert loaded.workflow.result_task_name == "build_report"
    assert isinstance(loaded.runner, Runner)
    assert [type(hook) for hook in loaded.runner.hooks] == [LoggingHook, TimingHook]
    assert isinstance(loaded.context, ExecutionContext)
    assert loaded.context.resolve("title") == "Python Overview"
    assert loaded.job.config.text.startswith("Python is a high-level")
    assert loaded.job.status is JobStatus.PENDING
    assert loaded.timeout_seconds is None
    check_report(loaded)


def test_the_example_runs_from_the_folder_of_the_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLE)
    check_report(load_workflow_from_yaml("workflow.yaml", "input.yaml"))


def test_the_example_runs_from_the_filesystem_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir("/")
    check_report(load_workflow_from_yaml(str(EXAMPLE / "workflow.yaml"), EXAMPLE / "input.yaml"))


def test_a_copy_of_the_example_elsewhere_uses_its_own_pipeline_module(
    elsewhere: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    copy = tmp_path_factory.mktemp("copy") / "text_analysis"
    shutil.copytree(EXAMPLE, copy)
    check_report(load_workflow_from_yaml(copy / "workflow.yaml", copy / "input.yaml"))
    loaded = load_workflow_from_yaml(copy / "workflow.yaml", copy / "input.yaml")
    task = loaded.workflow.graph.nodes["prepare_text"].task
    assert Path(str(sys.modules[task.__module__].__file__)).parent == copy.resolve()
    check_report(load_workflow_from_yaml(EXAMPLE / "workflow.yaml", EXAMPLE / "input.yaml"))


def test_run_workflow_from_yaml_returns_the_finished_job(elsewhere: Path) -> None:
    job = run_workflow_from_yaml(EXAMPLE / "workflow.yaml", EXAMPLE / "input.yaml")
    assert job.status is JobStatus.COMPLETED
    assert job.result is not None
    assert job.result.keywords == ["python", "easy", "fun"]
    # Run in topological order, tasks ready together taken alphabetically.
    assert names(job) == [
        "generate_stop_words",
        "prepare_text",
        "compute_word_stats",
        "extract_keywords",
        "score_readability",
        "build_report",
    ]


def test_timing_hook_from_the_file_observed_every_task() -> None:
    loaded = load_workflow_from_yaml(EXAMPLE / "workflow.yaml", EXAMPLE / "input.yaml")
    loaded.run()
    timing = loaded.runner.hooks[1]
    assert isinstance(timing, TimingHook)
    assert sorted(timing.task_timings) == sorted(EXPECTED_TASKS)


def test_a_loaded_job_runs_once() -> None:
    loaded = load_workflow_from_yaml(EXAMPLE / "workflow.yaml", EXAMPLE / "input.yaml")
    loaded.run()
    with pytest.raises(JobStateError):
        loaded.run()
