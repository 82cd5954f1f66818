"""Mapped tasks: what running a task once per item adds to calling its ``run()`` by hand.

The job: one mapped task over 1,000 items (``Step``: ``value = offset + item``,
``offset`` shared from the configuration). Per round, timed:

- ``floor``: a plain loop that validates each item's input (shared values,
  key and value, as the runner does) and calls ``run()`` of a new instance
  with one ``ExecutionContext``: the work every item needs, and nothing else;
- ``mapped``: ``Runner().run(Job(...))``: the job's checks, per item a new
  instance, its input, its child context, output check, record and events,
  then the ``MappedOutput``;
- ``mapped_threads``: the same with ``Runner(executor=ThreadPoolExecutor(4))``:
  each item sent to a worker thread and its result collected by the driver.

Overheads are per item and per round: (runner - floor) / items. Target: the
sequential runner's overhead per item at most 3x the floor's time per item,
or under 20 us, whichever is larger (an item costs a new instance, an input
validation and a child context that a chained task does not).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pydantic import BaseModel

from taskmaestro import (
    EmptyConfig,
    ExecutionContext,
    Job,
    JobConfiguration,
    JobStatus,
    Runner,
    Task,
    Workflow,
)
from taskmaestro.mapping import TaskMap

from ._measure import Group, figure, per_round, rounds, timed

__all__ = ["run"]

ITEMS = 1_000
RUNS = 15
SMOKE_ITEMS = 20
FLOOR_FACTOR = 3.0
MICROSECONDS_TARGET = 20.0


class StepInput(BaseModel):
    offset: int
    key: str
    item: int


class Stepped(BaseModel):
    value: int


class Step(Task[StepInput, Stepped]):
    def run(self, input: StepInput, ctx: ExecutionContext) -> Stepped:
        return Stepped(value=input.offset + input.item)


def mapped_workflow() -> Workflow[Any, Any]:
    builder: Any = Workflow.builder("mapped")
    builder.add_task(
        Step,
        config_fields=["offset"],
        mapped_over=TaskMap(over="items", key_as="key", value_as="item"),
    )
    workflow: Workflow[Any, Any] = builder.build()
    return workflow


def _configuration(items: int) -> JobConfiguration:
    return JobConfiguration(
        {"step": {"offset": 1, "items": {f"k{index}": index for index in range(items)}}}
    )


def _floor(items: int) -> Any:
    keys = [(f"k{index}", index) for index in range(items)]
    context = ExecutionContext()

    def loop() -> None:
        shared: dict[str, object] = {"offset": 1}
        for key, item in keys:
            data = dict(shared)
            data["key"] = key
            data["item"] = item
            Step().run(StepInput.model_validate(data), context)

    return lambda: timed(loop)


def _runner(items: int, runner: Runner) -> Any:
    workflow = mapped_workflow()
    configuration = _configuration(items)

    def once() -> None:
        job = runner.run(Job(workflow, EmptyConfig(), job_configuration=configuration))
        if job.status is not JobStatus.COMPLETED:
            raise RuntimeError(f"benchmark job failed: {job.error}")

    return lambda: timed(once)


def run(smoke: bool) -> Group:
    items = SMOKE_ITEMS if smoke else ITEMS
    with ThreadPoolExecutor(4) as pool:
        values = rounds(
            {
                "floor": _floor(items),
                "mapped": _runner(items, Runner()),
                "mapped_threads": _runner(items, Runner(executor=pool)),
            },
            1 if smoke else RUNS,
        )
    group = Group("mapped", smoke)
    group.notes = {"items": items, "runs": len(values["floor"]), "threads": 4}

    def per_item(series: list[float]) -> list[float]:
        return [value * 1e6 / items for value in series]

    floor, mapped = per_item(values["floor"]), per_item(values["mapped"])
    threads = per_item(values["mapped_threads"])
    group.add("floor_us", "floor: input + run() by hand, per item", figure(floor, "us"))
    group.add(
        "mapped_us", "Runner().run(Job(...)) of a mapped task, per item", figure(mapped, "us")
    )
    overhead = figure(per_round(lambda m, f: m - f, mapped, floor), "us")
    limit = figure(per_round(lambda f: max(FLOOR_FACTOR * f, MICROSECONDS_TARGET), floor), "us")
    group.add(
        "overhead_us",
        "mapped-task overhead above the floor, per item",
        overhead,
        f"<= max(3x floor, {MICROSECONDS_TARGET:g} us) = {limit.median:.2f} us",
        overhead.median <= limit.median,
    )
    group.add(
        "threads_us",
        "the same on 4 threads, per item (sent to a worker and back)",
        figure(threads, "us"),
    )
    return group


if __name__ == "__main__":
    from ._report import main

    main(run)
