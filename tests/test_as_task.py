"""``Workflow.as_task`` and ``Workflow.run`` (features-0.4 sections 5 and 6)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from pydantic import BaseModel

from taskmaestro import (
    ExecutionContext,
    IncompleteInputError,
    Job,
    JobConfiguration,
    JobStatus,
    Runner,
    Task,
    TimingHook,
    Workflow,
    WorkflowDefinitionError,
    workflow_task,
)

from .helpers import AddOne, Boom, Double, Number


class Scale(BaseModel):
    value: int
    factor: int


class Multiply(Task[Scale, Number]):
    def run(self, input: Scale, ctx: ExecutionContext) -> Number:
        return Number(value=input.value * input.factor)


def chain() -> Workflow[Any, Any]:
    return Workflow("inner", [AddOne, Double])


def configured() -> Workflow[Any, Any]:
    builder = Workflow.builder(name="scaled")
    builder.task(AddOne)
    builder.add_task(Multiply, depends_on="add_one", config_fields=["factor"])
    return builder.build()


def test_as_task_is_workflow_task() -> None:
    inner = chain()
    wrapped = inner.as_task(name="twice")
    same = workflow_task(inner, name="twice")
    assert wrapped.__name__ == same.__name__ == "WorkflowTask_twice"
    assert wrapped.name == "twice"
    outer = Workflow("outer", [AddOne, wrapped])
    assert outer.run(Number(value=1)).result == Number(value=6)


def test_as_task_checks_the_inner_configuration_when_wrapping() -> None:
    inner = configured()
    with pytest.raises(IncompleteInputError, match="Task 'multiply' needs config value"):
        inner.as_task()
    with pytest.raises(WorkflowDefinitionError, match="Invalid configuration value"):
        inner.as_task(job_configuration=JobConfiguration({"multiply": {"factor": "x"}}))
    wrapped = inner.as_task(job_configuration=JobConfiguration({"multiply": {"factor": 3}}))
    assert Workflow("outer", [wrapped]).run(Number(value=1)).result == Number(value=6)


def test_run_takes_a_dict_of_values_and_returns_the_finished_job() -> None:
    job = configured().run(Number(value=2), task_config={"multiply": {"factor": 5}})
    assert job.status is JobStatus.COMPLETED
    assert job.result == Number(value=15)
    assert isinstance(job.job_configuration, JobConfiguration)


def test_run_passes_hooks_context_timeout_and_executor() -> None:
    timing = TimingHook()
    context = ExecutionContext()
    with ThreadPoolExecutor(max_workers=2) as executor:
        job = chain().run(
            Number(value=1),
            hooks=[timing],
            ctx=context,
            timeout_seconds=30,
            executor=executor,
        )
    assert job.result == Number(value=4)
    assert job.context is context
    assert set(timing.task_timings) == {"add_one", "double"}


def test_run_raises_job_checks_and_records_task_failures() -> None:
    with pytest.raises(WorkflowDefinitionError, match="needs config value"):
        configured().run(Number(value=1))
    with pytest.raises(WorkflowDefinitionError, match="Root task 'add_one' expects input type"):
        chain().run(Scale(value=1, factor=2))
    failed = Workflow("w", [AddOne, Boom]).run(Number(value=1))
    assert failed.status is JobStatus.FAILED
    assert failed.failed_task == "boom"


def test_run_is_runner_run() -> None:
    by_hand = Runner().run(Job(chain(), Number(value=3)))
    assert chain().run(Number(value=3)).result == by_hand.result
