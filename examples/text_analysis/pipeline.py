"""Text analysis: a DAG with fan-out, fan-in and output field routing.

    python examples/text_analysis/pipeline.py             # run through the Python API
    python examples/text_analysis/pipeline.py --yaml      # run through workflow.yaml
    python examples/text_analysis/pipeline.py --mermaid   # print the diagram
    python examples/text_analysis/pipeline.py --cache DIR # run twice with a result cache

prepare_text and generate_stop_words both start from the input text;
compute_word_stats and extract_keywords fan in from both; score_readability
reads the prepared text; build_report fans in four values, two of them routed
from single fields of extract_keywords' output.

The tasks that compute from their input alone set ``cache = True``: with a
result cache (``--cache DIR``), a second run with the same text is served from
it. build_report does not: its title comes from a service, which is not part of
a cache key.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path
from typing import ClassVar

import yaml
from pydantic import BaseModel

from taskmaestro import (
    Cache,
    CachePolicy,
    ExecutionContext,
    Job,
    Runner,
    Task,
    Workflow,
)

HERE = Path(__file__).resolve().parent

# --- Models ----------------------------------------------------------------


class TextInput(BaseModel):
    text: str
    title: str = "Untitled"


class TextContent(BaseModel):
    """The text split into sentences and lower-case words."""

    sentences: list[str]
    words: list[str]


class StopWords(BaseModel):
    words: list[str]


class WordStatsOutput(BaseModel):
    word_count: int
    unique_words: int
    average_word_length: float
    top_words: list[tuple[str, int]]


class KeywordsOutput(BaseModel):
    keywords: list[str]


class ReadabilityOutput(BaseModel):
    flesch_reading_ease: float
    level: str


class AnalysisReport(BaseModel):
    title: str
    word_count: int
    unique_words: int
    keywords: list[str]
    num_words_removed: int
    flesch_reading_ease: float
    level: str

    def render(self) -> str:
        return "\n".join(
            [
                f"Report: {self.title}",
                f"  words: {self.word_count} ({self.unique_words} distinct)",
                f"  stop words removed: {self.num_words_removed}",
                f"  keywords: {', '.join(self.keywords)}",
                f"  Flesch reading ease: {self.flesch_reading_ease:.1f} ({self.level})",
            ]
        )


# --- Tasks -----------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")

# A compact list of English function words; generate_stop_words adds the
# short words that the text itself uses most.
_BASE_STOP_WORDS = frozenset(
    """a about above after again all also an and any are as at be because been before
    being between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its itself
    just me more most my no nor not now of off on once only or other our out over own same
    she should so some such than that the their them then there these they this those
    through to too under until up very was we were what when where which while who whom
    why will with would you your""".split()  # noqa: SIM905 - a word list reads better as text
)


class PrepareText(Task[TextInput, TextContent]):
    cache: ClassVar[bool | CachePolicy] = True

    def run(self, input: TextInput, ctx: ExecutionContext) -> TextContent:
        text = " ".join(input.text.split())
        sentences = [s for s in _SENTENCE_END.split(text) if s]
        return TextContent(sentences=sentences, words=_WORD.findall(text.lower()))


class GenerateStopWords(Task[TextInput, StopWords]):
    cache: ClassVar[bool | CachePolicy] = True

    def run(self, input: TextInput, ctx: ExecutionContext) -> StopWords:
        counts = Counter(_WORD.findall(input.text.lower()))
        frequent_short = {w for w, n in counts.items() if len(w) <= 3 and n >= 3}
        return StopWords(words=sorted(_BASE_STOP_WORDS | frequent_short))


class ComputeWordStats(Task):
    cache: ClassVar[bool | CachePolicy] = True

    class Inputs(BaseModel):
        content: TextContent
        stop_words: StopWords

    Outputs = WordStatsOutput

    def run(self, input: Inputs, ctx: ExecutionContext) -> WordStatsOutput:
        words = input.content.words
        stop = set(input.stop_words.words)
        counts = Counter(w for w in words if w not in stop)
        return WordStatsOutput(
            word_count=len(words),
            unique_words=len(set(words)),
            average_word_length=sum(map(len, words)) / len(words) if words else 0.0,
            top_words=counts.most_common(5),
        )


class ExtractKeywords(Task):
    cache: ClassVar[bool | CachePolicy] = True

    class Inputs(BaseModel):
        content: TextContent
        stop_words: StopWords

    class Outputs(BaseModel):
        keywords: KeywordsOutput
        num_words_removed: int

    def run(self, input: Inputs, ctx: ExecutionContext) -> Outputs:
        stop = set(input.stop_words.words)
        kept = [w for w in input.content.words if w not in stop and len(w) > 2]
        ranked = sorted(Counter(kept).items(), key=lambda item: (-item[1], item[0]))
        return self.Outputs(
            keywords=KeywordsOutput(keywords=[word for word, _ in ranked[:8]]),
            num_words_removed=len(input.content.words) - len(kept),
        )


def count_syllables(word: str) -> int:
    """Vowel groups, minus a silent final 'e'; at least one per word."""
    groups = re.findall(r"[aeiouy]+", word)
    count = len(groups)
    if word.endswith("e") and not word.endswith(("le", "ee")) and count > 1:
        count -= 1
    return max(count, 1)


class ScoreReadability(Task[TextContent, ReadabilityOutput]):
    """Flesch reading ease: 206.835 - 1.015 (words/sentences) - 84.6 (syllables/words)."""

    cache: ClassVar[bool | CachePolicy] = True

    def run(self, input: TextContent, ctx: ExecutionContext) -> ReadabilityOutput:
        words = input.words
        if not words:
            return ReadabilityOutput(flesch_reading_ease=0.0, level="empty")
        sentences = max(len(input.sentences), 1)
        syllables = sum(count_syllables(w) for w in words)
        score = 206.835 - 1.015 * (len(words) / sentences) - 84.6 * (syllables / len(words))
        return ReadabilityOutput(flesch_reading_ease=score, level=_level(score))


_LEVELS = (
    (90, "very easy"),
    (70, "easy"),
    (60, "plain English"),
    (50, "fairly difficult"),
    (30, "difficult"),
)


def _level(score: float) -> str:
    for floor, name in _LEVELS:
        if score >= floor:
            return name
    return "very difficult"


class BuildReport(Task):
    class Inputs(BaseModel):
        stats: WordStatsOutput
        keywords: KeywordsOutput
        readability: ReadabilityOutput
        num_words_removed: int

    Outputs = AnalysisReport

    def run(self, input: Inputs, ctx: ExecutionContext) -> AnalysisReport:
        return AnalysisReport(
            title=ctx.resolve("title"),
            word_count=input.stats.word_count,
            unique_words=input.stats.unique_words,
            keywords=input.keywords.keywords,
            num_words_removed=input.num_words_removed,
            flesch_reading_ease=input.readability.flesch_reading_ease,
            level=input.readability.level,
        )


# --- Workflow --------------------------------------------------------------

workflow = (
    Workflow.builder(name="text_analysis")
    .add_task(PrepareText)
    .add_task(GenerateStopWords)
    .add_task(
        ComputeWordStats,
        depends_on={"content": PrepareText, "stop_words": GenerateStopWords},
    )
    .add_task(
        ExtractKeywords,
        depends_on={"content": PrepareText, "stop_words": GenerateStopWords},
    )
    .add_task(ScoreReadability, depends_on=PrepareText)
    .add_task(
        BuildReport,
        depends_on={
            "stats": ComputeWordStats,
            "keywords": (ExtractKeywords, "keywords"),
            "readability": ScoreReadability,
            "num_words_removed": (ExtractKeywords, "num_words_removed"),
        },
    )
    .build()
)


def run_python(cache: Cache | None = None) -> Job[TextInput, AnalysisReport]:
    """Run through the Python API with the same input file as the YAML way."""
    data = yaml.safe_load((HERE / "input.yaml").read_text(encoding="utf-8"))
    config = TextInput.model_validate(data)
    ctx = ExecutionContext(services={"title": config.title})
    return Runner(cache=cache).run(Job(workflow=workflow, config=config), ctx=ctx)


def run_twice_cached(folder: Path) -> None:
    """Run twice with an empty result cache in ``folder``: the second run is served from it."""
    cache = Cache(folder)
    cache.clear()
    reports = []
    for attempt in ("first", "second"):
        job = run_python(cache)
        reports.append(_report(job))
        served = ", ".join(r.task_name for r in job.task_results if r.cache_hit) or "none"
        ran = ", ".join(r.task_name for r in job.task_results if not r.cache_hit)
        print(f"{attempt} run: from the cache: {served}; ran: {ran}")
    print(f"the same report both times: {reports[0] == reports[1]}")


def run_yaml() -> AnalysisReport:
    from taskmaestro import run_workflow_from_yaml

    return _report(run_workflow_from_yaml(HERE / "workflow.yaml", HERE / "input.yaml"))


def _report(job: Job[TextInput, AnalysisReport]) -> AnalysisReport:
    if job.result is None:
        error = f"{type(job.exception).__name__}: {job.error}"
        raise SystemExit(f"The job failed in task {job.failed_task!r}: {error}")
    return job.result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--yaml", action="store_true", help="run through workflow.yaml")
    mode.add_argument("--mermaid", action="store_true", help="print the Mermaid diagram")
    mode.add_argument(
        "--cache", metavar="DIR", type=Path, help="run twice with a result cache in DIR"
    )
    arguments = parser.parse_args(argv)
    if arguments.mermaid:
        print(workflow.to_mermaid())
        return 0
    if arguments.cache is not None:
        run_twice_cached(arguments.cache)
        return 0
    report = run_yaml() if arguments.yaml else _report(run_python())
    print(report.render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
