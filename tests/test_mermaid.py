"""Mermaid output, compared with the exact expected text."""

from __future__ import annotations

from pydantic import BaseModel

from taskmaestro import (
    EmptyConfig,
    ExecutionContext,
    JobConfiguration,
    ObjectModel,
    Task,
    Workflow,
    workflow_task,
)

from .helpers import AddOne, Double, Number, Sum


class TextInput(BaseModel):
    text: str


class TextContent(BaseModel):
    words: list[str]


class StopWords(BaseModel):
    words: set[str]


class WordStatsInput(BaseModel):
    content: TextContent


class WordStatsOutput(BaseModel):
    count: int


class AnalysisReport(BaseModel):
    count: int


class PrepareText(Task[TextInput, TextContent]):
    def run(self, input: TextInput, ctx: ExecutionContext) -> TextContent:
        return TextContent(words=input.text.split())


class GenerateStopWords(Task[TextInput, StopWords]):
    def run(self, input: TextInput, ctx: ExecutionContext) -> StopWords:
        return StopWords(words=set())


class ComputeWordStats(Task[WordStatsInput, WordStatsOutput]):
    def run(self, input: WordStatsInput, ctx: ExecutionContext) -> WordStatsOutput:
        return WordStatsOutput(count=len(input.content.words))


class BuildReport(Task[WordStatsOutput, AnalysisReport]):
    def run(self, input: WordStatsOutput, ctx: ExecutionContext) -> AnalysisReport:
        return AnalysisReport(count=input.count)


def test_the_spec_example_exactly() -> None:
    workflow = (
        Workflow.builder(name="text_analysis", result_task=BuildReport)
        .add_task(PrepareText)
        .add_task(GenerateStopWords)
        .add_task(ComputeWordStats, depends_on={"content": PrepareText})
        .add_task(BuildReport, depends_on=ComputeWordStats)
        .build()
    )
    assert workflow.to_mermaid() == (
        "---\n"
        "title: text_analysis\n"
        "---\n"
        "graph TD\n"
        '    _start_(("start"))\n'
        '    _end_(("end"))\n'
        '    prepare_text["prepare_text"]\n'
        '    generate_stop_words["generate_stop_words"]\n'
        '    compute_word_stats["compute_word_stats"]\n'
        '    build_report["build_report"]\n'
        "    _start_ -->|TextInput| prepare_text\n"
        "    _start_ -->|TextInput| generate_stop_words\n"
        "    prepare_text -->|content: TextContent| compute_word_stats\n"
        "    compute_word_stats -->|WordStatsOutput| build_report\n"
        "    build_report -->|AnalysisReport| _end_"
    )
    assert workflow.to_mermaid() == workflow.to_mermaid()


class Holder(BaseModel):
    number: Number
    numbers: list[int]


class Hold(Task[Number, Holder]):
    def run(self, input: Number, ctx: ExecutionContext) -> Holder:
        return Holder(number=input, numbers=[])


class Listed(BaseModel):
    items: list[int] | None


class TakeList(Task[Listed, Number]):
    def run(self, input: Listed, ctx: ExecutionContext) -> Number:
        return Number(value=len(input.items or []))


def test_routes_quoted_labels_and_odd_names() -> None:
    workflow = (
        Workflow.builder(name="odd: names", result_task="end")
        .add_task(Hold, name="end")
        .add_task(Double, name="my-task", depends_on=("end", "number"))
        .add_task(TakeList, name="my_task", depends_on={"items": ("end", "numbers")})
        .add_task(Sum, depends_on={"a": ("end", "number"), "b": "my-task"})
        .build()
    )
    assert workflow.to_mermaid() == (
        "---\n"
        'title: "odd: names"\n'
        "---\n"
        "graph TD\n"
        '    _start_(("start"))\n'
        '    _end_(("end"))\n'
        '    end_["end"]\n'
        '    my_task["my-task"]\n'
        '    my_task_2["my_task"]\n'
        '    sum["sum"]\n'
        "    _start_ -->|Number| end_\n"
        "    end_ -->|.number: Number| my_task\n"
        '    end_ -->|"items: .numbers: list[int]"| my_task_2\n'
        "    end_ -->|a: .number: Number| sum\n"
        "    my_task -->|b: Number| sum\n"
        "    end_ -->|Holder| _end_"
    )


class Settings(BaseModel):
    path: str


class Case:
    pass


GridCase = ObjectModel[Case]


class LoadCase(Task[Settings, GridCase]):
    def run(self, input: Settings, ctx: ExecutionContext) -> GridCase:
        return GridCase(value=Case())


class Scaled(BaseModel):
    value: Case
    factor: float

    model_config = {"arbitrary_types_allowed": True}


class Scale(Task[Scaled, Number]):
    def run(self, input: Scaled, ctx: ExecutionContext) -> Number:
        return Number(value=int(input.factor))


def test_job_configuration_node_and_alias_names() -> None:
    workflow = (
        Workflow.builder(name="configured")
        .add_task(LoadCase, config_fields=["path"])
        .add_task(Scale, depends_on=LoadCase, config_fields=["factor"])
        .build()
    )
    configuration = JobConfiguration({"load_case": {"path": "/x"}, "scale": {"factor": 2}})
    assert workflow.input_model is EmptyConfig
    assert workflow.to_mermaid(job_configuration=configuration) == (
        "---\n"
        "title: configured\n"
        "---\n"
        "graph TD\n"
        '    _start_(("start"))\n'
        '    _end_(("end"))\n'
        '    _job_config_[("JobConfiguration")]\n'
        '    load_case["load_case"]\n'
        '    scale["scale"]\n'
        "    load_case -->|GridCase| scale\n"
        "    _job_config_ -.->|path| load_case\n"
        "    _job_config_ -.->|factor| scale\n"
        "    scale -->|Number| _end_"
    )
    assert "_job_config_" not in workflow.to_mermaid()  # drawn only when a configuration is given


def test_nested_workflow_is_a_subgraph() -> None:
    inner = Workflow(name="inner math", tasks=[AddOne, Double])
    outer = Workflow(name="outer", tasks=[Double, workflow_task(inner, name="twice"), AddOne])
    assert outer.to_mermaid() == (
        "---\n"
        "title: outer\n"
        "---\n"
        "graph TD\n"
        '    _start_(("start"))\n'
        '    _end_(("end"))\n'
        '    double["double"]\n'
        '    subgraph twice["twice"]\n'
        '        twice__add_one["add_one"]\n'
        '        twice__double["double"]\n'
        "        twice__add_one -->|Number| twice__double\n"
        "    end\n"
        '    add_one["add_one"]\n'
        "    _start_ -->|Number| double\n"
        "    double -->|Number| twice__add_one\n"
        "    twice__double -->|Number| add_one\n"
        "    add_one -->|Number| _end_"
    )
