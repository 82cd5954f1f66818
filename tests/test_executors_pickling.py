"""What cannot travel to another process is a clear task failure, never a hang."""

from __future__ import annotations

import threading
from concurrent.futures import Executor
from typing import Any

import pytest

from taskmaestro import (
    ExecutionContext,
    Job,
    JobStatus,
    Runner,
    Task,
    TaskExecutionError,
    Workflow,
)

from .helpers import AddOne, Number, names
from .parallel_tasks import Lock, MakeLock, RaiseUnpicklable, UseLock, UsesService


@pytest.fixture(params=["processes", "dask"])
def remote(request: pytest.FixtureRequest) -> Executor:
    pool: Executor = request.getfixturevalue(
        {"processes": "process_pool", "dask": "dask_executor"}[request.param]
    )
    return pool


def run(executor: Executor, workflow: Workflow[Any, Any], **services: object) -> Job[Any, Any]:
    with ExecutionContext() as ctx:
        for key, service in services.items():
            ctx.register(key, service)
        return Runner(executor=executor).run(Job(workflow, Number(value=1)), ctx=ctx)


def test_a_class_defined_in_a_function_names_the_class(remote: Executor) -> None:
    class Local(Task[Number, Number]):
        def run(self, input: Number, ctx: ExecutionContext) -> Number:
            return input

    job = run(remote, Workflow(name="w", tasks=[AddOne, Local]))
    assert job.status is JobStatus.FAILED
    assert job.failed_task == "local"
    assert isinstance(job.exception, TaskExecutionError)
    kind = type(remote).__name__
    assert job.error is not None
    assert job.error.startswith(
        f"Task 'local' cannot be sent to the {kind}: its class ("
        "tests.test_executors_pickling.test_a_class_defined_in_a_function_names_the_class."
        "<locals>.Local) cannot be pickled: "
    )
    assert job.error.endswith(
        "; define task classes and their models at module level to run them in another process"
    )
    assert names(job) == ["add_one", "local"]


def test_an_output_value_names_the_field(remote: Executor) -> None:
    job = run(remote, Workflow(name="w", tasks=[AddOne, MakeLock, UseLock]))
    assert job.failed_task == "make_lock"
    assert job.error == (
        "Task 'make_lock' ran, but its output field 'value' (a lock) cannot be pickled: "
        "TypeError: cannot pickle '_thread.lock' object"
    )


def test_an_input_value_names_the_field(remote: Executor) -> None:
    job = Job(Workflow(name="w", tasks=[UseLock]), Lock(value=threading.Lock()))
    Runner(executor=remote).run(job)
    assert job.failed_task == "use_lock"
    assert job.error == (
        f"Task 'use_lock' cannot be sent to the {type(remote).__name__}: its input field 'value' "
        "(a lock) cannot be pickled: TypeError: cannot pickle '_thread.lock' object"
    )


def test_a_service_that_cannot_travel_is_named(remote: Executor) -> None:
    job = run(remote, Workflow(name="w", tasks=[UsesService]), db=threading.Lock())
    assert job.status is JobStatus.FAILED
    assert job.failed_task == "uses_service"
    assert job.error == (
        f"Task 'uses_service' cannot be sent to the {type(remote).__name__}: the service 'db' "
        "of its context (a lock) cannot be pickled: TypeError: cannot pickle '_thread.lock' "
        "object; a task in another process gets a copy of the context, so its services must "
        "be picklable; use a ThreadPoolExecutor, or let the task open the resource itself"
    )


def test_services_that_travel_reach_the_task(remote: Executor) -> None:
    job = run(remote, Workflow(name="w", tasks=[UsesService]), db="postgres://")
    assert job.result == Number(value=1 + len("postgres://"))


def test_an_exception_that_cannot_travel_keeps_its_message(remote: Executor) -> None:
    job = run(remote, Workflow(name="w", tasks=[RaiseUnpicklable]))
    assert job.failed_task == "raise_unpicklable"
    assert job.error == "Task 'raise_unpicklable' failed: Unpicklable: holds a lock"
    assert isinstance(job.exception, TaskExecutionError)


def test_threads_need_no_pickling(thread_pool: Executor) -> None:
    job = run(thread_pool, Workflow(name="w", tasks=[AddOne, MakeLock, UseLock]))
    assert job.result == Number(value=1)
    job = run(thread_pool, Workflow(name="w", tasks=[UsesService]), db=threading.Lock())
    assert job.status is JobStatus.COMPLETED
