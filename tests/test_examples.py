"""The example pipelines: what can be checked here, without a ResInsight server."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from taskmaestro import EmptyConfig, Job, JobConfiguration, TaskMap, load_workflow_from_yaml

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TEXT = EXAMPLES / "text_analysis"
RESINSIGHT = EXAMPLES / "resinsight"
BATCH = EXAMPLES / "batch_report"


def load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def text_analysis() -> Iterator[ModuleType]:
    yield load(TEXT / "pipeline.py", "example_text_analysis")
    sys.modules.pop("example_text_analysis", None)


@pytest.fixture(scope="module")
def resinsight() -> Iterator[ModuleType]:
    yield load(RESINSIGHT / "pipeline.py", "example_resinsight")
    sys.modules.pop("example_resinsight", None)


@pytest.fixture(scope="module")
def batch_report() -> Iterator[ModuleType]:
    yield load(BATCH / "pipeline.py", "example_batch_report")
    sys.modules.pop("example_batch_report", None)


def run_example(folder: Path, *options: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(folder / "pipeline.py"), *options],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# text_analysis ------------------------------------------------------------------


def test_text_analysis_gives_the_same_report_both_ways_from_any_folder(tmp_path: Path) -> None:
    python = run_example(TEXT, cwd=tmp_path)
    from_yaml = run_example(TEXT, "--yaml", cwd=Path("/"))
    assert python.returncode == 0, python.stderr
    assert from_yaml.returncode == 0, from_yaml.stderr
    assert python.stdout == from_yaml.stdout
    assert python.stdout.startswith("Report: Python Overview\n  words: 149 (110 distinct)\n")
    assert "Flesch reading ease: 50.4 (fairly difficult)" in python.stdout


def test_text_analysis_mermaid(text_analysis: ModuleType, tmp_path: Path) -> None:
    printed = run_example(TEXT, "--mermaid", cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == text_analysis.workflow.to_mermaid() + "\n"
    assert (
        "extract_keywords -->|keywords: .keywords: KeywordsOutput| build_report" in printed.stdout
    )


def test_text_analysis_second_run_is_served_from_the_cache(tmp_path: Path) -> None:
    printed = run_example(TEXT, "--cache", "cache", cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    first, second, same = printed.stdout.splitlines()
    assert first.startswith("first run: from the cache: none; ran: ")
    assert second == (
        "second run: from the cache: generate_stop_words, prepare_text, compute_word_stats, "
        "extract_keywords, score_readability; ran: build_report"
    )
    assert same == "the same report both times: True"
    assert (tmp_path / "cache" / "CACHEDIR.TAG").is_file()


def test_flesch_reading_ease_follows_the_formula(text_analysis: ModuleType) -> None:
    content = text_analysis.TextContent(
        sentences=["The cat sat on the mat."], words=["the", "cat", "sat", "on", "the", "mat"]
    )
    score = text_analysis.ScoreReadability().run(content, None)
    # 6 words, 1 sentence, 6 syllables: 206.835 - 1.015 * 6 - 84.6 * 1
    assert score.flesch_reading_ease == pytest.approx(116.145)
    assert score.level == "very easy"
    syllables = [text_analysis.count_syllables(w) for w in ("readability", "make", "the", "table")]
    assert syllables == [5, 1, 1, 2]


def test_text_analysis_yaml_builds_the_same_graph(text_analysis: ModuleType) -> None:
    loaded = load_workflow_from_yaml(TEXT / "workflow.yaml", TEXT / "input.yaml")
    order = loaded.workflow.topological_order()
    assert [(name, task.__qualname__) for name, task in order] == [
        (name, task.__qualname__) for name, task in text_analysis.workflow.topological_order()
    ]
    assert loaded.workflow.to_mermaid() == text_analysis.workflow.to_mermaid()


# resinsight -------------------------------------------------------------------------


EXPECTED_RESINSIGHT_DIAGRAM = """\
---
title: resinsight_completions
---
graph TD
    _start_(("start"))
    _end_(("end"))
    _job_config_[("JobConfiguration")]
    connect["connect"]
    load_model["load_model"]
    well_1["well_1"]
    well_2["well_2"]
    perforate_1["perforate_1"]
    perforate_2["perforate_2"]
    export_completions["export_completions"]
    connect -->|ResInsight| load_model
    load_model -->|LoadedModel| well_1
    load_model -->|LoadedModel| well_2
    well_1 -->|.well_path: WellPath| perforate_1
    well_2 -->|.well_path: WellPath| perforate_2
    load_model -->|case: .case: GridCase| export_completions
    perforate_1 -->|well_1: PerforatedWell| export_completions
    perforate_2 -->|well_2: PerforatedWell| export_completions
    _job_config_ -.->|end_port, start_port| connect
    _job_config_ -.->|export_folder| export_completions
    _job_config_ -.->|path| load_model
    _job_config_ -.->|end_md, start_md| perforate_1
    _job_config_ -.->|end_md, start_md| perforate_2
    _job_config_ -.->|well_path_file| well_1
    _job_config_ -.->|well_path_file| well_2
    export_completions -->|ExportedCompletions| _end_"""


def test_resinsight_workflow_builds_and_binds_its_configuration(resinsight: ModuleType) -> None:
    workflow = resinsight.workflow
    assert workflow.task_names == (
        "connect",
        "load_model",
        "well_1",
        "well_2",
        "perforate_1",
        "perforate_2",
        "export_completions",
    )
    assert workflow.input_model is EmptyConfig
    configuration = resinsight.job_configuration()
    assert isinstance(configuration, JobConfiguration)
    assert configuration["perforate_2"] == {"start_md": 3100.0, "end_md": 3150.0}
    Job(
        workflow, EmptyConfig(), job_configuration=configuration
    )  # the configuration fits every task


def test_resinsight_mermaid_uses_the_alias_names(resinsight: ModuleType) -> None:
    diagram = resinsight.workflow.to_mermaid(job_configuration=resinsight.job_configuration())
    assert diagram == EXPECTED_RESINSIGHT_DIAGRAM


def test_resinsight_yaml_loads_and_validates(resinsight: ModuleType) -> None:
    loaded = load_workflow_from_yaml(RESINSIGHT / "workflow.yaml", RESINSIGHT / "input.yaml")
    assert loaded.workflow.task_names == resinsight.workflow.task_names
    assert loaded.job.status == "pending"
    configuration = loaded.job.job_configuration
    assert configuration is not None
    assert configuration.get_config_for_task("load_model") == {
        "path": "ModelData/norne/NORNE_ATW2013.EGRID"
    }


@pytest.mark.parametrize("options", [(), ("--yaml",)])
def test_resinsight_without_a_server_fails_at_connect_clearly(
    options: tuple[str, ...], tmp_path: Path
) -> None:
    # Point rips at ports where no ResInsight listens, whatever runs on this machine.
    env = {**os.environ, "RESINSIGHT_GRPC_PORT": "1"}
    completed = subprocess.run(
        [sys.executable, str(RESINSIGHT / "pipeline.py"), *options],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert completed.returncode == 1
    last_line = completed.stderr.strip().splitlines()[-1]
    assert last_line == (
        "The job failed in task 'connect': ConnectionError: "
        "Could not find any ResInsight instances responding between ports 1 and 21; "
        "start ResInsight with its gRPC server enabled (or set RESINSIGHT_GRPC_PORT to "
        "the port it listens on)"
    )
    assert "Traceback" not in completed.stderr


# batch_report -------------------------------------------------------------------------


EXPECTED_BATCH_REPORT = """\
Report: Field notes, week 12
  3 documents, 96 words
  Size:
    monday.txt: 35 words, 3 sentences
    wednesday.txt: 31 words, 4 sentences
    friday.txt: 30 words, 4 sentences
  Vocabulary:
    friday.txt: otter, all, back (22 distinct)
    monday.txt: herons, rain, river (25 distinct)
    wednesday.txt: herons, otter, again (24 distinct)
    in every document: herons, river
"""


def test_batch_report_gives_the_same_report_both_ways_from_any_folder(tmp_path: Path) -> None:
    python = run_example(BATCH, cwd=tmp_path)
    from_yaml = run_example(BATCH, "--yaml", cwd=Path("/"))
    assert python.returncode == 0, python.stderr
    assert from_yaml.returncode == 0, from_yaml.stderr
    assert python.stdout == EXPECTED_BATCH_REPORT
    assert from_yaml.stdout == EXPECTED_BATCH_REPORT


def test_batch_report_mermaid_shows_the_map_and_the_collection(
    batch_report: ModuleType, tmp_path: Path
) -> None:
    printed = run_example(BATCH, "--mermaid", cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == batch_report.workflow.to_mermaid() + "\n"
    lines = set(printed.stdout.splitlines())
    assert '    analyse_document["analyse_document<br/>map over: documents"]' in lines
    assert '    _collect_build_report_sections_{{"collect sections"}}' in lines
    assert "    size_section -->|0: Section| _collect_build_report_sections_" in lines
    assert "    vocabulary_section -->|1: Section| _collect_build_report_sections_" in lines
    assert (
        '    analyse_document -->|"documents: .root: dict[str, DocumentStats]"| build_report'
        in lines
    )


def test_batch_report_wires_handles_map_and_collect(batch_report: ModuleType) -> None:
    workflow = batch_report.workflow
    assert workflow.result_task is batch_report.BuildReport
    assert workflow.get_task_map("analyse_document") == TaskMap(
        over="documents", key_as="name", value_as="text"
    )
    assert workflow.get_dependencies("analyse_document") == {
        "stop_words": ("read_settings", "stop_words")
    }
    assert workflow.get_dependencies("size_section") == {
        "documents": ("analyse_document", "root")  # the mapped output, unwrapped
    }
    sections = workflow.get_dependencies("build_report")["sections"]
    assert [member.task_name for member in sections.positional_members] == [
        "size_section",
        "vocabulary_section",
    ]


def test_batch_report_runs_each_document_as_an_item(batch_report: ModuleType) -> None:
    config, configuration = batch_report.read_input()
    job = batch_report.workflow.run(config, task_config=configuration)
    assert job.status.value == "completed", job.error
    assert [r.task_name for r in job.mapped_item_results["analyse_document"]] == [
        "analyse_document[monday.txt]",
        "analyse_document[wednesday.txt]",
        "analyse_document[friday.txt]",
    ]
    assert job.result.render() + "\n" == EXPECTED_BATCH_REPORT


def test_batch_report_yaml_builds_the_same_graph(batch_report: ModuleType) -> None:
    loaded = load_workflow_from_yaml(BATCH / "workflow.yaml", BATCH / "input.yaml")
    assert loaded.workflow.task_names == batch_report.workflow.task_names
    for name in batch_report.workflow.task_names:
        assert loaded.workflow.get_dependencies(name) == batch_report.workflow.get_dependencies(
            name
        )
    assert loaded.workflow.get_task_map("analyse_document") == (
        batch_report.workflow.get_task_map("analyse_document")
    )


def test_document_analysis_counts_words_sentences_and_skips_stop_words(
    batch_report: ModuleType,
) -> None:
    document = batch_report.DocumentInput(
        name="a.txt", text="The otter swam. The otter slept! Otters?", stop_words=["the"]
    )
    stats = batch_report.AnalyseDocument().run(document, None)
    assert (stats.words, stats.sentences, stats.distinct_words) == (7, 3, 5)
    assert stats.top_words == ["otter", "otters", "slept"]
    assert stats.vocabulary == ["otter", "otters", "slept", "swam"]
