"""Executors chosen by name: what ``runner.executor`` in a YAML file and ``--executor`` pick.

``ExecutorChoice`` says which executor runs a job's tasks and with how many
workers; ``open()`` starts it and stops it afterwards, so that a YAML workflow
(``LoadedWorkflow.run``) or the command line owns its pool for one run.
"""

from __future__ import annotations

import importlib
import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Literal, get_args

__all__ = [
    "EXECUTOR_KINDS",
    "MAX_WORKERS",
    "ExecutorChoice",
    "ExecutorKind",
    "choice_problem",
    "dask_problem",
]

type ExecutorKind = Literal["sequential", "threads", "processes", "dask"]

EXECUTOR_KINDS: tuple[ExecutorKind, ...] = get_args(ExecutorKind.__value__)
"""The executors by name, in the order the documentation lists them."""

MAX_WORKERS = 4096
"""The most workers a file or the command line may ask for: more is a mistake."""


@dataclass(frozen=True)
class ExecutorChoice:
    """Which executor runs a job's tasks.

    - ``sequential``: none, ``Runner()`` runs one task at a time in this thread;
    - ``threads``: a ``ThreadPoolExecutor`` of ``max_workers`` threads;
    - ``processes``: a ``ProcessPoolExecutor`` of ``max_workers`` processes,
      started with ``forkserver`` (``spawn`` where it is missing), each running
      ``initializer`` first when given (to configure logging there, say);
    - ``dask``: the Dask cluster at ``scheduler`` (``tcp://host:8786``), or a
      local cluster of ``max_workers`` single-threaded worker processes.

    ``max_workers`` ``None`` lets the executor choose (the number of CPUs).
    Raises ``ValueError`` for a combination that means nothing (a scheduler
    for threads, workers for the sequential runner or beside a scheduler).
    """

    kind: ExecutorKind = "sequential"
    max_workers: int | None = None
    scheduler: str | None = None
    initializer: Callable[[], object] | None = None

    def __post_init__(self) -> None:
        problem = choice_problem(self.kind, self.max_workers, self.scheduler)
        if problem is not None:
            raise ValueError(f"ExecutorChoice: {problem[1]}")

    def open(self) -> AbstractContextManager[Executor | None]:
        """Start the executor (``None`` for ``sequential``); it is shut down on leaving."""
        return _open(self)


def choice_problem(
    kind: str, max_workers: object, scheduler: object
) -> tuple[Literal["executor", "max_workers", "scheduler"], str] | None:
    """The setting at fault in this choice and what is wrong with it, or ``None``."""
    if kind not in EXECUTOR_KINDS:
        return "executor", f"executor {kind!r} is not one of {', '.join(EXECUTOR_KINDS)}"
    if max_workers is not None and (
        isinstance(max_workers, bool)
        or not isinstance(max_workers, int)
        or not 0 < max_workers <= MAX_WORKERS
    ):
        problem = f"max_workers must be a whole number from 1 to {MAX_WORKERS}, got {max_workers!r}"
        return "max_workers", problem
    if scheduler is not None and kind != "dask":
        return "scheduler", f"a scheduler address is for the dask executor, not for {kind!r}"
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler.strip()):
        return "scheduler", f"the scheduler address must be a non-empty string, got {scheduler!r}"
    if max_workers is not None and kind == "sequential":
        problem = "max_workers needs an executor (threads, processes or dask), not 'sequential'"
        return "max_workers", problem
    if max_workers is not None and scheduler is not None:
        problem = "max_workers sizes a local Dask cluster; with a scheduler, its workers decide"
        return "max_workers", problem
    return None


def dask_problem() -> str | None:
    """Why the dask executor cannot be used here (``distributed`` missing), or ``None``."""
    try:
        importlib.import_module("distributed")
    except ImportError as error:
        return (
            f"the dask executor needs the 'distributed' package ({error}); "
            "install taskmaestro[dask]"
        )
    return None


@contextmanager
def _open(choice: ExecutorChoice) -> Iterator[Executor | None]:
    if choice.kind == "sequential":
        yield None
    elif choice.kind == "threads":
        with ThreadPoolExecutor(choice.max_workers) as threads:
            yield threads
    elif choice.kind == "processes":
        methods = multiprocessing.get_all_start_methods()
        method = "forkserver" if "forkserver" in methods else "spawn"
        with ProcessPoolExecutor(
            choice.max_workers,
            mp_context=multiprocessing.get_context(method),
            initializer=choice.initializer,
        ) as processes:
            yield processes
    else:
        with _dask(choice) as executor:
            yield executor


@contextmanager
def _dask(choice: ExecutorChoice) -> Iterator[Executor]:
    """The executor of a client of the chosen cluster; a local cluster is closed after."""
    problem = dask_problem()
    if problem is not None:
        raise RuntimeError(problem)
    distributed = importlib.import_module("distributed")
    if choice.scheduler is not None:
        client = distributed.Client(choice.scheduler)
    elif choice.max_workers is not None:
        client = distributed.Client(
            n_workers=choice.max_workers, threads_per_worker=1, dashboard_address=":0"
        )
    else:
        client = distributed.Client(dashboard_address=":0")
    try:
        executor: Executor = client.get_executor()
        yield executor
    finally:
        client.close()  # a local cluster the client started closes with it
