"""Task handles under pyright, which runs no plugin: whole-output wiring errors and
the result type of ``set_result_task``, from the generic signatures alone.

``tests/test_pyright.py`` runs pyright on this file and compares each
``reveal_type`` and each error with the comment at the end of its line.
"""

from __future__ import annotations

from typing import reveal_type

from pydantic import BaseModel

from taskmaestro import ExecutionContext, MappedOutput, Task, Workflow, collect


class Raw(BaseModel):
    text: str


class Clean(BaseModel):
    words: list[str]


class Stats(BaseModel):
    count: int


class Load(Task[Raw, Raw]):
    def run(self, input: Raw, ctx: ExecutionContext) -> Raw:
        return input


class Tokenize(Task[Raw, Clean]):
    def run(self, input: Raw, ctx: ExecutionContext) -> Clean:
        return Clean(words=input.text.split())


class Count(Task[Clean, Stats]):
    def run(self, input: Clean, ctx: ExecutionContext) -> Stats:
        return Stats(count=len(input.words))


builder = Workflow.builder(name="text")
load = builder.task(Load)
reveal_type(load)  # T: TaskHandle[Raw]
tokens = builder.task(Tokenize, depends_on=load)
reveal_type(tokens)  # T: TaskHandle[Clean]
count = builder.task(Count, depends_on=tokens)
wrong = builder.task(Count, name="wrong", depends_on=load)  # E: reportArgumentType
spread = builder.task(Count, name="spread", depends_on=load, config_fields=["words"])
reveal_type(spread)  # T: TaskHandle[Stats]
mapped = builder.map_task(Count, name="each", over="files", key_as="k", value_as="v")
reveal_type(mapped)  # T: TaskHandle[MappedOutput[Stats]]
gathered = collect(tokens, tokens)
reveal_type(gathered)  # T: Collection[Clean]
workflow = builder.set_result_task(count).build()
reveal_type(workflow)  # T: Workflow[Any, Stats]
job = workflow.run(Raw(text="a b"))
reveal_type(job.result)  # T: Stats | None
check: type[MappedOutput[Stats]] = mapped.output_type
