"""Every Python example of the spec, run as written (plus what it needs to be complete)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from taskmaestro import (
    EmptyConfig,
    ExecutionContext,
    Job,
    JobConfiguration,
    JobStatus,
    ObjectModel,
    Runner,
    Task,
    Workflow,
)

from .helpers import names, result_of


def test_linear_pipeline(capsys: pytest.CaptureFixture[str]) -> None:
    class NumberInput(BaseModel):
        value: int

    class NumberOutput(BaseModel):
        value: int

    class AddOne(Task[NumberInput, NumberOutput]):
        def run(self, input: NumberInput, ctx: ExecutionContext) -> NumberOutput:
            return NumberOutput(value=input.value + 1)

    class Double(Task[NumberOutput, NumberOutput]):
        def run(self, input: NumberOutput, ctx: ExecutionContext) -> NumberOutput:
            return NumberOutput(value=input.value * 2)

    workflow = Workflow(name="math", tasks=[AddOne, Double])
    job = Job(workflow=workflow, config=NumberInput(value=5))
    result = Runner().run(job)

    print(result.status)  # "completed"
    assert result.result is not None
    print(result.result.value)  # 12
    assert capsys.readouterr().out == "completed\n12\n"


def test_fan_in(capsys: pytest.CaptureFixture[str]) -> None:
    class Input(BaseModel):
        value: int

    class Output(BaseModel):
        value: int

    class MergedInput(BaseModel):
        a: Output
        b: Output

    class MergedOutput(BaseModel):
        total: int

    class BranchA(Task[Input, Output]):
        def run(self, input: Input, ctx: ExecutionContext) -> Output:
            return Output(value=input.value + 1)

    class BranchB(Task[Input, Output]):
        def run(self, input: Input, ctx: ExecutionContext) -> Output:
            return Output(value=input.value * 2)

    class Merge(Task[MergedInput, MergedOutput]):
        def run(self, input: MergedInput, ctx: ExecutionContext) -> MergedOutput:
            return MergedOutput(total=input.a.value + input.b.value)

    workflow = (
        Workflow.builder(name="fan_in")
        .add_task(BranchA)
        .add_task(BranchB)
        .add_task(Merge, depends_on={"a": BranchA, "b": BranchB})
        .build()
    )

    job = Job(workflow=workflow, config=Input(value=5))
    result = Runner().run(job)

    print(result.status)  # "completed"
    assert result.result is not None
    print(result.result.total)  # 16 (6 + 10)
    assert capsys.readouterr().out == "completed\n16\n"


class Model(BaseModel):
    name: str


class WellPath(BaseModel):
    well: str


class Processed(BaseModel):
    summary: str


class LoadModel(Task[EmptyConfig, Model]):
    def run(self, input: EmptyConfig, ctx: ExecutionContext) -> Model:
        return Model(name="norne")


class LoadWellPath(Task[Model, WellPath]):
    def run(self, input: Model, ctx: ExecutionContext) -> WellPath:
        return WellPath(well=f"{input.name}-well")


class Process(Task[WellPath, Processed]):
    def run(self, input: WellPath, ctx: ExecutionContext) -> Processed:
        return Processed(summary=input.well.upper())


def test_named_instances_need_a_result_task_for_two_sinks() -> None:
    # The spec's snippet has two sinks (proc_1, proc_2): under rule W12 it needs
    # result_task; with it, everything else runs as written.
    workflow = (
        Workflow.builder(name="parallel_wells", result_task="proc_2")
        .add_task(LoadModel)
        .add_task(LoadWellPath, name="well_1", depends_on=LoadModel)
        .add_task(LoadWellPath, name="well_2", depends_on=LoadModel)
        .add_task(Process, name="proc_1", depends_on="well_1")
        .add_task(Process, name="proc_2", depends_on="well_2")
        .build()
    )
    job = Runner().run(Job(workflow=workflow, config=EmptyConfig()))
    assert job.status is JobStatus.COMPLETED
    # Execution order: Kahn's, tasks ready together taken alphabetically (0.1.0's rule).
    assert names(job) == ["load_model", "well_1", "proc_1", "well_2", "proc_2"]
    assert job.result == Processed(summary="NORNE-WELL")


class PathInput(BaseModel):
    path: str


class Grid(BaseModel):
    path: str
    cells: int


class TransformInput(BaseModel):
    path: str
    cells: int
    scale_factor: float


class Transformed(BaseModel):
    scaled_cells: float


class ConfiguredLoad(Task[PathInput, Grid]):
    name = "load_model"

    def run(self, input: PathInput, ctx: ExecutionContext) -> Grid:
        return Grid(path=input.path, cells=100)


class Transform(Task[TransformInput, Transformed]):
    def run(self, input: TransformInput, ctx: ExecutionContext) -> Transformed:
        return Transformed(scaled_cells=input.cells * input.scale_factor)


def test_per_task_configuration() -> None:
    workflow = (
        Workflow.builder(name="configured")
        .add_task(ConfiguredLoad, config_fields=["path"])  # root: all input from config
        .add_task(Transform, depends_on=ConfiguredLoad, config_fields=["scale_factor"])  # mixed
        .build()
    )

    job_config = JobConfiguration(
        {
            "load_model": {"path": "/data/model.egrid"},
            "transform": {"scale_factor": 2.5},
        }
    )

    job = Job(workflow=workflow, config=EmptyConfig(), job_configuration=job_config)
    result = Runner().run(job)
    assert result.status == "completed"
    assert result.result == Transformed(scaled_cells=250.0)
    assert result_of(result, "load_model").output == Grid(path="/data/model.egrid", cells=100)


class TextInput(BaseModel):
    text: str


class TextContent(BaseModel):
    words: list[str]


class KeywordsOutput(BaseModel):
    keywords: list[str]


class WordStatsOutput(BaseModel):
    count: int


class AnalysisReport(BaseModel):
    keywords: list[str]
    removed: int
    count: int


class PrepareText(Task[TextInput, TextContent]):
    def run(self, input: TextInput, ctx: ExecutionContext) -> TextContent:
        return TextContent(words=input.text.lower().split())


class ComputeWordStats(Task[TextContent, WordStatsOutput]):
    def run(self, input: TextContent, ctx: ExecutionContext) -> WordStatsOutput:
        return WordStatsOutput(count=len(input.words))


class ExtractKeywords(Task):
    class Inputs(BaseModel):
        content: TextContent

    class Outputs(BaseModel):
        keywords: KeywordsOutput
        num_words_removed: int

    def run(self, input: Inputs, ctx: ExecutionContext) -> Outputs:
        kept = [w for w in input.content.words if len(w) > 3]
        return self.Outputs(
            keywords=KeywordsOutput(keywords=kept),
            num_words_removed=len(input.content.words) - len(kept),
        )


class BuildReport(Task):
    class Inputs(BaseModel):
        keywords: KeywordsOutput
        num_words_removed: int
        stats: WordStatsOutput

    Outputs = AnalysisReport

    def run(self, input: Inputs, ctx: ExecutionContext) -> AnalysisReport:
        return AnalysisReport(
            keywords=input.keywords.keywords,
            removed=input.num_words_removed,
            count=input.stats.count,
        )


def test_output_field_routing() -> None:
    workflow = (
        Workflow.builder(name="analysis")
        .add_task(PrepareText)
        .add_task(ComputeWordStats, depends_on=PrepareText)
        .add_task(ExtractKeywords, depends_on={"content": PrepareText})
        .add_task(
            BuildReport,
            depends_on={
                "keywords": (ExtractKeywords, "keywords"),  # routes .keywords field
                "num_words_removed": (ExtractKeywords, "num_words_removed"),
                "stats": ComputeWordStats,  # whole output
            },
        )
        .build()
    )
    job = Runner().run(Job(workflow=workflow, config=TextInput(text="a quick brown fox")))
    assert job.status == "completed", job.error
    assert job.result == AnalysisReport(keywords=["quick", "brown"], removed=2, count=4)


class EclipseCase:
    """Stands in for a native (non-Pydantic) object such as rips.EclipseCase."""

    def __init__(self, name: str) -> None:
        self.name = name


GridCase = ObjectModel[EclipseCase]


class AddPerforationInput(ObjectModel[EclipseCase]):
    start_md: float
    end_md: float


def test_object_model_alias_and_subclass() -> None:
    grid = GridCase(value=EclipseCase("NORNE"))
    assert grid.value.name == "NORNE"
    perforation = AddPerforationInput(value=EclipseCase("A"), start_md=1.0, end_md=2.5)
    assert perforation.value.name == "A"
    assert perforation.end_md == 2.5
    with pytest.raises(ValueError, match="EclipseCase"):
        GridCase(value="not a case")
