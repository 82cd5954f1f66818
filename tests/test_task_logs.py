"""``ctx.logger`` in a task: the child logger ``<logger>.<workflow>.<task>``, whose records carry
the workflow, the task and the correlation id, with every executor."""

from __future__ import annotations

import logging
import multiprocessing
import pickle
import threading
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pytest
from pydantic import BaseModel

from taskmaestro import ExecutionContext, Job, JobStatus, Runner, Task, Workflow, workflow_task
from taskmaestro.context import TaskLogger, enter_task, leave_task

FORMAT = "%(taskmaestro_workflow)s|%(taskmaestro_task)s|%(correlation_id)s|%(process)d|%(message)s"


class Number(BaseModel):
    value: int


class Chatty(Task[Number, Number]):
    """Logs one line through ``ctx.logger``."""

    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        ctx.logger.info("value %d", input.value)
        return input


class Both(BaseModel):
    left: Number
    right: Number


class Meet(Task[Both, Number]):
    def run(self, input: Both, ctx: ExecutionContext) -> Number:
        ctx.logger.info("met")
        return Number(value=input.left.value + input.right.value)


_together = threading.Barrier(4, timeout=30)


class Overlapping(Task[Number, Number]):
    """Logs only once three other tasks run at the same time (threads only)."""

    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        _together.wait()
        ctx.logger.info("overlapping %d", input.value)
        return input


class FromItsThread(Task[Number, Number]):
    """Logs from a thread of its own, through the logger it read in ``run``."""

    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        logger = ctx.logger
        helper = threading.Thread(target=logger.warning, args=("from a helper thread",))
        helper.start()
        helper.join()
        return input


def branches(name: str, task: type[Task[Number, Number]]) -> Workflow[Number, Number]:
    return (
        Workflow.builder(name=name)
        .add_task(task, name="left")
        .add_task(task, name="right")
        .add_task(Meet, depends_on={"left": "left", "right": "right"})
        .build()
    )


class Records(logging.Handler):
    """Keeps every record that reaches it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def records() -> Iterator[list[logging.LogRecord]]:
    handler = Records()
    logger = logging.getLogger("taskmaestro")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def attribute(record: logging.LogRecord, name: str) -> str:
    """An attribute the task logger stamped on ``record`` (a ``str``)."""
    value = record.__dict__[name]
    assert isinstance(value, str)
    return value


def stamps(records: list[logging.LogRecord]) -> set[tuple[str, str, str, str, str]]:
    return {
        (
            record.name,
            attribute(record, "taskmaestro_workflow"),
            attribute(record, "taskmaestro_task"),
            attribute(record, "correlation_id"),
            record.getMessage(),
        )
        for record in records
    }


def test_a_task_logs_through_its_own_child_logger(records: list[logging.LogRecord]) -> None:
    ctx = ExecutionContext("run-1")
    job = Runner().run(Job(branches("flow", Chatty), Number(value=2)), ctx=ctx)

    assert job.status is JobStatus.COMPLETED, job.error
    assert stamps(records) == {
        ("taskmaestro.flow.left", "flow", "left", "run-1", "value 2"),
        ("taskmaestro.flow.right", "flow", "right", "run-1", "value 2"),
        ("taskmaestro.flow.meet", "flow", "meet", "run-1", "met"),
    }
    assert ctx.logger is logging.getLogger("taskmaestro")  # outside a task: the context's own


def test_the_child_is_named_after_the_context_logger(records: list[logging.LogRecord]) -> None:
    ctx = ExecutionContext("run-2", logging.getLogger("taskmaestro.mine"))
    Runner().run(Job(branches("flow", Chatty), Number(value=1)), ctx=ctx)

    assert {record.name for record in records} == {
        "taskmaestro.mine.flow.left",
        "taskmaestro.mine.flow.right",
        "taskmaestro.mine.flow.meet",
    }


def test_the_registered_logger_of_a_task_decides_its_level(
    records: list[logging.LogRecord],
) -> None:
    quiet = logging.getLogger("taskmaestro.flow.left")
    quiet.setLevel(logging.WARNING)
    try:
        Runner().run(Job(branches("flow", Chatty), Number(value=1)), ctx=ExecutionContext("r"))
    finally:
        quiet.setLevel(logging.NOTSET)

    assert {attribute(record, "taskmaestro_task") for record in records} == {"right", "meet"}


def test_inner_tasks_of_a_nested_workflow_are_named_after_the_inner_workflow(
    records: list[logging.LogRecord],
) -> None:
    inner = Workflow.builder(name="inner").add_task(Chatty, name="step").build()
    outer = (
        Workflow.builder(name="outer")
        .add_task(workflow_task(inner, name="nested"))
        .add_task(Chatty, name="after", depends_on="nested")
        .build()
    )
    Runner().run(Job(outer, Number(value=3)), ctx=ExecutionContext("nest"))

    assert {(record.name, attribute(record, "correlation_id")) for record in records} == {
        ("taskmaestro.inner.step", "nest"),
        ("taskmaestro.outer.after", "nest"),
    }


def test_a_logger_read_in_run_keeps_its_stamp_in_other_threads(
    records: list[logging.LogRecord],
) -> None:
    workflow = Workflow.builder(name="helpers").add_task(FromItsThread, name="spawner").build()
    Runner().run(Job(workflow, Number(value=0)), ctx=ExecutionContext("threads"))

    assert stamps(records) == {
        ("taskmaestro.helpers.spawner", "helpers", "spawner", "threads", "from a helper thread")
    }


def test_values_passed_in_extra_win_over_the_stamp(records: list[logging.LogRecord]) -> None:
    ctx = ExecutionContext("stamped")
    scope = enter_task("flow", "one")
    try:
        ctx.logger.info("mine", extra={"correlation_id": "given"})
    finally:
        leave_task(scope)

    assert [
        (attribute(r, "correlation_id"), attribute(r, "taskmaestro_task")) for r in records
    ] == [("given", "one")]


def test_a_task_logger_pickles_with_its_stamp() -> None:
    logger = TaskLogger(logging.getLogger("taskmaestro"), "flow", "one", "id-1")
    copy = pickle.loads(pickle.dumps(logger))

    assert isinstance(copy, TaskLogger)
    assert (copy.name, copy.stamp) == (logger.name, logger.stamp)
    assert copy.parent is logging.getLogger("taskmaestro.flow.one")


def test_a_new_context_given_a_task_logger_takes_its_context_logger() -> None:
    base = logging.getLogger("taskmaestro.base")
    logger = TaskLogger(base, "flow", "one", "id-1")

    assert ExecutionContext(logger=logger).logger is base


def test_concurrent_runs_on_threads_keep_their_own_task_and_correlation_id(
    records: list[logging.LogRecord],
) -> None:
    workflow = branches("overlap", Overlapping)
    jobs = {cid: Job(workflow, Number(value=index)) for index, cid in enumerate(("a", "b"))}
    with ThreadPoolExecutor(4) as pool:
        runner = Runner(executor=pool)
        drivers = [
            threading.Thread(target=runner.run, args=(job,), kwargs={"ctx": ExecutionContext(cid)})
            for cid, job in jobs.items()
        ]
        for driver in drivers:
            driver.start()
        for driver in drivers:
            driver.join()

    assert all(job.status is JobStatus.COMPLETED for job in jobs.values())
    assert stamps(records) == {
        (f"taskmaestro.overlap.{task}", "overlap", task, cid, message)
        for index, cid in enumerate(("a", "b"))
        for task, message in (
            ("left", f"overlapping {index}"),
            ("right", f"overlapping {index}"),
            ("meet", "met"),
        )
    }


def log_to_file(path: str) -> None:
    """A worker process's initializer: its ``taskmaestro`` records go to ``path``."""
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter(FORMAT))
    logger = logging.getLogger("taskmaestro")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


@pytest.mark.parametrize("method", ["forkserver", "spawn"])
def test_records_in_a_worker_process_carry_the_stamp_to_its_handlers(
    tmp_path: Path, method: str
) -> None:
    log = tmp_path / "worker.log"
    context = multiprocessing.get_context(method)
    pool: Executor
    with ProcessPoolExecutor(
        1, mp_context=context, initializer=log_to_file, initargs=(str(log),)
    ) as pool:
        job = Runner(executor=pool).run(
            Job(branches("flow", Chatty), Number(value=4)), ctx=ExecutionContext("proc")
        )

    assert job.status is JobStatus.COMPLETED, job.error
    lines = log.read_text().splitlines()
    fields = [line.split("|") for line in lines]
    assert sorted((w, t, c, m) for w, t, c, _, m in fields) == [
        ("flow", "left", "proc", "value 4"),
        ("flow", "meet", "proc", "met"),
        ("flow", "right", "proc", "value 4"),
    ]
    assert all(int(pid) != multiprocessing.current_process().pid for *_, pid, _ in fields)


def test_records_from_a_dask_worker_thread_carry_the_stamp(
    records: list[logging.LogRecord],
) -> None:
    from distributed import Client

    with Client(processes=False, dashboard_address=":0", n_workers=1, threads_per_worker=2) as c:
        job = Runner(executor=c.get_executor()).run(
            Job(branches("flow", Chatty), Number(value=5)), ctx=ExecutionContext("dask")
        )

    assert job.status is JobStatus.COMPLETED, job.error
    assert stamps(records) == {
        ("taskmaestro.flow.left", "flow", "left", "dask", "value 5"),
        ("taskmaestro.flow.right", "flow", "right", "dask", "value 5"),
        ("taskmaestro.flow.meet", "flow", "meet", "dask", "met"),
    }
