"""taskmaestro 0.1.0's public surface, checked item by item (docs/compatibility.md).

Written from the reference of 0.1.0's surface (sections 2-12): module paths and
names, signatures, hook arguments and event order, the state hooks see, job
and result shapes, the key phrases of messages, workflow_task naming and the
Mermaid layout. Where this project deliberately differs, the test says so and
checks what it does instead.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import logging
import sys
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import taskmaestro
from taskmaestro import (
    ConfigLoadError,
    CycleDetectedError,
    EmptyConfig,
    ExecutionContext,
    IncompleteInputError,
    Job,
    JobConfiguration,
    JobStateError,
    JobStatus,
    Runner,
    Task,
    TaskExecutionError,
    TaskResult,
    TaskStatus,
    Workflow,
    WorkflowBuilder,
    WorkflowDefinitionError,
    WorkflowRunnerError,
    to_mermaid,
    workflow_task,
)
from taskmaestro.hooks.base import BaseHook, Event, Hook, HookWarning

from .helpers import AddOne, Boom, Double, Number, Pair, Sum, Text, Total, ToText

# -- section 2: modules and names ------------------------------------------------------------------

MODULES = {
    "taskmaestro.exceptions": [
        "WorkflowRunnerError",
        "WorkflowDefinitionError",
        "CycleDetectedError",
        "IncompleteInputError",
        "JobStateError",
        "TaskExecutionError",
        "TaskOutputTypeError",
        "TaskTimeoutError",
        "ConfigLoadError",
    ],
    "taskmaestro.context": ["ExecutionContext"],
    "taskmaestro.task": ["Task", "get_input_type", "get_output_type", "I", "O"],
    "taskmaestro.object_model": ["ObjectModel"],
    "taskmaestro.job": [
        "JobStatus",
        "TaskStatus",
        "TaskResult",
        "EmptyConfig",
        "JobConfiguration",
        "Job",
    ],
    "taskmaestro.workflow": ["Workflow", "WorkflowBuilder", "DepValue", "StoredDeps"],
    "taskmaestro.runner": ["Runner"],
    "taskmaestro.workflow_task": ["workflow_task"],
    "taskmaestro.visualization": ["to_mermaid"],
    "taskmaestro.hooks": [
        "BaseHook",
        "Event",
        "Hook",
        "LoggingHook",
        "ResultPersistenceHook",
        "TimingHook",
    ],
    "taskmaestro.hooks.base": ["Event", "Hook", "BaseHook"],
    "taskmaestro.hooks.logging": ["LoggingHook"],
    "taskmaestro.hooks.timing": ["TimingHook"],
    "taskmaestro.hooks.persistence": ["ResultPersistenceHook"],
}

TOP_LEVEL_0_1 = [
    "ConfigLoadError",
    "CycleDetectedError",
    "EmptyConfig",
    "ExecutionContext",
    "IncompleteInputError",
    "Job",
    "JobConfiguration",
    "JobStateError",
    "JobStatus",
    "LoadedWorkflow",
    "ObjectModel",
    "Runner",
    "Task",
    "TaskExecutionError",
    "TaskOutputTypeError",
    "TaskResult",
    "TaskStatus",
    "TaskTimeoutError",
    "Workflow",
    "WorkflowBuilder",
    "WorkflowDefinitionError",
    "WorkflowRunnerError",
    "load_workflow_from_yaml",
    "run_workflow_from_yaml",
    "to_mermaid",
    "workflow_task",
]


@pytest.mark.parametrize(("module", "names"), MODULES.items())
def test_every_module_path_exports_its_names(module: str, names: list[str]) -> None:
    imported = importlib.import_module(module)
    for name in names:
        assert hasattr(imported, name), f"{module}.{name}"
    exported = getattr(imported, "__all__", None)
    if module in ("taskmaestro.hooks", "taskmaestro.exceptions"):
        assert exported is not None
        assert set(names) <= set(exported)


def test_top_level_names_and_version() -> None:
    assert taskmaestro.__version__ == "0.1.0"
    assert set(TOP_LEVEL_0_1) <= set(taskmaestro.__all__)
    for name in TOP_LEVEL_0_1:
        assert getattr(taskmaestro, name) is not None
    assert taskmaestro.to_mermaid is importlib.import_module("taskmaestro.visualization").to_mermaid


def test_the_package_attribute_workflow_task_stays_the_function() -> None:
    module = importlib.import_module("taskmaestro.workflow_task")
    assert taskmaestro.workflow_task is module.workflow_task
    assert callable(taskmaestro.workflow_task)
    assert sys.modules["taskmaestro.workflow_task"] is module
    # Setting it again (as the import system does after loading the submodule) keeps it.
    taskmaestro.workflow_task = module  # type: ignore[assignment]
    assert taskmaestro.workflow_task is module.workflow_task


def test_the_aliases_are_the_same_objects() -> None:
    task_module = importlib.import_module("taskmaestro.task")
    assert task_module.I is task_module.InT
    assert task_module.O is task_module.OutT
    object_model = importlib.import_module("taskmaestro.object_model")
    assert object_model.ObjectModel is taskmaestro.ObjectModel


# -- section 3: exceptions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        WorkflowRunnerError,
        WorkflowDefinitionError,
        CycleDetectedError,
        IncompleteInputError,
        JobStateError,
        TaskExecutionError,
        taskmaestro.TaskOutputTypeError,
        taskmaestro.TaskTimeoutError,
        ConfigLoadError,
    ],
)
def test_exceptions_are_constructible_with_a_message_alone(error: type[Exception]) -> None:
    made = error("x")
    assert str(made) == "x"
    assert isinstance(made, WorkflowRunnerError)


def test_exception_tree_and_default_attributes() -> None:
    assert issubclass(CycleDetectedError, WorkflowDefinitionError)
    assert issubclass(IncompleteInputError, WorkflowDefinitionError)
    assert issubclass(taskmaestro.TaskOutputTypeError, TaskExecutionError)
    assert issubclass(taskmaestro.TaskTimeoutError, TaskExecutionError)
    assert CycleDetectedError("x").cycle == []
    assert TaskExecutionError("x").task_name is None
    assert ConfigLoadError("x").path is None


# -- section 4: Task and model introspection -------------------------------------------------------


class WithNested(Task):
    class Inputs(BaseModel):
        a: int

    class Outputs(BaseModel):
        b: int

    def run(self, input: Inputs, ctx: ExecutionContext) -> Outputs:
        return self.Outputs(b=input.a)


def test_get_input_and_output_type() -> None:
    task_module = importlib.import_module("taskmaestro.task")
    assert task_module.get_input_type(Sum) is Pair
    assert task_module.get_output_type(Sum) is Total
    assert task_module.get_input_type(WithNested) is WithNested.Inputs
    assert task_module.get_output_type(WithNested) is WithNested.Outputs

    class Bare(Task):
        def run(self, input: BaseModel, ctx: ExecutionContext) -> BaseModel:
            return input

    with pytest.raises(TypeError, match="Cannot resolve type argument 0 for Bare"):
        task_module.get_input_type(Bare)
    with pytest.raises(TypeError, match="Cannot resolve type argument 1 for Bare"):
        task_module.get_output_type(Bare)


def test_the_default_name_is_snake_case_and_assignable_on_instances() -> None:
    # README wins over 0.1.0 (which used the class name): `LoadModel` -> "load_model".
    assert AddOne.name == "add_one"
    task = AddOne()
    task.name = "renamed"
    assert (task.name, AddOne.name) == ("renamed", "add_one")
    assert Task.timeout_seconds is None


# -- section 6: ExecutionContext -------------------------------------------------------------------


def test_execution_context_positional_arguments(tmp_path: Path) -> None:
    parameters = list(inspect.signature(ExecutionContext).parameters.values())
    assert [p.name for p in parameters[:3]] == ["correlation_id", "logger", "scratch_dir"]
    logger = logging.getLogger("mine")
    ctx = ExecutionContext("corr", logger, tmp_path / "scratch")
    assert (ctx.correlation_id, ctx.logger, ctx.scratch_dir) == (
        "corr",
        logger,
        tmp_path / "scratch",
    )
    fresh = ExecutionContext("", None)
    assert len(fresh.correlation_id) == 36  # falsy: a new UUID
    assert fresh.logger is logging.getLogger("taskmaestro")
    ctx.register("db", 42)
    assert ctx.resolve("db") == 42
    with pytest.raises(KeyError):
        ctx.resolve("missing")


# -- section 7: Job, results, JobConfiguration -----------------------------------------------------


def test_task_result_field_order() -> None:
    fields = dataclasses.fields(TaskResult)
    assert [field.name for field in fields[:7]] == [
        "task_name",
        "status",
        "output",
        "started_at",
        "duration_seconds",
        "error",
        "exception",
    ]
    # Later fields (attempts, cache_hit...) come after 0.1.0's, each with a default.
    later = fields[7:]
    assert all(field.default is not dataclasses.MISSING for field in later)
    now = datetime.now()
    result = TaskResult("t", TaskStatus.COMPLETED, Number(value=1), now, 0.5)
    assert (result.error, result.exception) == (None, None)


def test_job_signature_and_initial_state() -> None:
    parameters = inspect.signature(Job).parameters
    assert parameters["job_configuration"].kind is inspect.Parameter.KEYWORD_ONLY
    job = Job(Workflow("w", [AddOne]), Number(value=1))
    assert job.job_configuration is None
    assert (job.status, job.result, job.error, job.failed_task) == (
        JobStatus.PENDING,
        None,
        None,
        None,
    )
    assert (job.started_at, job.completed_at, job.task_results) == (None, None, [])


def test_job_after_success_and_failure() -> None:
    job = Runner().run(Job(Workflow("w", [AddOne, Double]), Number(value=1)))
    assert [r.task_name for r in job.task_results] == ["add_one", "double"]
    assert all(r.status is TaskStatus.COMPLETED for r in job.task_results)
    assert job.started_at is not None
    assert job.started_at.tzinfo is None  # naive local time
    assert job.completed_at is not None
    assert job.completed_at.tzinfo is None
    assert job.task_results[0].started_at.tzinfo is None

    failed = Runner().run(Job(Workflow("w", [AddOne, Boom, Double]), Number(value=1)))
    assert failed.status is JobStatus.FAILED
    assert (failed.failed_task, failed.error) == ("boom", "boom")
    assert isinstance(failed.exception, ValueError)  # recorded as it is, not wrapped
    last = failed.task_results[-1]
    assert (last.task_name, last.status, last.output, last.error) == (
        "boom",
        TaskStatus.FAILED,
        None,
        "boom",
    )
    assert failed.completed_at is not None


def test_a_job_runs_once_with_0_1_text() -> None:
    job = Runner().run(Job(Workflow("w", [AddOne]), Number(value=1)))
    with pytest.raises(JobStateError, match="Cannot run job with status 'completed'; expected"):
        Runner().run(job)


def test_job_configuration_accessors() -> None:
    given = {"load": {"path": "/x", "n": 1}}
    configuration = JobConfiguration(given)
    assert configuration.get_config_for_task("load") == {"path": "/x", "n": 1}
    assert configuration.get_config_for_task("other") == {}
    copy = configuration.get_config_for_task("load")
    copy["path"] = "changed"
    assert configuration.get_config_for_task("load")["path"] == "/x"
    assert configuration.configured_tasks() == {"load"}
    assert configuration.config_fields_for_task("load") == {"path", "n"}
    assert configuration.config_fields_for_task("other") == set()
    given["load"]["path"] = "mutated later"  # copied: a later change does not reach the job
    assert configuration.get_config_for_task("load")["path"] == "/x"
    assert JobConfiguration().configured_tasks() == set()


def test_root_input_mismatch_key_phrase() -> None:
    wrong: Any = Text(text="x")
    with pytest.raises(WorkflowDefinitionError, match="Root task 'add_one' expects input type"):
        Job(Workflow("w", [AddOne]), wrong)


# -- section 8: Workflow and WorkflowBuilder -------------------------------------------------------


def test_workflow_and_builder_signatures() -> None:
    workflow_parameters = inspect.signature(Workflow).parameters
    assert list(workflow_parameters)[:2] == ["name", "tasks"]
    assert workflow_parameters["tasks"].default is None
    assert workflow_parameters["result_task"].kind is inspect.Parameter.KEYWORD_ONLY
    builder_parameters = inspect.signature(Workflow.builder).parameters
    assert builder_parameters["result_task"].kind is inspect.Parameter.KEYWORD_ONLY
    assert isinstance(Workflow.builder("w"), WorkflowBuilder)
    assert isinstance(WorkflowBuilder("w", result_task=None), WorkflowBuilder)


def test_workflow_without_tasks_is_an_error_at_once() -> None:
    # Not copied: 0.1.0 made an empty workflow that failed later.
    with pytest.raises(WorkflowDefinitionError, match="has no tasks"):
        Workflow("w")


def test_result_task_topological_order_and_stored_dependencies() -> None:
    workflow = (
        Workflow.builder("w", result_task=Sum)
        .add_task(Hold, name="b_first")
        .add_task(Double, name="a_second", depends_on=("b_first", "number"))
        .add_task(AddOne, name="c_route", depends_on=("b_first", "number"))
        .add_task(Sum, depends_on={"b": "a_second", "a": "c_route"}, config_fields=[])
        .add_task(ToText, depends_on="a_second")
        .build()
    )
    assert workflow.result_task is Sum
    assert workflow.result_task_name == "sum"
    # Kahn's algorithm, tasks ready together taken alphabetically by instance name.
    assert workflow.topological_order() == [
        ("b_first", Hold),
        ("a_second", Double),
        ("c_route", AddOne),
        ("sum", Sum),
        ("to_text", ToText),
    ]
    recorded = Runner().run(Job(workflow, Number(value=1)))
    assert [r.task_name for r in recorded.task_results] == [
        name for name, _ in workflow.topological_order()
    ]
    assert workflow.get_dependencies("b_first") is None
    assert workflow.get_dependencies("a_second") == ("b_first", "number")
    assert workflow.get_dependencies("to_text") == "a_second"
    assert workflow.get_dependencies("sum") == {"b": "a_second", "a": "c_route"}
    with pytest.raises(KeyError):
        workflow.get_dependencies("ghost")
    assert workflow.get_config_fields("sum") == set()
    assert workflow.get_config_fields("ghost") == set()
    assert workflow.graph.nodes["sum"].task is Sum  # the public read-only graph view


def test_add_task_checks_names_and_class_references_itself() -> None:
    builder: Any = Workflow.builder("w", result_task="double").add_task(AddOne)  # unchecked
    with pytest.raises(WorkflowDefinitionError, match="Duplicate task name 'add_one'"):
        builder.add_task(AddOne)
    with pytest.raises(WorkflowDefinitionError, match="Task class 'Double' not found"):
        builder.add_task(Sum, depends_on={"a": AddOne, "b": Double})
    builder.add_task(AddOne, name="again")
    with pytest.raises(
        WorkflowDefinitionError, match=r"Ambiguous reference .*'add_one' and 'again'"
    ):
        builder.add_task(Double, depends_on=AddOne)
    # Nothing was registered by the calls that raised; a forward name still works.
    workflow = builder.add_task(Double, depends_on="later").add_task(AddOne, name="later")
    assert workflow.build().task_names == ("add_one", "again", "double", "later")


def _builder() -> Any:
    """A builder the mypy plugin does not check: these wirings are wrong on purpose."""
    return Workflow.builder("w")


class Holder(BaseModel):
    number: Number
    count: int


class Hold(Task[Number, Holder]):
    def run(self, input: Number, ctx: ExecutionContext) -> Holder:
        return Holder(number=input, count=1)


class Scaled(BaseModel):
    value: int
    factor: float


class Scale(Task[Scaled, Number]):
    def run(self, input: Scaled, ctx: ExecutionContext) -> Number:
        return Number(value=int(input.value * input.factor))


class TextValue(BaseModel):
    value: str


class EmitText(Task[Number, TextValue]):
    def run(self, input: Number, ctx: ExecutionContext) -> TextValue:
        return TextValue(value=str(input.value))


KEY_PHRASES = [
    (
        lambda: _builder().add_task(Double, depends_on="nope").build(),
        WorkflowDefinitionError,
        "depends on 'nope', which is not registered",
    ),
    (
        lambda: _builder().add_task(Double, depends_on="double").build(),
        CycleDetectedError,
        "Cycle detected involving task 'double'",
    ),
    (
        lambda: _builder().add_task(Scale, config_fields=["value"]).build(),
        IncompleteInputError,
        "Required field 'factor' on Scaled",
    ),
    (
        lambda: _builder().add_task(AddOne, config_fields=["nope"]).build(),
        WorkflowDefinitionError,
        "Config field 'nope' not found on Number",
    ),
    (
        lambda: (
            _builder()
            .add_task(AddOne)
            .add_task(ToText, name="t")
            .add_task(Double, depends_on="t")
            .build()
        ),
        WorkflowDefinitionError,
        "Type mismatch: ",
    ),
    (
        lambda: (
            _builder()
            .add_task(EmitText)
            .add_task(Scale, depends_on=EmitText, config_fields=["factor"])
            .build()
        ),
        WorkflowDefinitionError,
        "Type mismatch: emit_text.value is str",
    ),
    (
        lambda: _builder().add_task(Hold).add_task(Double, depends_on=(Hold, "nope")).build(),
        WorkflowDefinitionError,
        "Field 'nope' not found on Holder",
    ),
    (
        lambda: _builder().add_task(Hold).add_task(Double, depends_on=(Hold, "count")).build(),
        WorkflowDefinitionError,
        "Type mismatch: ",
    ),
    (
        lambda: _builder().add_task(AddOne).add_task(Sum, depends_on={"c": AddOne}).build(),
        WorkflowDefinitionError,
        "Fan-in field 'c' not found on Pair",
    ),
    (
        lambda: (
            _builder().add_task(ToText).add_task(Sum, depends_on={"a": ToText, "b": ToText}).build()
        ),
        WorkflowDefinitionError,
        "Fan-in type mismatch: ",
    ),
    (
        lambda: _builder().add_task(AddOne).add_task(Sum, depends_on={"a": AddOne}).build(),
        IncompleteInputError,
        "Required field 'b' on Pair of task 'sum' is not mapped to any upstream task",
    ),
    (
        lambda: _builder().add_task(AddOne).add_task(Double).build(),
        WorkflowDefinitionError,
        "has 2 sink tasks (add_one, double); specify result_task explicitly",
    ),
]


@pytest.mark.parametrize(("build", "error", "phrase"), KEY_PHRASES)
def test_every_build_message_has_0_1_key_phrase(
    build: Any, error: type[Exception], phrase: str
) -> None:
    with pytest.raises(error) as caught:
        build()
    assert phrase in str(caught.value)


def test_validation_order_cycles_before_types() -> None:
    # A cycle and a type mismatch: 0.1.0 checks references, then cycles, then types.
    with pytest.raises(CycleDetectedError):
        (
            _builder()
            .add_task(ToText, depends_on="double")
            .add_task(Double, depends_on="to_text")
            .build()
        )


# -- section 9: Runner -----------------------------------------------------------------------------


def test_runner_signature_and_hooks_list() -> None:
    parameters = inspect.signature(Runner).parameters
    positional = [p.name for p in parameters.values() if p.kind is not p.KEYWORD_ONLY]
    assert positional == ["hooks", "executor"]  # later options (cache...) are keyword-only
    hooks: list[object] = []
    runner = Runner(hooks)
    assert runner.hooks is hooks
    assert Runner().hooks == []
    run_parameters = inspect.signature(Runner.run).parameters
    assert list(run_parameters) == ["self", "job", "ctx", "timeout_seconds"]


def test_output_check_key_phrase() -> None:
    class Wrong(Task[Number, Number]):
        def run(self, input: Number, ctx: ExecutionContext) -> Number:
            return Text(text="x")  # type: ignore[return-value]

    job = Runner().run(Job(Workflow("w", [Wrong]), Number(value=1)))
    assert job.error == "Task 'wrong' returned Text, expected Number"
    assert isinstance(job.exception, taskmaestro.TaskOutputTypeError)


# -- section 10: hooks -----------------------------------------------------------------------------


def test_event_values() -> None:
    # 0.1.0's six events, in its order; the mapped items' events follow (issue 14).
    assert [event.value for event in Event][:6] == [
        "job_start",
        "job_complete",
        "job_fail",
        "task_start",
        "task_complete",
        "task_fail",
    ]
    assert [event.value for event in Event][6:] == [
        "map_item_start",
        "map_item_complete",
        "map_item_fail",
    ]


def test_hook_method_signatures() -> None:
    expected = {
        "on_job_start": ["job"],
        "on_job_complete": ["job"],
        "on_job_fail": ["job"],
        "on_task_start": ["job", "task"],
        "on_task_complete": ["job", "task", "output"],
        "on_task_fail": ["job", "task", "error"],
    }
    for cls in (Hook, BaseHook):
        for method, arguments in expected.items():
            parameters = list(inspect.signature(getattr(cls, method)).parameters)
            assert parameters == ["self", *arguments], (cls, method)


class Recorder:
    """A duck-typed hook recording each call with the state it saw."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def on_job_start(self, job: Job[Any, Any]) -> None:
        assert job.status is JobStatus.PENDING
        assert job.started_at is None
        self.calls.append(("job_start",))

    def on_task_start(self, job: Job[Any, Any], task: Task[Any, Any]) -> None:
        assert isinstance(task, Task)
        self.calls.append(("task_start", task.name, type(task).__name__))

    def on_task_complete(self, job: Job[Any, Any], task: Task[Any, Any], output: BaseModel) -> None:
        assert job.task_results[-1].task_name == task.name
        assert job.task_results[-1].output is output
        self.calls.append(("task_complete", task.name))

    def on_task_fail(self, job: Job[Any, Any], task: Task[Any, Any], error: Exception) -> None:
        assert job.task_results[-1].task_name == task.name
        assert job.status is JobStatus.FAILED
        assert (job.error, job.failed_task) == (str(error), task.name)
        assert job.completed_at is not None
        self.calls.append(("task_fail", task.name, type(error).__name__))

    def on_job_complete(self, job: Job[Any, Any]) -> None:
        assert job.result is not None
        assert job.completed_at is not None
        self.calls.append(("job_complete",))

    def on_job_fail(self, job: Job[Any, Any]) -> None:
        assert job.status is JobStatus.FAILED
        assert job.completed_at is not None
        self.calls.append(("job_fail",))


def test_event_order_and_state_on_success() -> None:
    recorder = Recorder()
    workflow = Workflow("w", [AddOne, Double, AddOne])
    Runner(hooks=[recorder]).run(Job(workflow, Number(value=1)))
    assert recorder.calls == [
        ("job_start",),
        ("task_start", "add_one", "AddOne"),
        ("task_complete", "add_one"),
        ("task_start", "double", "Double"),
        ("task_complete", "double"),
        ("task_start", "add_one_2", "AddOne"),
        ("task_complete", "add_one_2"),
        ("job_complete",),
    ]


def test_event_order_and_state_on_failure() -> None:
    recorder = Recorder()
    Runner(hooks=[recorder]).run(Job(Workflow("w", [AddOne, Boom, Double]), Number(value=1)))
    assert recorder.calls == [
        ("job_start",),
        ("task_start", "add_one", "AddOne"),
        ("task_complete", "add_one"),
        ("task_start", "boom", "Boom"),
        ("task_fail", "boom", "ValueError"),
        ("job_fail",),
    ]


def test_the_context_is_reachable_from_the_job() -> None:
    seen: list[ExecutionContext | None] = []

    class SeeContext(BaseHook):
        def on_job_start(self, job: Job[Any, Any]) -> None:
            seen.append(job.context)

    ctx = ExecutionContext("corr")
    Runner(hooks=[SeeContext()]).run(Job(Workflow("w", [AddOne]), Number(value=1)), ctx=ctx)
    assert seen == [ctx]


def test_partial_duck_hooks_and_hook_warnings() -> None:
    class OnlyStart:
        def __init__(self) -> None:
            self.started: list[str] = []

        def on_task_start(self, job: Job[Any, Any], task: Task[Any, Any]) -> None:
            self.started.append(task.name)

    class Broken(BaseHook):
        def on_job_complete(self, job: Job[Any, Any]) -> None:
            raise RuntimeError("hook bug")

    only = OnlyStart()
    with pytest.warns(UserWarning, match="Hook Broken raised during job_complete") as caught:
        job = Runner(hooks=[only, Broken()]).run(Job(Workflow("w", [AddOne]), Number(value=1)))
    assert job.status is JobStatus.COMPLETED
    assert only.started == ["add_one"]
    [warning] = caught
    assert issubclass(warning.category, HookWarning)
    assert issubclass(HookWarning, UserWarning)
    text = str(warning.message)
    assert "Hook Broken raised during job_complete" in text
    assert "hook bug" in text  # not copied: 0.1.0 dropped the error's text


def test_logging_hook_lines(caplog: pytest.LogCaptureFixture) -> None:
    from taskmaestro.hooks.logging import LoggingHook

    assert next(iter(inspect.signature(LoggingHook).parameters)) == "level"
    with caplog.at_level(logging.WARNING, logger="taskmaestro.hooks.logging"):
        Runner(hooks=[LoggingHook(logging.WARNING)]).run(
            Job(Workflow("etl", [AddOne, Boom]), Number(value=1))
        )
    assert [r.getMessage() for r in caplog.records] == [
        "Job started: workflow=etl",
        "Task started: add_one",
        "Task completed: add_one",
        "Task started: boom",
        "Task failed: boom, error=boom",
        "Job failed: workflow=etl, failed_task=boom, error=boom",
    ]


def test_timing_hook_attributes() -> None:
    from taskmaestro.hooks.timing import TimingHook

    timing = TimingHook()
    assert (timing.job_duration, timing.task_timings) == (None, {})
    Runner(hooks=[timing]).run(Job(Workflow("w", [AddOne, Boom]), Number(value=1)))
    assert timing.job_duration is not None
    assert timing.job_duration >= 0
    assert set(timing.task_timings) == {"add_one", "boom"}  # failed tasks included


def test_persistence_hook_writes_model_dump_json(tmp_path: Path) -> None:
    from taskmaestro.hooks.persistence import ResultPersistenceHook

    hook = ResultPersistenceHook(tmp_path / "out")
    assert hook.output_dir == tmp_path / "out"
    Runner(hooks=[hook]).run(Job(Workflow("w", [AddOne, Boom]), Number(value=1)))
    written = tmp_path / "out" / "add_one.json"
    assert written.read_text(encoding="utf-8") == Number(value=2).model_dump_json(indent=2)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["add_one.json"]


# -- section 11: workflow_task ---------------------------------------------------------------------


def test_workflow_task_naming_and_inner_workflow() -> None:
    parameters = inspect.signature(workflow_task).parameters
    assert parameters["name"].kind is inspect.Parameter.KEYWORD_ONLY
    inner = Workflow("inner", [AddOne, Double])
    wrapped = workflow_task(inner)
    assert (wrapped.__name__, wrapped.__qualname__) == ("WorkflowTask_inner", "WorkflowTask_inner")
    assert wrapped.name == "inner"
    assert wrapped._inner_workflow is inner  # type: ignore[attr-defined]
    assert wrapped.timeout_seconds is None
    named = workflow_task(inner, name="step")
    assert (named.__name__, named.name) == ("WorkflowTask_step", "step")


def test_workflow_task_wrap_time_errors() -> None:
    configured = (
        Workflow.builder("configured").add_task(Scale, config_fields=["value", "factor"]).build()
    )
    with pytest.raises(WorkflowDefinitionError, match="has no root tasks without config_fields"):
        workflow_task(configured)
    wrapped = workflow_task(
        configured,
        job_configuration=JobConfiguration({"scale": {"value": 2, "factor": 1.5}}),
    )
    task_module = importlib.import_module("taskmaestro.task")
    assert task_module.get_input_type(wrapped) is EmptyConfig

    different = (
        Workflow.builder("two")
        .add_task(AddOne)
        .add_task(Scale)
        .add_task(Sum, depends_on={"a": AddOne, "b": Scale})
        .build()
    )
    with pytest.raises(
        WorkflowDefinitionError, match="has multiple root tasks without config_fields"
    ):
        workflow_task(different)
    # Not copied: roots that share one input model are fine (the job runs them so).
    shared = (
        Workflow.builder("shared")
        .add_task(AddOne)
        .add_task(Double)
        .add_task(Sum, depends_on={"a": AddOne, "b": Double})
        .build()
    )
    job = Runner().run(Job(Workflow("outer", [workflow_task(shared)]), Number(value=3)))
    assert job.result == Total(total=10)


def test_inner_failure_text_and_types() -> None:
    inner = Workflow("fragile", [AddOne, Boom])
    job = Runner().run(
        Job(Workflow("outer", [workflow_task(inner, name="wrapped")]), Number(value=1))
    )
    assert job.error == "Inner workflow 'fragile' failed at task 'boom': boom"
    assert isinstance(job.exception, RuntimeError)
    assert isinstance(job.exception, TaskExecutionError)


# -- section 12: Mermaid ---------------------------------------------------------------------------


def test_to_mermaid_function_and_method_agree() -> None:
    workflow = (
        Workflow.builder("w", result_task=Sum)
        .add_task(Hold)
        .add_task(AddOne, config_fields=["value"])
        .add_task(Sum, depends_on={"b": "add_one", "a": (Hold, "number")})
        .build()
    )
    configuration = JobConfiguration({"add_one": {"value": 1}})
    text = to_mermaid(workflow, job_configuration=configuration)
    assert text == workflow.to_mermaid(job_configuration=configuration)
    lines = text.splitlines()
    assert lines[:4] == ["---", "title: w", "---", "graph TD"]
    assert '    _job_config_[("JobConfiguration")]' in lines
    assert "    _job_config_ -.->|value| add_one" in lines
    # Fan-in keys sorted; a routed fan-in value reads "key: .field: Type".
    fan_in = [line for line in lines if line.endswith("| sum")]
    assert fan_in == ["    hold -->|a: .number: Number| sum", "    add_one -->|b: Number| sum"]
    assert "_job_config_" not in workflow.to_mermaid()  # README wins: only when given
    assert lines[-1] == "    sum -->|Total| _end_"


def test_mermaid_ids_are_sanitized() -> None:
    # Not copied: raw names as ids; a task named "end" would close a subgraph.
    workflow = Workflow.builder("w").add_task(AddOne, name="end").build()
    assert '    end_["end"]' in workflow.to_mermaid().splitlines()


def test_no_warning_on_import() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        importlib.reload(importlib.import_module("taskmaestro.visualization"))


# -- the shared contract module --------------------------------------------------------------------


def test_contract_templates_use_named_fields_and_the_module_imports_no_taskmaestro() -> None:
    import ast
    import string

    contract = importlib.import_module("taskmaestro._contract")
    templates = {
        name: value
        for name, value in vars(contract).items()
        if name.isupper() and isinstance(value, str)
    }
    assert len(templates) >= 20
    for name, template in templates.items():
        fields = [
            field for _, field, _, _ in string.Formatter().parse(template) if field is not None
        ]
        assert fields, name
        assert all(field and not field[0].isdigit() for field in fields), name
    tree = ast.parse(Path(contract.__file__ or "").read_text(encoding="utf-8"))
    imported = [
        (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    ]
    assert not [module for module in imported if module.startswith(("taskmaestro", "."))]
    assert all(
        module.split(".")[0] in sys.stdlib_module_names | {"__future__"} for module in imported
    )
