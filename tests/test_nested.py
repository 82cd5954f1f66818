"""Nested workflows: a workflow wrapped as one task of another."""

from __future__ import annotations

import time
from typing import ClassVar

from pydantic import BaseModel

from taskmaestro import (
    EmptyConfig,
    ExecutionContext,
    Job,
    JobConfiguration,
    JobStatus,
    Runner,
    Task,
    TaskExecutionError,
    TaskTimeoutError,
    Workflow,
    workflow_task,
)
from taskmaestro.exceptions import NestedWorkflowError
from taskmaestro.task import task_models

from .helpers import AddOne, Boom, Double, Number, names


def test_a_nested_workflow_is_a_node_kind_of_the_graph() -> None:
    """The graph knows at build that the node wraps an inner graph and its configuration."""
    inner = Workflow(name="inner", tasks=[AddOne, Double])
    configuration = JobConfiguration({})
    nested = workflow_task(inner, name="inner_step", job_configuration=configuration)
    outer = Workflow(name="outer", tasks=[Double, nested])
    node = outer.graph.nodes["inner_step"]
    assert node.nested is not None
    assert node.nested.graph is inner.graph
    assert node.nested.job_configuration is configuration
    assert outer.graph.nodes["double"].nested is None
    assert Workflow.from_graph(inner.graph) is inner  # one workflow, one plan, per graph


def test_models_and_result() -> None:
    inner = Workflow(name="inner", tasks=[AddOne, Double])
    nested = workflow_task(inner, name="inner_step")
    assert nested.name == "inner_step"
    assert task_models(nested) == (Number, Number)
    outer = Workflow(name="outer", tasks=[Double, nested, AddOne])
    job = Runner().run(Job(outer, Number(value=1)))
    assert job.status is JobStatus.COMPLETED
    assert job.result == Number(value=7)  # ((1*2)+1)*2+1
    assert names(job) == ["double", "inner_step", "add_one"]


class Settings(BaseModel):
    offset: int


class Configured(Task[Settings, Number]):
    def run(self, input: Settings, ctx: ExecutionContext) -> Number:
        return Number(value=input.offset + ctx.resolve("base"))


def test_configured_inner_roots_take_empty_config_and_share_the_context() -> None:
    inner = (
        Workflow.builder(name="inner")
        .add_task(Configured, config_fields=["offset"])
        .add_task(Double, depends_on=Configured)
        .build()
    )
    nested = workflow_task(
        inner, name="configured", job_configuration=JobConfiguration({"configured": {"offset": 2}})
    )
    assert task_models(nested) == (EmptyConfig, Number)

    class Start(Task[Number, EmptyConfig]):
        def run(self, input: Number, ctx: ExecutionContext) -> EmptyConfig:
            return EmptyConfig()

    outer = Workflow(name="outer", tasks=[Start, nested])
    ctx = ExecutionContext(services={"base": 5})
    job = Runner().run(Job(outer, Number(value=0)), ctx=ctx)
    assert job.result == Number(value=14)


def test_inner_failure_names_the_inner_workflow_and_task() -> None:
    inner = Workflow(name="fragile", tasks=[AddOne, Boom])
    outer = Workflow(name="outer", tasks=[workflow_task(inner, name="wrapped")])
    job = Runner().run(Job(outer, Number(value=1)))
    assert job.status is JobStatus.FAILED
    assert job.failed_task == "wrapped"
    assert job.error == "Inner workflow 'fragile' failed at task 'boom': boom"
    assert isinstance(job.exception, NestedWorkflowError)
    assert isinstance(job.exception, TaskExecutionError)
    assert isinstance(job.exception, RuntimeError)  # what taskmaestro 0.1.0 raised
    assert job.exception.inner_task == "boom"
    assert isinstance(job.exception.__cause__, ValueError)


class Slow(Task[Number, Number]):
    timeout_seconds: ClassVar[float | None] = None

    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        time.sleep(5)
        return input


def test_outer_deadline_interrupts_inner_tasks() -> None:
    inner = Workflow(name="inner", tasks=[AddOne, Slow])
    outer = Workflow(
        name="outer", tasks=[workflow_task(inner, name="wrapped", timeout_seconds=0.3)]
    )
    start = time.monotonic()
    job = Runner().run(Job(outer, Number(value=1)))
    assert time.monotonic() - start < 2.0
    assert isinstance(job.exception, TaskTimeoutError)
    assert job.error == "Task 'wrapped' timed out after 0.3s"

    start = time.monotonic()
    job = Runner().run(Job(outer, Number(value=1)), timeout_seconds=0.2)
    assert time.monotonic() - start < 2.0
    assert job.error == "Job of workflow 'outer' timed out after 0.2s while running task 'wrapped'"
