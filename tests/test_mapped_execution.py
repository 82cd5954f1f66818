"""Mapped tasks at run time: one run per item, shared values, error modes, records, hooks,
items' contexts, and items run in parallel on an executor (issue 14, item 3).

The tasks are at module level, so that worker processes can import them.
"""

from __future__ import annotations

import logging
import pickle
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, model_validator

from taskmaestro import (
    BaseHook,
    ExecutionContext,
    Job,
    JobConfiguration,
    JobStatus,
    LoggingHook,
    MappedTaskExecutionError,
    ProgressHook,
    ResultPersistenceHook,
    Runner,
    Task,
    TaskExecutionError,
    TaskOutputTypeError,
    TaskStatus,
    TaskTimeoutError,
    TimingHook,
    Workflow,
)
from taskmaestro.hooks import Event
from taskmaestro.mapping import ErrorMode, MappedOutput, TaskMap, item_name

# -- models and tasks --------------------------------------------------------------------------


class Factor(BaseModel):
    factor: int


class ScaleIn(BaseModel):
    factor: int
    name: str
    size: int
    unit: str = "px"

    @model_validator(mode="after")
    def _bounded(self) -> ScaleIn:
        # Only the whole input can tell (the item alone passes the Job's checks).
        if self.size * self.factor > 3000:
            raise ValueError(f"{self.size} x {self.factor} is too large")
        return self


class Scaled(BaseModel):
    name: str
    scaled: int
    unit: str


class Results(BaseModel):
    results: dict[str, Scaled]


class Summary(BaseModel):
    total: int
    names: list[str]


class Load(Task[Factor, Factor]):
    def run(self, input: Factor, ctx: ExecutionContext) -> Factor:
        return input


class Scale(Task[ScaleIn, Scaled]):
    """Negative sizes fail, 13 returns the wrong model, sizes from 100 on sleep size/1000 s."""

    def run(self, input: ScaleIn, ctx: ExecutionContext) -> Scaled:
        if input.size < 0:
            raise ValueError(f"negative size {input.size}")
        if input.size == 13:
            return Factor(factor=13)  # type: ignore[return-value]
        if input.size >= 100:
            time.sleep(input.size / 1000)
        return Scaled(name=input.name, scaled=input.size * input.factor, unit=input.unit)


class QuickScale(Scale):
    timeout_seconds: ClassVar[float | None] = 0.3


class TotalOf(Task[Results, Summary]):
    def run(self, input: Results, ctx: ExecutionContext) -> Summary:
        return Summary(
            total=sum(r.scaled for r in input.results.values()), names=list(input.results)
        )


def mapped_workflow(
    mode: ErrorMode = "fail_fast", task: type[Task[ScaleIn, Scaled]] = Scale
) -> Workflow[Factor, Summary]:
    builder: Any = Workflow.builder("mapped")
    builder.add_task(Load)
    builder.add_task(
        task,
        name="scale",
        depends_on={"factor": (Load, "factor")},
        config_fields=["unit"],  # shared by the items, given with the mapping
        mapped_over=TaskMap(over="sizes", key_as="name", value_as="size", error_mode=mode),
    )
    builder.add_task(TotalOf, depends_on={"results": ("scale", "root")})
    workflow: Workflow[Factor, Summary] = builder.build()
    return workflow


def mapped_job(
    sizes: dict[str, int],
    mode: ErrorMode = "fail_fast",
    task: type[Task[ScaleIn, Scaled]] = Scale,
    **values: object,
) -> Job[Factor, Summary]:
    configuration = JobConfiguration({"scale": {"sizes": sizes, **values}})
    return Job(mapped_workflow(mode, task), Factor(factor=3), job_configuration=configuration)


def item_keys(job: Job[Any, Any], name: str = "scale") -> list[tuple[str, TaskStatus]]:
    return [(r.task_name, r.status) for r in job.mapped_item_results[name]]


@pytest.fixture(params=["sequential", "threads", "processes"])
def runner(request: pytest.FixtureRequest) -> Callable[..., Runner]:
    """A runner of each kind; items go to the executor when there is one."""
    if request.param == "sequential":
        return Runner
    pool: Executor = request.getfixturevalue(
        "thread_pool" if request.param == "threads" else "process_pool"
    )
    return lambda hooks=None: Runner(hooks, executor=pool)


@pytest.fixture(params=["sequential", "threads"])
def local_runner(request: pytest.FixtureRequest) -> Iterator[Callable[..., Runner]]:
    """Runners whose tasks run in this process (for deadlines measured in tenths of seconds)."""
    if request.param == "sequential":
        yield Runner
        return
    with ThreadPoolExecutor(2) as pool:
        yield lambda hooks=None: Runner(hooks, executor=pool)


# -- results ----------------------------------------------------------------------------------


def test_each_item_runs_with_the_shared_values(runner: Callable[..., Runner]) -> None:
    job = runner().run(mapped_job({"b": 2, "a": 1, "c": 5}, unit="mm"))
    assert job.status is JobStatus.COMPLETED, job.error
    output = job.task_result("scale")
    assert output is not None
    assert isinstance(output.output, MappedOutput)
    assert output.output.root == {
        "b": Scaled(name="b", scaled=6, unit="mm"),
        "a": Scaled(name="a", scaled=3, unit="mm"),
        "c": Scaled(name="c", scaled=15, unit="mm"),
    }
    # Downstream, a dict[str, O] field gets the items' outputs in mapping order.
    assert job.result == Summary(total=24, names=["b", "a", "c"])


def test_the_job_records_one_task_and_each_item(runner: Callable[..., Runner]) -> None:
    job = runner().run(mapped_job({"a": 1, "b": 2}))
    assert [r.task_name for r in job.task_results] == ["load", "scale", "total_of"]
    records = job.mapped_item_results["scale"]
    assert sorted(item_keys(job)) == [
        ("scale[a]", TaskStatus.COMPLETED),
        ("scale[b]", TaskStatus.COMPLETED),
    ]
    for record in records:
        assert record.output == Scaled(name=record.task_name[6], scaled=0, unit="px").model_copy(
            update={"scaled": 3 * {"a": 1, "b": 2}[record.task_name[6]]}
        )
        assert record.duration_seconds >= 0
        assert record.error is None


def test_items_run_in_mapping_order_without_executor() -> None:
    job = Runner().run(mapped_job({"z": 1, "m": 2, "a": 3}))
    assert [r.task_name for r in job.mapped_item_results["scale"]] == [
        "scale[z]",
        "scale[m]",
        "scale[a]",
    ]
    starts = [r.started_at for r in job.mapped_item_results["scale"]]
    assert starts == sorted(starts)


def test_an_empty_mapping_succeeds_without_item_events(runner: Callable[..., Runner]) -> None:
    hook = Recorder()
    job = runner([hook]).run(mapped_job({}))
    assert job.status is JobStatus.COMPLETED, job.error
    assert job.mapped_item_results == {"scale": []}
    assert job.result == Summary(total=0, names=[])
    assert hook.events == [
        "task_start:load",
        "task_complete:load",
        "task_start:scale",
        "task_complete:scale",
        "task_start:total_of",
        "task_complete:total_of",
    ]


def test_the_whole_mapped_output_reaches_a_field_of_its_type() -> None:
    class Whole(BaseModel):
        mapped: MappedOutput[Scaled]

    class Count(Task[Whole, Summary]):
        def run(self, input: Whole, ctx: ExecutionContext) -> Summary:
            return Summary(total=len(input.mapped.root), names=list(input.mapped.root))

    builder: Any = Workflow.builder("whole")
    builder.add_task(Load)
    builder.add_task(
        Scale,
        depends_on={"factor": (Load, "factor")},
        mapped_over=TaskMap(over="sizes", key_as="name", value_as="size"),
    )
    builder.add_task(Count, depends_on={"mapped": "scale"})
    configuration = JobConfiguration({"scale": {"sizes": {"x": 1, "y": 2}}})
    job = Runner().run(Job(builder.build(), Factor(factor=1), job_configuration=configuration))
    assert job.result == Summary(total=2, names=["x", "y"])


def test_a_mapped_root_takes_configured_values_only() -> None:
    class Labelled(BaseModel):
        prefix: str
        key: str
        value: str

    class Label(Task[Labelled, Scaled]):
        def run(self, input: Labelled, ctx: ExecutionContext) -> Scaled:
            return Scaled(name=input.prefix + input.key, scaled=len(input.value), unit="")

    builder: Any = Workflow.builder("root")
    builder.add_task(
        Label,
        config_fields=["prefix"],
        mapped_over=TaskMap(over="words", key_as="key", value_as="value"),
    )
    configuration = JobConfiguration({"label": {"prefix": "w-", "words": {"a": "xyz", "b": ""}}})
    job = Runner().run(Job(builder.build(), Factor(factor=0), job_configuration=configuration))
    assert job.status is JobStatus.COMPLETED, job.error
    assert job.result is not None
    assert [(o.name, o.scaled) for o in job.result.root.values()] == [("w-a", 3), ("w-b", 0)]


# -- failures ---------------------------------------------------------------------------------


def test_fail_fast_stops_at_the_first_failed_item(runner: Callable[..., Runner]) -> None:
    job = runner().run(mapped_job({"a": 1, "bad": -1, "c": 3}))
    assert job.status is JobStatus.FAILED
    assert job.failed_task == "scale"
    error = job.exception
    assert isinstance(error, MappedTaskExecutionError)
    assert error.task_name == "scale"
    assert list(error.errors) == ["bad"]
    assert isinstance(error.errors["bad"], ValueError)
    assert error.__cause__ is error.errors["bad"] or runner is not Runner
    assert job.error == "Mapped task 'scale' failed: bad: ValueError: negative size -1"
    statuses = dict(item_keys(job))
    assert statuses["scale[bad]"] is TaskStatus.FAILED
    assert "scale[c]" not in statuses or runner is not Runner
    failed = job.task_result("scale")
    assert failed is not None
    assert failed.status is TaskStatus.FAILED
    assert failed.exception is error
    assert [r.task_name for r in job.task_results] == ["load", "scale"]


def test_fail_fast_in_order_attempts_nothing_after_the_failure() -> None:
    job = Runner().run(mapped_job({"a": 1, "bad": -1, "c": 3}))
    assert item_keys(job) == [
        ("scale[a]", TaskStatus.COMPLETED),
        ("scale[bad]", TaskStatus.FAILED),
    ]
    assert isinstance(job.exception, MappedTaskExecutionError)
    assert job.exception.__cause__ is job.exception.errors["bad"]


def test_collect_all_attempts_every_item(runner: Callable[..., Runner]) -> None:
    job = runner().run(mapped_job({"x": -2, "a": 1, "y": 13, "b": 2}, mode="collect_all"))
    error = job.exception
    assert isinstance(error, MappedTaskExecutionError)
    assert list(error.errors) == ["x", "y"]  # item order
    assert error.__cause__ is None
    assert isinstance(error.errors["y"], TaskOutputTypeError)
    assert str(error.errors["y"]) == "Task 'scale[y]' returned Factor, expected Scaled"
    assert job.error == (
        "Mapped task 'scale' failed: x: ValueError: negative size -2; "
        "y: Task 'scale[y]' returned Factor, expected Scaled"
    )
    assert sorted(item_keys(job)) == [
        ("scale[a]", TaskStatus.COMPLETED),
        ("scale[b]", TaskStatus.COMPLETED),
        ("scale[x]", TaskStatus.FAILED),
        ("scale[y]", TaskStatus.FAILED),
    ]


def test_an_input_that_does_not_validate_fails_its_item(runner: Callable[..., Runner]) -> None:
    job = runner().run(mapped_job({"ok": 1, "huge": 2000}, mode="collect_all"))
    error = job.exception
    assert isinstance(error, MappedTaskExecutionError)
    assert list(error.errors) == ["huge"]
    failure = error.errors["huge"]
    assert isinstance(failure, TaskExecutionError)
    assert failure.task_name == "scale[huge]"
    assert "Task 'scale[huge]': its input does not validate" in str(failure)
    assert "2000 x 3 is too large" in str(failure)


def test_a_failed_item_record_holds_its_error() -> None:
    job = Runner().run(mapped_job({"bad": -1}))
    (record,) = job.mapped_item_results["scale"]
    assert record.status is TaskStatus.FAILED
    assert record.output is None
    assert record.error == "negative size -1"
    assert isinstance(record.exception, ValueError)


def test_an_item_timeout_fails_that_item_only(local_runner: Callable[..., Runner]) -> None:
    job = local_runner().run(mapped_job({"slow": 900, "a": 1}, mode="collect_all", task=QuickScale))
    error = job.exception
    assert isinstance(error, MappedTaskExecutionError)
    assert list(error.errors) == ["slow"]
    timeout = error.errors["slow"]
    assert isinstance(timeout, TaskTimeoutError)
    assert str(timeout) == "Task 'scale[slow]' timed out after 0.3s"
    assert dict(item_keys(job))["scale[a]"] is TaskStatus.COMPLETED


def test_the_job_deadline_ends_the_items_with_its_own_error(
    local_runner: Callable[..., Runner],
) -> None:
    job = local_runner().run(
        mapped_job(dict.fromkeys("abcdef", 150), mode="collect_all"),
        timeout_seconds=0.25,
    )
    assert job.status is JobStatus.FAILED
    assert job.failed_task == "scale"
    assert isinstance(job.exception, TaskTimeoutError)
    assert not isinstance(job.exception, MappedTaskExecutionError)
    assert str(job.exception).startswith("Job of workflow 'mapped' timed out after 0.25s")
    records = job.mapped_item_results["scale"]
    assert len(records) < 6  # the loop ended
    assert records[-1].status is TaskStatus.FAILED
    assert isinstance(records[-1].exception, TaskTimeoutError)


def test_a_failing_constructor_fails_each_item() -> None:
    class Fragile(Scale):
        def __init__(self) -> None:
            Fragile.made += 1
            if Fragile.made > 1:  # the task's own instance is made; each item's fails
                raise RuntimeError("no instance")

        made: ClassVar[int] = 0

    job = Runner().run(mapped_job({"a": 1, "b": 2}, mode="collect_all", task=Fragile))
    error = job.exception
    assert isinstance(error, MappedTaskExecutionError)
    assert [str(e) for e in error.errors.values()] == ["no instance", "no instance"]


# -- item names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("a.png", "t[a.png]"),
        ("with space", "t[with space]"),
        ("a]b", "t['a]b']"),
        ("[x]", "t['[x]']"),
        ("it's", 't["it\'s"]'),
        ("", "t['']"),
        ("line\nbreak", "t['line\\nbreak']"),
        ("back\\slash", "t['back\\\\slash']"),
    ],
)
def test_item_names_are_unambiguous(key: str, name: str) -> None:
    assert item_name("t", key) == name


def test_records_use_the_escaped_item_names() -> None:
    job = Runner().run(mapped_job({"a]b": 1, "a": 2}))
    assert [r.task_name for r in job.mapped_item_results["scale"]] == ["scale['a]b']", "scale[a]"]


# -- parallel items -----------------------------------------------------------------------------


class Meeting(Task[ScaleIn, Scaled]):
    """Items that meet at a barrier: they pass only if two run at the same time."""

    barrier: ClassVar[threading.Barrier]
    lock = threading.Lock()
    running: ClassVar[int] = 0
    peak: ClassVar[int] = 0

    def run(self, input: ScaleIn, ctx: ExecutionContext) -> Scaled:
        with Meeting.lock:
            Meeting.running += 1
            Meeting.peak = max(Meeting.peak, Meeting.running)
        try:
            Meeting.barrier.wait(timeout=10)
            time.sleep(0.01)
        finally:
            with Meeting.lock:
                Meeting.running -= 1
        return Scaled(name=input.name, scaled=input.size, unit="")


def test_items_run_in_parallel_within_max_workers() -> None:
    Meeting.barrier = threading.Barrier(2)
    Meeting.peak = 0
    with ThreadPoolExecutor(max_workers=2) as pool:
        job = Runner(executor=pool).run(mapped_job(dict.fromkeys("abcdef", 1), task=Meeting))
    assert job.status is JobStatus.COMPLETED, job.error
    assert Meeting.peak == 2  # two at once (the barrier needs it), never more


class Gate(Task[ScaleIn, Scaled]):
    """Item 'bad' fails at once; the others wait until it has been recorded."""

    failed = threading.Event()

    def run(self, input: ScaleIn, ctx: ExecutionContext) -> Scaled:
        if input.name == "bad":
            raise ValueError("bad item")
        Gate.failed.wait(timeout=10)
        return Scaled(name=input.name, scaled=input.size, unit="")


class SeesFailure(BaseHook):
    def on_map_item_fail(
        self, job: Job[Any, Any], task: Task[Any, Any], key: str, error: Exception
    ) -> None:
        Gate.failed.set()


def test_parallel_fail_fast_starts_no_item_after_a_failure() -> None:
    Gate.failed.clear()
    sizes = {"bad": 1, "slow": 1, "c": 1, "d": 1, "e": 1}
    with ThreadPoolExecutor(max_workers=2) as pool:
        job = Runner([SeesFailure()], executor=pool).run(mapped_job(sizes, task=Gate))
    assert isinstance(job.exception, MappedTaskExecutionError)
    assert list(job.exception.errors) == ["bad"]
    assert job.exception.__cause__ is job.exception.errors["bad"]
    # The item running alongside was awaited and recorded; none started after.
    assert sorted(item_keys(job)) == [
        ("scale[bad]", TaskStatus.FAILED),
        ("scale[slow]", TaskStatus.COMPLETED),
    ]


class QueueingExecutor(Executor):
    """An executor of unknown size that holds the items: all three are queued at once."""

    def __init__(self) -> None:
        self.queue: list[tuple[Any, Any, tuple[Any, ...]]] = []

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        from concurrent.futures import Future

        future: Future[Any] = Future()
        self.queue.append((future, fn, args))
        if len(self.queue) == 1:  # the upstream task
            self.release(0)
        if len(self.queue) == 4:  # all three items are queued: run the first, a failure
            self.release(1)
        return future

    def release(self, index: int) -> None:
        future, fn, args = self.queue[index]
        if future.set_running_or_notify_cancel():
            try:
                future.set_result(fn(*args))
            except BaseException as error:
                future.set_exception(error)


def test_fail_fast_cancels_queued_items() -> None:
    executor = QueueingExecutor()
    job = Runner(executor=executor).run(mapped_job({"bad": -1, "b": 1, "c": 2}))
    assert isinstance(job.exception, MappedTaskExecutionError)
    assert list(job.exception.errors) == ["bad"]
    assert all(future.cancelled() for future, _, _ in executor.queue[2:])
    records = {r.task_name: r for r in job.mapped_item_results["scale"]}
    assert records["scale[bad]"].status is TaskStatus.FAILED
    # Announced, then cancelled: recorded as failed, as cancelled.
    for name in ("scale[b]", "scale[c]"):
        assert records[name].status is TaskStatus.FAILED
        assert records[name].error == (
            f"Task '{name}' was cancelled: item 'bad' failed first (fail_fast)"
        )


def test_a_process_pool_runs_items_with_their_own_contexts(process_pool: Executor) -> None:
    ctx = ExecutionContext(correlation_id="job-1")
    job = Runner(executor=process_pool).run(mapped_job({"a": 1}, task=WhoAmI), ctx)
    assert job.status is JobStatus.COMPLETED, job.error
    (record,) = job.mapped_item_results["scale"]
    assert isinstance(record.output, Scaled)
    assert record.output.unit.startswith("job-1:scale_a:")
    assert record.output.name == "job-1"


# -- contexts ---------------------------------------------------------------------------------


class WhoAmI(Task[ScaleIn, Scaled]):
    """Reports its context's ids, and registers a service that only its own item should see."""

    def run(self, input: ScaleIn, ctx: ExecutionContext) -> Scaled:
        seen = len(ctx.services)
        ctx.register(f"from-{input.name}", input.size)
        return Scaled(name=ctx.parent_correlation_id or "", scaled=seen, unit=ctx.correlation_id)


def test_each_item_gets_a_child_context(runner: Callable[..., Runner]) -> None:
    ctx = ExecutionContext(correlation_id="job-1", services={"shared": 1})
    job = runner().run(mapped_job({"a": 1, "b/c": 2}, task=WhoAmI), ctx)
    assert job.status is JobStatus.COMPLETED, job.error
    outputs = {r.task_name: r.output for r in job.mapped_item_results["scale"]}
    for name, safe in (("scale[a]", "scale_a"), ("scale[b/c]", "scale_b_c")):
        output = outputs[name]
        assert isinstance(output, Scaled)
        assert output.name == "job-1"
        assert output.unit.startswith(f"job-1:{safe}:")
        assert output.scaled == 1  # the parent's service, not the other item's
    assert dict(ctx.services) == {"shared": 1}


def test_child_context_ids_and_scratch_folders(tmp_path: Path) -> None:
    parent = ExecutionContext("p", scratch_dir=tmp_path / "scratch")
    child = parent.child(task_name="resize", item_key="cat photo.png")
    assert child.correlation_id.startswith("p:resize_cat_photo.png:")
    digest = child.correlation_id.rsplit(":", 1)[1]
    assert len(digest) == 8
    assert int(digest, 16) >= 0
    assert child.parent_correlation_id == "p"
    assert child.logger is parent.logger
    assert child.scratch_dir == tmp_path / "scratch" / f"resize_cat_photo.png-{digest}"
    assert child.scratch_dir.is_dir()
    other = parent.child(task_name="resize", item_key="cat/photo.png")
    assert other.correlation_id != child.correlation_id  # same safe text, another hash
    assert other.scratch_dir != child.scratch_dir
    assert parent.child(task_name="resize", item_key="cat photo.png").scratch_dir == (
        child.scratch_dir
    )
    assert (
        ExecutionContext("p").child(task_name="", item_key="/").correlation_id.startswith("p:item:")
    )


def test_a_child_scratch_folder_goes_with_its_parent() -> None:
    parent = ExecutionContext()
    child = parent.child(task_name="t", item_key="k")
    scratch = child.scratch_dir
    child.close()
    assert scratch.is_dir()
    parent.close()
    assert not scratch.exists()


def test_child_services_are_layered_over_the_parent() -> None:
    parent = ExecutionContext(services={"db": "parent-db"})
    first = parent.child(task_name="t", item_key="1")
    second = parent.child(task_name="t", item_key="2")
    first.register("cache", "first-cache")
    first.register("db", "first-db")
    assert first.resolve("db") == "first-db"
    assert first.resolve("cache") == "first-cache"
    assert second.resolve("db") == "parent-db"
    assert parent.resolve("db") == "parent-db"
    with pytest.raises(KeyError, match="'cache'; registered: db"):
        second.resolve("cache")
    parent.register("late", 1)
    assert first.resolve("late") == 1  # a live view of the parent's
    assert dict(first.services) == {"cache": "first-cache", "db": "first-db", "late": 1}
    grandchild = first.child(task_name="u", item_key="x")
    assert grandchild.resolve("cache") == "first-cache"


def test_a_child_context_pickles_with_its_services_and_ids() -> None:
    parent = ExecutionContext("p", services={"a": 1})
    child = parent.child(task_name="t", item_key="k")
    child.register("b", 2)
    copy = pickle.loads(pickle.dumps(child))
    assert copy.correlation_id == child.correlation_id
    assert copy.parent_correlation_id == "p"
    assert dict(copy.services) == {"a": 1, "b": 2}
    assert copy.scratch_dir == child.scratch_dir
    parent.close()


# -- hooks ------------------------------------------------------------------------------------


class Recorder(BaseHook):
    def __init__(self) -> None:
        self.events: list[str] = []
        self.item_tasks: list[Task[Any, Any]] = []

    def on_task_start(self, job: Job[Any, Any], task: Task[Any, Any]) -> None:
        self.events.append(f"task_start:{task.name}")

    def on_task_complete(self, job: Job[Any, Any], task: Task[Any, Any], output: BaseModel) -> None:
        self.events.append(f"task_complete:{task.name}")

    def on_task_fail(self, job: Job[Any, Any], task: Task[Any, Any], error: Exception) -> None:
        self.events.append(f"task_fail:{task.name}")

    def on_map_item_start(self, job: Job[Any, Any], task: Task[Any, Any], key: str) -> None:
        assert key in job.mapped_item_results or task.name in job.mapped_item_results
        self.item_tasks.append(task)
        self.events.append(f"item_start:{task.name}:{key}")

    def on_map_item_complete(
        self, job: Job[Any, Any], task: Task[Any, Any], key: str, output: BaseModel
    ) -> None:
        assert job.mapped_item_results[task.name][-1].output is output
        self.events.append(f"item_complete:{task.name}:{key}")

    def on_map_item_fail(
        self, job: Job[Any, Any], task: Task[Any, Any], key: str, error: Exception
    ) -> None:
        assert job.mapped_item_results[task.name][-1].exception is error
        self.events.append(f"item_fail:{task.name}:{key}")


def test_hooks_see_each_item_between_the_task_events() -> None:
    hook = Recorder()
    Runner([hook]).run(mapped_job({"a": 1, "b": -1, "c": 1}, mode="collect_all"))
    assert hook.events == [
        "task_start:load",
        "task_complete:load",
        "task_start:scale",
        "item_start:scale:a",
        "item_complete:scale:a",
        "item_start:scale:b",
        "item_fail:scale:b",
        "item_start:scale:c",
        "item_complete:scale:c",
        "task_fail:scale",
    ]
    # Each item runs in a new instance, named after the mapped instance.
    assert len({id(task) for task in hook.item_tasks}) == 3
    assert {task.name for task in hook.item_tasks} == {"scale"}


def test_parallel_hooks_see_each_item_between_the_task_events(
    runner: Callable[..., Runner],
) -> None:
    hook = Recorder()
    runner([hook]).run(mapped_job({"a": 1, "b": 2}))
    scale = hook.events[hook.events.index("task_start:scale") : -2]
    assert scale[0] == "task_start:scale"
    assert scale[-1] == "task_complete:scale"
    for key in "ab":
        assert scale.index(f"item_start:scale:{key}") < scale.index(f"item_complete:scale:{key}")
    assert len(scale) == 6


def test_hooks_without_the_item_methods_keep_working() -> None:
    class Old:  # a taskmaestro 0.1.0 hook, duck-typed
        def __init__(self) -> None:
            self.names: list[str] = []

        def on_task_complete(self, job: Job[Any, Any], task: Task[Any, Any], out: object) -> None:
            self.names.append(task.name)

    class OldBase(BaseHook):
        def on_task_start(self, job: Job[Any, Any], task: Task[Any, Any]) -> None:
            pass

    old = Old()
    job = Runner([old, OldBase()]).run(mapped_job({"a": 1}))  # any warning would fail here
    assert job.status is JobStatus.COMPLETED
    assert old.names == ["load", "scale", "total_of"]
    assert [e.value for e in Event if e.value.startswith("map_item")] == [
        "map_item_start",
        "map_item_complete",
        "map_item_fail",
    ]


def test_logging_hook_logs_each_item(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="taskmaestro.hooks.logging")
    Runner([LoggingHook()]).run(mapped_job({"a": 1, "x]": -1}, mode="collect_all"))
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Map item")]
    assert lines == [
        "Map item started: scale[a]",
        "Map item completed: scale[a]",
        "Map item started: scale['x]']",
        "Map item failed: scale['x]'], error=negative size -1",
    ]


def test_timing_hook_times_each_item() -> None:
    hook = TimingHook()
    Runner([hook]).run(mapped_job({"a": 1, "b": -1}, mode="collect_all"))
    assert set(hook.mapped_item_timings) == {"scale"}
    assert set(hook.mapped_item_timings["scale"]) == {"a", "b"}
    assert all(seconds >= 0 for seconds in hook.mapped_item_timings["scale"].values())
    assert set(hook.task_timings) == {"load", "scale"}


def test_persistence_hook_writes_each_item_and_the_whole(tmp_path: Path) -> None:
    hook = ResultPersistenceHook(tmp_path)
    Runner([hook]).run(mapped_job({"a": 1, "../up": 2, "x]y": 3}))
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "load.json",
        "scale.json",
        "scale[..%2Fup].json",
        "scale[a].json",
        "scale[x%5Dy].json",
        "total_of.json",
    ]
    whole = MappedOutput[Scaled].model_validate_json((tmp_path / "scale.json").read_text())
    assert list(whole.root) == ["a", "../up", "x]y"]
    item = Scaled.model_validate_json((tmp_path / "scale[a].json").read_text())
    assert item == Scaled(name="a", scaled=3, unit="px")


def test_progress_hook_reports_each_ended_item() -> None:
    import io

    stream = io.StringIO()
    Runner([ProgressHook(stream, live=False)]).run(mapped_job({"a": 1, "b": -1}))
    lines = stream.getvalue().splitlines()
    assert any(line.startswith("mapped: scale[a] completed in ") for line in lines)
    assert any(
        line.startswith("mapped: scale[b] failed after ") and "negative size -1" in line
        for line in lines
    )


def test_progress_hook_counts_items_on_the_live_line() -> None:
    import io

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    hook = ProgressHook(stream, live=True, refresh_seconds=60)
    job = mapped_job({"a": 1, "b": 2})
    hook.on_job_start(job)
    scale = Scale()
    scale.name = "scale"
    hook.on_task_start(job, scale)
    hook.on_map_item_start(job, scale, "a")
    hook.on_map_item_complete(job, scale, "a", Scaled(name="a", scaled=1, unit=""))
    hook.write_line("redraw")
    assert "scale (1 item, " in stream.getvalue()
    hook.on_job_complete(job)
