"""Large workflows build and run without recursion limits (speed lives in benchmarks/)."""

from __future__ import annotations

from pydantic import BaseModel, create_model

from taskmaestro import ExecutionContext, Job, JobStatus, Runner, Task, Workflow

from .helpers import AddOne, Number

CHAIN = 10_000
FAN_IN = 3_000


def test_ten_thousand_task_chain() -> None:
    builder = Workflow.builder(name="chain")
    builder.add_task(AddOne, name="t0")
    for index in range(1, CHAIN):
        builder.add_task(AddOne, name=f"t{index}", depends_on=f"t{index - 1}")
    workflow = builder.build()
    assert workflow.result_task_name == f"t{CHAIN - 1}"
    job = Runner().run(Job(workflow, Number(value=0)))
    assert job.result == Number(value=CHAIN)
    assert workflow.to_mermaid().count("-->") == CHAIN + 1


def test_linear_chain_of_one_class() -> None:
    workflow = Workflow(name="chain", tasks=[AddOne] * CHAIN)
    assert workflow.topological_order()[-1][0] == f"add_one_{CHAIN}"
    assert Runner().run(Job(workflow, Number(value=0))).result == Number(value=CHAIN)


class Count(BaseModel):
    fields: int
    total: int


def test_fan_in_of_three_thousand() -> None:
    wide = create_model("Wide", **{f"f{i}": (Number, ...) for i in range(FAN_IN)})  # type: ignore[call-overload]

    class Merge(Task[wide, Count]):
        def run(self, input: BaseModel, ctx: ExecutionContext) -> Count:
            values = [getattr(input, name).value for name in type(input).model_fields]
            return Count(fields=len(values), total=sum(values))

    builder = Workflow.builder(name="fan_in")
    for index in range(FAN_IN):
        builder.add_task(AddOne, name=f"u{index}")
    builder.add_task(Merge, depends_on={f"f{i}": f"u{i}" for i in range(FAN_IN)})
    job = Runner().run(Job(builder.build(), Number(value=1)))
    assert job.status is JobStatus.COMPLETED
    assert job.result == Count(fields=FAN_IN, total=2 * FAN_IN)
