"""The text-analysis tasks of the README's YAML example, small and deterministic."""

from __future__ import annotations

import re

from pydantic import BaseModel

from taskmaestro import ExecutionContext, Task

STOP_WORDS = ("a", "an", "and", "is", "of", "the", "to")


class TextInput(BaseModel):
    text: str
    title: str = ""


class TextContent(BaseModel):
    words: list[str]


class StopWords(BaseModel):
    words: list[str]


class WordStatsOutput(BaseModel):
    total_words: int
    unique_words: int


class KeywordsOutput(BaseModel):
    keywords: list[str]


class ReadabilityOutput(BaseModel):
    average_word_length: float


class AnalysisReport(BaseModel):
    title: str
    total_words: int
    unique_words: int
    keywords: list[str]
    average_word_length: float
    num_words_removed: int


class PrepareText(Task[TextInput, TextContent]):
    def run(self, input: TextInput, ctx: ExecutionContext) -> TextContent:
        return TextContent(words=re.findall(r"[a-z0-9-]+", input.text.lower()))


class GenerateStopWords(Task[TextInput, StopWords]):
    def run(self, input: TextInput, ctx: ExecutionContext) -> StopWords:
        return StopWords(words=list(STOP_WORDS))


class ComputeWordStats(Task):
    class Inputs(BaseModel):
        content: TextContent
        stop_words: StopWords

    class Outputs(BaseModel):
        total_words: int
        unique_words: int

    def run(self, input: Inputs, ctx: ExecutionContext) -> Outputs:
        kept = [w for w in input.content.words if w not in input.stop_words.words]
        return self.Outputs(total_words=len(kept), unique_words=len(set(kept)))


class ExtractKeywords(Task):
    class Inputs(BaseModel):
        content: TextContent
        stop_words: StopWords

    class Outputs(BaseModel):
        keywords: KeywordsOutput
        num_words_removed: int

    def run(self, input: Inputs, ctx: ExecutionContext) -> Outputs:
        kept = [w for w in input.content.words if w not in input.stop_words.words]
        counts: dict[str, int] = {}
        for word in kept:
            counts[word] = counts.get(word, 0) + 1
        ranked = sorted(counts, key=lambda w: (-counts[w], w))[:3]
        removed = len(input.content.words) - len(kept)
        return self.Outputs(keywords=KeywordsOutput(keywords=ranked), num_words_removed=removed)


class ScoreReadability(Task[TextContent, ReadabilityOutput]):
    def run(self, input: TextContent, ctx: ExecutionContext) -> ReadabilityOutput:
        lengths = [len(w) for w in input.words] or [0]
        return ReadabilityOutput(average_word_length=round(sum(lengths) / len(lengths), 2))


class BuildReport(Task):
    class Inputs(BaseModel):
        stats: ComputeWordStats.Outputs
        keywords: KeywordsOutput
        readability: ReadabilityOutput
        num_words_removed: int

    def run(self, input: Inputs, ctx: ExecutionContext) -> AnalysisReport:
        return AnalysisReport(
            title=ctx.resolve("title"),
            total_words=input.stats.total_words,
            unique_words=input.stats.unique_words,
            keywords=input.keywords.keywords,
            average_word_length=input.readability.average_word_length,
            num_words_removed=input.num_words_removed,
        )

    Outputs = AnalysisReport
