"""Parallel branches: the sequential runner against thread, process and Dask executors.

The workflow: 8 independent branches of 2 tasks each, merged into one task.

- I/O-bound: each task sleeps 0.2 s. Sequential, with a ThreadPoolExecutor of
  8 threads (target: at least 6x faster), and on a local Dask cluster
  (2 worker processes x 4 threads, on the loopback interface).
- CPU-bound: each task counts down in pure Python (~0.1 s). Sequential, with a
  ProcessPoolExecutor of one process per core, and with 8 threads (which the
  GIL serializes) for contrast.

Each time is the best of ``REPEATS`` rounds (one with ``smoke``, which also
shrinks the tasks), a round running the job once per executor in turn; each
executor runs the job once before it is timed, so that the figures are the
run of a job, not the start of workers.
``python -m benchmarks.parallel [--smoke] [--json]`` prints them.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from taskmaestro import Job, JobStatus, Runner, Task, Workflow

from ._parallel_tasks import BRANCHES, Burn, MergeAll, Sleep, Work

REPEATS = 5
SLEEP_SECONDS = 0.2
BURN_ITERATIONS = 2_000_000


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


def best_times(
    workflow: Workflow[Work, Any],
    amount: float,
    executors: Mapping[str, Executor | None],
    repeats: int,
) -> dict[str, float]:
    """The best time of each executor over ``repeats`` rounds.

    Each executor runs the job once first, so that its workers have started and
    imported the tasks; the rounds then take the executors in turn, so that a
    change in the machine's load touches them all alike.
    """
    for executor in executors.values():
        if executor is not None:
            once(workflow, amount, executor)
    best = dict.fromkeys(executors, float("inf"))
    for _ in range(repeats):
        for name, executor in executors.items():
            best[name] = min(best[name], once(workflow, amount, executor))
    return best


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
            dashboard_address=":0",
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client.get_executor()


def run(smoke: bool) -> dict[str, object]:
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
        cpu = {"sequential": None, "threads": threads, "processes": processes}
        cpu_times = best_times(branches(Burn), burn, cpu, repeats)
    with ThreadPoolExecutor(BRANCHES) as threads, dask_executor(2, BRANCHES // 2) as dask:
        io = {"sequential": None, "threads": threads, "dask": dask}
        io_times = best_times(branches(Sleep), sleep, io, repeats)

    figures: dict[str, object] = {
        "branches": BRANCHES,
        "tasks_per_branch": 2,
        "cores": cores,
        "repeats": repeats,
        "io_task_sleep_s": sleep,
        "cpu_task_iterations": burn,
    }
    for workload, times in (("io", io_times), ("cpu", cpu_times)):
        for name, elapsed in times.items():
            figures[f"{workload}_{name}_s"] = round(elapsed, 3)
            if name != "sequential":
                figures[f"{workload}_{name}_speedup"] = round(times["sequential"] / elapsed, 2)
    return figures


def main(argv: list[str]) -> None:
    figures = run(smoke="--smoke" in argv)
    if "--json" in argv:
        print(json.dumps(figures))
        return
    width = max(len(key) for key in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main(sys.argv[1:])
