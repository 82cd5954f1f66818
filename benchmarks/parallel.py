"""Parallel branches: the sequential runner against thread, process and Dask executors.

The workflow: 8 independent branches of 2 tasks each, merged into one task.

- I/O-bound: each task sleeps 0.2 s. Sequential, with a ThreadPoolExecutor of
  8 threads (target: at least 6x faster), and on a local Dask cluster
  (2 worker processes x 4 threads, on the loopback interface).
- CPU-bound: each task counts down in pure Python (~0.1 s). Sequential, with a
  ProcessPoolExecutor of one process per core, and with 8 threads (which the
  GIL serializes) for contrast.

Each time is the median of ``REPEATS`` rounds (one with ``smoke``, which also
shrinks the tasks), with its spread (lowest and highest); a round runs the job
once per executor in turn, and each speed-up is taken within a round. Each
executor runs the job once before the rounds, so that the figures are the run
of a job, not the start of workers.
``python -m benchmarks.parallel [--smoke]`` prints them; ``python -m benchmarks``
runs them with the other benchmarks.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from taskmaestro import Job, JobStatus, Runner, Task, Workflow

from ._measure import Group, figure, per_round
from ._parallel_tasks import BRANCHES, Burn, MergeAll, Sleep, Work

REPEATS = 5
SLEEP_SECONDS = 0.2
BURN_ITERATIONS = 2_000_000
THREADS_TARGET = 6.0
"""Issue 7: the I/O-bound job at least 6x faster on 8 threads than sequentially."""


def branches(task: type[Task[Work, Work]]) -> Workflow[Work, Any]:
    """``BRANCHES`` branches of two ``task``s, merged into one ``MergeAll``."""
    builder = Workflow.builder(name=f"{task.name}_branches")
    for index in range(BRANCHES):
        builder.add_task(task, name=f"first_{index}")
        builder.add_task(task, name=f"second_{index}", depends_on=f"first_{index}")
    builder.add_task(MergeAll, depends_on={f"b{i}": f"second_{i}" for i in range(BRANCHES)})
    return builder.build()


def once(workflow: Workflow[Work, Any], amount: float, executor: Executor | None) -> float:
    """The wall time of one run of the job, in seconds."""
    job = Job(workflow, Work(amount=amount))
    start = time.perf_counter()
    Runner(executor=executor).run(job)
    elapsed = time.perf_counter() - start
    if job.status is not JobStatus.COMPLETED:
        raise RuntimeError(f"benchmark job failed: {job.error}")
    return elapsed


def times(
    workflow: Workflow[Work, Any],
    amount: float,
    executors: Mapping[str, Executor | None],
    repeats: int,
) -> dict[str, list[float]]:
    """The times of each executor over ``repeats`` rounds.

    Each executor runs the job once first, so that its workers have started and
    imported the tasks; the rounds then take the executors in turn, so that a
    change in the machine's load touches them all alike.
    """
    for executor in executors.values():
        if executor is not None:
            once(workflow, amount, executor)
    values: dict[str, list[float]] = {name: [] for name in executors}
    for _ in range(repeats):
        for name, executor in executors.items():
            values[name].append(once(workflow, amount, executor))
    return values


@contextmanager
def dask_executor(workers: int, threads: int) -> Iterator[Executor]:
    """A local Dask cluster on the loopback interface, for the time of the block."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=threads,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",  # any free port: 8787 may be taken
            silence_logs=logging.CRITICAL,  # workers that outlive the scheduler by a heartbeat
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client.get_executor()


def run(smoke: bool) -> Group:
    """The figures: wall times in seconds, and speed-ups over the sequential runner."""
    repeats = 1 if smoke else REPEATS
    sleep = 0.005 if smoke else SLEEP_SECONDS
    burn = 20_000 if smoke else BURN_ITERATIONS
    cores = os.cpu_count() or 1
    forkserver = multiprocessing.get_context("forkserver")

    with (
        ThreadPoolExecutor(BRANCHES) as threads,
        ProcessPoolExecutor(cores, mp_context=forkserver) as processes,
    ):
        cpu = {"sequential": None, "processes": processes, "threads": threads}
        cpu_times = times(branches(Burn), burn, cpu, repeats)
    with ThreadPoolExecutor(BRANCHES) as threads, dask_executor(2, BRANCHES // 2) as dask:
        io = {"sequential": None, "threads": threads, "dask": dask}
        io_times = times(branches(Sleep), sleep, io, repeats)

    group = Group("parallel", smoke)
    group.notes = {
        "branches": f"{BRANCHES} x 2 tasks, merged",
        "runs": repeats,
        "io task": f"sleeps {sleep:g} s",
        "cpu task": f"counts down {burn:,}",
    }
    labels = {
        "sequential": "Runner()",
        "threads": f"ThreadPoolExecutor({BRANCHES})",
        "processes": f"ProcessPoolExecutor({cores})",
        "dask": f"local Dask, 2 processes x {BRANCHES // 2} threads",
    }
    for workload, values in (("io", io_times), ("cpu", cpu_times)):
        for name, elapsed in values.items():
            group.add(f"{workload}_{name}_s", f"{workload}: {labels[name]}", figure(elapsed, "s"))
            if name != "sequential":
                speedup = figure(per_round(lambda s, e: s / e, values["sequential"], elapsed), "x")
                key = f"{workload}_{name}_speedup"
                if key == "io_threads_speedup":  # issue 7's target
                    target = f">= {THREADS_TARGET:g}x"
                    group.add(key, "  speed-up", speedup, target, speedup.median >= THREADS_TARGET)
                else:
                    group.add(key, "  speed-up", speedup)
    return group


if __name__ == "__main__":
    from ._report import main

    main(run)
