"""Batch report: one mapped task over a folder of documents, handles and collect().

    python examples/batch_report/pipeline.py             # run through the Python API
    python examples/batch_report/pipeline.py --yaml      # run through workflow.yaml
    python examples/batch_report/pipeline.py --mermaid   # print the diagram

read_settings turns the report settings into a stop-word list; analyse_document
runs once per document of the ``documents`` mapping in the input file (its key
is the document's name, its value the text) and shares the stop words of
read_settings. size_section and vocabulary_section each read every document's
statistics as a ``dict[str, DocumentStats]`` (the mapped output, unwrapped);
build_report gathers their two sections into one list with ``collect()`` and
takes its title from one field of read_settings' output.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any, assert_type

import yaml
from pydantic import BaseModel, Field

from taskmaestro import (
    ExecutionContext,
    Job,
    JobConfiguration,
    Task,
    Workflow,
    collect,
)

HERE = Path(__file__).resolve().parent

# --- Models ----------------------------------------------------------------


class ReportSettings(BaseModel):
    """The job's input: the report's title and words to leave out of the counts."""

    title: str
    extra_stop_words: list[str] = Field(default_factory=list)


class Settings(BaseModel):
    title: str
    stop_words: list[str]


class DocumentInput(BaseModel):
    """One document (key and value of the mapping) plus the shared stop words."""

    name: str
    text: str
    stop_words: list[str]


class DocumentStats(BaseModel):
    words: int
    sentences: int
    distinct_words: int
    top_words: list[str]
    vocabulary: list[str]


class Corpus(BaseModel):
    documents: dict[str, DocumentStats]


class Section(BaseModel):
    heading: str
    lines: list[str]


class ReportInput(BaseModel):
    """build_report's input: a routed field, the mapped output and a collection."""

    title: str
    documents: dict[str, DocumentStats]
    sections: list[Section]


class Report(BaseModel):
    title: str
    documents: int
    words: int
    sections: list[Section]

    def render(self) -> str:
        out = [f"Report: {self.title}", f"  {self.documents} documents, {self.words} words"]
        for section in self.sections:
            out.append(f"  {section.heading}:")
            out.extend(f"    {line}" for line in section.lines)
        return "\n".join(out)


# --- Tasks -----------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")

_BASE_STOP_WORDS = frozenset(
    """a an and are as at be but by for from has have in is it its of on or so that the
    their this to was were which will with""".split()  # noqa: SIM905 - a word list reads better as text
)


class ReadSettings(Task[ReportSettings, Settings]):
    def run(self, input: ReportSettings, ctx: ExecutionContext) -> Settings:
        extra = {word.lower() for word in input.extra_stop_words}
        return Settings(title=input.title, stop_words=sorted(_BASE_STOP_WORDS | extra))


class AnalyseDocument(Task[DocumentInput, DocumentStats]):
    """Counts of one document; runs once per entry of the ``documents`` mapping."""

    def run(self, input: DocumentInput, ctx: ExecutionContext) -> DocumentStats:
        words = _WORD.findall(input.text.lower())
        stop = set(input.stop_words)
        counts = Counter(w for w in words if w not in stop)
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return DocumentStats(
            words=len(words),
            sentences=len(_SENTENCE_END.findall(input.text.strip())),
            distinct_words=len(set(words)),
            top_words=[word for word, _ in ranked[:3]],
            vocabulary=sorted(counts),
        )


class SizeSection(Task[Corpus, Section]):
    """Documents by length, longest first (ties by name)."""

    def run(self, input: Corpus, ctx: ExecutionContext) -> Section:
        ranked = sorted(input.documents.items(), key=lambda item: (-item[1].words, item[0]))
        return Section(
            heading="Size",
            lines=[
                f"{name}: {stats.words} words, {stats.sentences} sentences"
                for name, stats in ranked
            ],
        )


class VocabularySection(Task[Corpus, Section]):
    """Each document's top words, and the words that every document uses."""

    def run(self, input: Corpus, ctx: ExecutionContext) -> Section:
        lines = [
            f"{name}: {', '.join(stats.top_words) or '-'} ({stats.distinct_words} distinct)"
            for name, stats in sorted(input.documents.items())
        ]
        vocabularies = [set(stats.vocabulary) for stats in input.documents.values()]
        shared = sorted(set.intersection(*vocabularies)) if vocabularies else []
        lines.append(f"in every document: {', '.join(shared) or '-'}")
        return Section(heading="Vocabulary", lines=lines)


class BuildReport(Task[ReportInput, Report]):
    def run(self, input: ReportInput, ctx: ExecutionContext) -> Report:
        return Report(
            title=input.title,
            documents=len(input.documents),
            words=sum(stats.words for stats in input.documents.values()),
            sections=input.sections,
        )


# --- Workflow --------------------------------------------------------------

builder = Workflow.builder(name="batch_report")
settings = builder.task(ReadSettings)
analysed = builder.map_task(
    AnalyseDocument,
    over="documents",
    key_as="name",
    value_as="text",
    stop_words=settings.field("stop_words"),
)
size = builder.task(SizeSection, documents=analysed)  # dict[str, DocumentStats]: unwrapped
vocabulary = builder.task(VocabularySection, documents=analysed)
report = builder.task(
    BuildReport,
    title=settings.field("title"),
    documents=analysed,
    sections=collect(size, vocabulary),
)
workflow = builder.set_result_task(report).build()
assert_type(workflow, Workflow[Any, Report])  # set_result_task(handle) typed the result


def read_input() -> tuple[ReportSettings, JobConfiguration]:
    """The input file, per task: read_settings' fields and analyse_document's items."""
    data: dict[str, Any] = yaml.safe_load((HERE / "input.yaml").read_text(encoding="utf-8"))
    configuration = JobConfiguration({analysed.name: data[analysed.name]})
    return ReportSettings.model_validate(data[settings.name]), configuration


def run_python() -> Report:
    config, configuration = read_input()
    return _report(workflow.run(config, task_config=configuration))


def run_yaml() -> Report:
    from taskmaestro import run_workflow_from_yaml

    return _report(run_workflow_from_yaml(HERE / "workflow.yaml", HERE / "input.yaml"))


def _report(job: Job[Any, Report]) -> Report:
    if job.result is None:
        error = f"{type(job.exception).__name__}: {job.error}"
        raise SystemExit(f"The job failed in task {job.failed_task!r}: {error}")
    return job.result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--yaml", action="store_true", help="run through workflow.yaml")
    mode.add_argument("--mermaid", action="store_true", help="print the Mermaid diagram")
    arguments = parser.parse_args(argv)
    if arguments.mermaid:
        print(workflow.to_mermaid())
        return 0
    report = run_yaml() if arguments.yaml else run_python()
    print(report.render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
