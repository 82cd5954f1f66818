"""Running jobs: order, input assembly, fail-fast at every stage, job bookkeeping."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from taskmaestro import (
    BaseHook,
    EmptyConfig,
    ExecutionContext,
    Job,
    JobConfiguration,
    JobStateError,
    JobStatus,
    Runner,
    Task,
    TaskExecutionError,
    TaskOutputTypeError,
    TaskResult,
    TaskStatus,
    Workflow,
    WorkflowDefinitionError,
)

from .helpers import AddOne, Boom, Double, Number, Sum, Text, Total, names, result_of


class Recorder(BaseHook):
    """Remembers the order in which tasks ran."""

    def __init__(self) -> None:
        self.started: list[str] = []

    def on_task_start(self, job: Job[Any, Any], task: Task[Any, Any]) -> None:
        self.started.append(task.name)


def test_topological_order_breaks_ties_alphabetically() -> None:
    workflow = (
        Workflow.builder(name="w", result_task="sum")
        .add_task(Sum, depends_on={"a": "late", "b": "early"})
        .add_task(Double, name="late", depends_on="root")
        .add_task(AddOne, name="root")
        .add_task(Double, name="early", depends_on="root")
        .add_task(Double, name="side", depends_on="root")
        .build()
    )
    # Among the tasks ready to run, the first by instance name goes first (0.1.0's rule).
    order = workflow.topological_order()
    assert [name for name, _ in order] == ["root", "early", "late", "side", "sum"]
    assert [task for _, task in order] == [AddOne, Double, Double, Double, Sum]
    recorder = Recorder()
    job = Runner(hooks=[recorder]).run(Job(workflow, Number(value=1)))
    assert recorder.started == [name for name, _ in order]
    assert job.result == Total(total=8)


def test_job_record_after_success() -> None:
    job = Job(Workflow(name="math", tasks=[AddOne, Double]), Number(value=5))
    assert job.status is JobStatus.PENDING
    assert job.duration_seconds is None
    returned = Runner().run(job)
    assert returned is job
    assert returned.status is JobStatus.COMPLETED
    assert job.result == Number(value=12)
    assert job.error is None
    assert job.exception is None
    assert job.failed_task is None
    assert job.started_at is not None
    assert job.completed_at is not None
    assert job.started_at <= job.completed_at
    assert job.duration_seconds is not None
    assert job.duration_seconds >= 0
    assert names(job) == ["add_one", "double"]
    first = result_of(job, "add_one")
    assert isinstance(first, TaskResult)
    assert first.status is TaskStatus.COMPLETED
    assert first.output == Number(value=6)
    assert first.duration_seconds >= 0
    assert first.started_at >= job.started_at


def test_a_job_runs_once() -> None:
    job = Job(Workflow(name="math", tasks=[AddOne]), Number(value=1))
    Runner().run(job)
    with pytest.raises(JobStateError, match="runs only once"):
        Runner().run(job)
    failed = Job(Workflow(name="bad", tasks=[Boom]), Number(value=1))
    Runner().run(failed)
    with pytest.raises(JobStateError, match="Cannot run job with status 'failed'; expected"):
        Runner().run(failed)


def test_fail_fast_stops_at_the_first_failure() -> None:
    workflow = Workflow(name="w", tasks=[AddOne, Boom, Double])
    recorder = Recorder()
    job = Runner(hooks=[recorder]).run(Job(workflow, Number(value=1)))
    assert job.status is JobStatus.FAILED
    assert job.failed_task == "boom"
    assert job.result is None
    assert recorder.started == ["add_one", "boom"]
    assert names(job) == ["add_one", "boom"]
    failure = result_of(job, "boom")
    assert failure.status is TaskStatus.FAILED
    assert failure.output is None
    assert job.error == "boom"  # the task's own exception, recorded as it is
    assert failure.error == job.error
    assert isinstance(job.exception, ValueError)
    assert failure.exception is job.exception


class WrongOutput(Task[Number, Number]):
    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        return Text(text="oops")  # type: ignore[return-value]


class NoneOutput(Task[Number, Number]):
    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        return None  # type: ignore[return-value]


@pytest.mark.parametrize("task", [WrongOutput, NoneOutput])
def test_output_type_is_checked(task: type[Task[Number, Number]]) -> None:
    job = Runner().run(Job(Workflow(name="w", tasks=[task, Double]), Number(value=1)))
    assert job.status is JobStatus.FAILED
    assert isinstance(job.exception, TaskOutputTypeError)
    assert job.failed_task == task.name
    assert "expected Number" in (job.error or "")
    assert "double" not in names(job)


class Unbuildable(Task[Number, Number]):
    def __init__(self) -> None:
        raise RuntimeError("cannot construct")

    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        return input


def test_failure_while_creating_the_task() -> None:
    job = Runner().run(Job(Workflow(name="w", tasks=[Unbuildable]), Number(value=1)))
    assert job.status is JobStatus.FAILED
    assert job.failed_task == "unbuildable"
    assert "cannot construct" in (job.error or "")


class Settings(BaseModel):
    factor: int
    label: str = "x"


class Scaled(BaseModel):
    value: int
    label: str


class ScaleInput(BaseModel):
    value: int
    factor: int
    label: str = "default"


class Scale(Task[ScaleInput, Scaled]):
    def run(self, input: ScaleInput, ctx: ExecutionContext) -> Scaled:
        return Scaled(value=input.value * input.factor, label=input.label)


class LoadSettings(Task[Settings, Number]):
    def run(self, input: Settings, ctx: ExecutionContext) -> Number:
        return Number(value=input.factor)


def test_configured_root_spread_and_override() -> None:
    workflow = (
        Workflow.builder(name="configured")
        .add_task(LoadSettings, config_fields=["factor", "label"])
        .add_task(Scale, depends_on=LoadSettings, config_fields=["factor"])
        .build()
    )
    configuration = JobConfiguration(
        {"load_settings": {"factor": 7, "label": "l"}, "scale": {"factor": 3}}
    )
    job = Runner().run(Job(workflow, EmptyConfig(), job_configuration=configuration))
    assert job.status is JobStatus.COMPLETED, job.error
    assert job.result == Scaled(value=21, label="default")


def test_configured_value_overrides_the_wired_one() -> None:
    class Both(BaseModel):
        value: int
        factor: int

    class Emit(Task[Number, Both]):
        def run(self, input: Number, ctx: ExecutionContext) -> Both:
            return Both(value=input.value, factor=100)

    workflow = (
        Workflow.builder(name="override")
        .add_task(Emit)
        .add_task(Scale, depends_on=Emit, config_fields=["factor"])
        .build()
    )
    job = Runner().run(
        Job(workflow, Number(value=2), job_configuration=JobConfiguration({"scale": {"factor": 5}}))
    )
    assert job.result == Scaled(value=10, label="default")


def test_fan_in_mixed_with_config_fields() -> None:
    workflow = (
        Workflow.builder(name="mixed")
        .add_task(AddOne)
        .add_task(Sum, depends_on={"a": AddOne}, config_fields=["b"])
        .build()
    )
    configuration = JobConfiguration({"sum": {"b": {"value": 40}}})
    job = Runner().run(Job(workflow, Number(value=1), job_configuration=configuration))
    assert job.result == Total(total=42)


def test_invalid_config_value_is_refused_when_the_job_is_built() -> None:
    """Issue 17.5: a configured value is checked at Job(), not when its task finally runs."""
    workflow = (
        Workflow.builder(name="configured").add_task(LoadSettings, config_fields=["factor"]).build()
    )
    configuration = JobConfiguration({"load_settings": {"factor": "not a number"}})
    with pytest.raises(WorkflowDefinitionError) as raised:
        Job(workflow, EmptyConfig(), job_configuration=configuration)
    assert str(raised.value).startswith(
        "Invalid configuration value for task 'load_settings', field 'factor' of "
    )
    assert raised.value.task == "load_settings"
    assert raised.value.part == ("config_fields", "factor")
    coerced = JobConfiguration({"load_settings": {"factor": "3"}})  # pydantic's lax mode
    job = Runner().run(Job(workflow, EmptyConfig(), job_configuration=coerced))
    assert job.status is JobStatus.COMPLETED


def test_an_invalid_config_value_names_a_model_made_in_a_function_as_the_plugin_does() -> None:
    class Knobs(BaseModel):
        level: int

    class Tune(Task[Knobs, Number]):
        def run(self, input: Knobs, ctx: ExecutionContext) -> Number:
            return Number(value=input.level)

    workflow = Workflow.builder(name="knobs").add_task(Tune, config_fields=["level"]).build()
    configuration = JobConfiguration({"tune": {"level": "high"}})
    with pytest.raises(WorkflowDefinitionError) as raised:
        Job(workflow, EmptyConfig(), job_configuration=configuration)
    assert "field 'level' of Knobs:" in str(raised.value)  # not '...<locals>.Knobs'


class _Later(BaseModel):
    note: Later  # type: ignore[name-defined]  # noqa: F821  # never defined: pydantic cannot complete _Later


class _Holds(BaseModel):
    inner: _Later
    count: int = 0


def test_a_config_value_of_a_model_pydantic_cannot_complete_is_left_to_the_task() -> None:
    class Holds(Task[_Holds, Number]):
        def run(self, input: _Holds, ctx: ExecutionContext) -> Number:
            return Number(value=input.count)

    workflow = Workflow.builder(name="later").add_task(Holds, config_fields=["inner"]).build()
    configuration = JobConfiguration({"holds": {"inner": {"note": 1}}})
    job = Job(workflow, EmptyConfig(), job_configuration=configuration)  # no PydanticUserError

    ran = Runner().run(job)
    assert ran.status is JobStatus.FAILED  # the task's own validation refuses its input
    assert ran.failed_task == "holds"


def test_routed_whole_input_and_fan_in_routes() -> None:
    class Holder(BaseModel):
        number: Number
        other: Number

    class Hold(Task[Number, Holder]):
        def run(self, input: Number, ctx: ExecutionContext) -> Holder:
            return Holder(number=input, other=Number(value=100))

    workflow = (
        Workflow.builder(name="routes")
        .add_task(Hold)
        .add_task(Double, depends_on=(Hold, "number"))
        .add_task(Sum, depends_on={"a": "double", "b": ("hold", "other")})
        .build()
    )
    job = Runner().run(Job(workflow, Number(value=4)))
    assert job.result == Total(total=108)


def test_keyboard_interrupt_leaves_the_job_failed_and_propagates() -> None:
    class Interrupt(Task[Number, Number]):
        def run(self, input: Number, ctx: ExecutionContext) -> Number:
            raise KeyboardInterrupt

    job = Job(Workflow(name="w", tasks=[Interrupt]), Number(value=1))
    with pytest.raises(KeyboardInterrupt):
        Runner().run(job)
    assert job.status is JobStatus.FAILED
    assert job.failed_task == "interrupt"


def test_task_raising_our_error_keeps_it() -> None:
    class Picky(Task[Number, Number]):
        def run(self, input: Number, ctx: ExecutionContext) -> Number:
            raise TaskExecutionError("picky says no")

    job = Runner().run(Job(Workflow(name="w", tasks=[Picky]), Number(value=1)))
    assert job.error == "picky says no"
    assert isinstance(job.exception, TaskExecutionError)
    assert job.exception.task_name == "picky"


def test_negative_timeout_is_rejected() -> None:
    job = Job(Workflow(name="w", tasks=[AddOne]), Number(value=1))
    with pytest.raises(ValueError, match="positive"):
        Runner().run(job, timeout_seconds=0)
    assert job.status is JobStatus.PENDING
