"""Executors for the parallel tests, each started once per session and only when asked for.

``executor`` runs a test under each kind: a thread pool, a process pool and a
local Dask cluster (on the loopback interface, started and stopped here).
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor, wait

import pytest

WORKERS = 2
"""Workers of the process pool and of the Dask cluster (this machine has 2 cores)."""


@pytest.fixture(scope="session")
def thread_pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(8) as pool:
        yield pool


@pytest.fixture(scope="session")
def process_pool() -> Iterator[ProcessPoolExecutor]:
    # forkserver: fork() in a process that runs threads is unsafe (and warned about).
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(WORKERS, mp_context=context) as pool:
        # Start every worker now, so that the tests' deadlines do not include that.
        wait([pool.submit(time.sleep, 0.3) for _ in range(WORKERS)])
        yield pool


@pytest.fixture(scope="session")
def dask_executor() -> Iterator[Executor]:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=WORKERS,
            threads_per_worker=2,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",  # any free port: 8787 may be taken
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client.get_executor()


@pytest.fixture(params=["threads", "processes", "dask"])
def executor(request: pytest.FixtureRequest) -> Executor:
    fixture = {"threads": "thread_pool", "processes": "process_pool", "dask": "dask_executor"}
    pool: Executor = request.getfixturevalue(fixture[request.param])
    return pool


@pytest.fixture(params=["sequential", "threads", "processes"])
def runner_executor(request: pytest.FixtureRequest) -> Executor | None:
    """No executor (the sequential runner), a thread pool, a process pool: for features of
    the execution core that both runners share (retries, the cache), without Dask's cost."""
    if request.param == "sequential":
        return None
    fixture = {"threads": "thread_pool", "processes": "process_pool"}[request.param]
    pool: Executor = request.getfixturevalue(fixture)
    return pool
