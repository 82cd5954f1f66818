"""The mypy plugin: mypy on a generated module of 200 wired tasks, with and without it.

The module (``_generate.module_source``) declares 200 task classes and wires
them in one fluent ``Workflow.builder(...)...build()`` chain: whole outputs by
class and by name, field routes, config fields and fan-in dicts; then a
``Job``. It type-checks clean in both set-ups (a run that reports anything
stops the benchmark).

Both set-ups are strict mypy with the same options; they differ only in the
plugin entry: ``plugins = pydantic.mypy, taskmaestro.mypy`` against
``plugins = pydantic.mypy``. Each runs ``python -m mypy`` in a fresh process,
as a user or an editor does, in its own folder with its own cache. Per round:

- cold: the cache folder removed first, so mypy checks the standard library,
  pydantic and taskmaestro too (that fixed cost is most of a cold run);
- warm: ``WARM`` reruns, each after a one-line change of the module
  (``REVISION = 0`` <-> ``1``), so the module (and only it) is checked again
  from the cache: what a save in an editor costs;
- unchanged: a rerun with nothing changed (mypy's start and cache reads).

The set-ups take turns within each step, and start each round in the order
the other one started the round before. Targets (issue 6): cold with the plugin
at most 1.15x cold without it; the warm rerun with it costs no more than
without it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from ._generate import EDIT_LINE, EDITED_LINE, module_source
from ._measure import Group, figure, per_round, timed

__all__ = ["Project", "run"]

TASKS = 200
RUNS = 5
WARM = 3
SMOKE_TASKS = 4
COLD_TARGET = 1.15
WARM_TARGET = 1.0
SETUPS = {"plugin": "pydantic.mypy, taskmaestro.mypy", "no_plugin": "pydantic.mypy"}
MODULE = "generated.py"


class Project:
    """A folder with the generated module, a mypy.ini and a cache of its own."""

    def __init__(self, folder: Path, plugins: str, source: str) -> None:
        self.folder = folder
        folder.mkdir(parents=True)
        (folder / "mypy.ini").write_text(
            f"[mypy]\nstrict = true\nplugins = {plugins}\n", encoding="utf-8"
        )
        self.source = source
        self.edited = False
        self._write()

    def cold(self) -> float:
        shutil.rmtree(self.folder / ".mypy_cache", ignore_errors=True)
        return timed(self.mypy)

    def warm(self) -> float:
        """A rerun after the one-line change (back and forth between two revisions)."""
        self.edited = not self.edited
        self._write()
        return timed(self.mypy)

    def unchanged(self) -> float:
        return timed(self.mypy)

    def mypy(self) -> None:
        command = [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", MODULE]
        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("MYPY", "TASKMAESTRO_"))
        }
        done = subprocess.run(
            command, cwd=self.folder, env=environment, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"mypy failed in {self.folder} (exit {done.returncode}):\n"
                f"{done.stdout}{done.stderr}"
            )

    def _write(self) -> None:
        source = self.source.replace(EDIT_LINE, EDITED_LINE) if self.edited else self.source
        (self.folder / MODULE).write_text(source, encoding="utf-8")


def _turns(
    projects: Sequence[Project], step: Callable[[Project], float], first: int
) -> list[float]:
    """``step`` on each project, starting with ``projects[first]``; values in project order."""
    values = [0.0] * len(projects)
    for offset in range(len(projects)):
        index = (first + offset) % len(projects)
        values[index] = step(projects[index])
    return values


def run(smoke: bool) -> Group:
    tasks = SMOKE_TASKS if smoke else TASKS
    runs = 1 if smoke else RUNS
    warm_runs = 1 if smoke else WARM
    source = module_source(tasks)
    root = Path(tempfile.mkdtemp(prefix="taskmaestro-bench-"))
    cold: list[list[float]] = []
    warm: list[list[float]] = []
    unchanged: list[list[float]] = []
    try:
        projects = [Project(root / name, plugins, source) for name, plugins in SETUPS.items()]
        for index in range(runs):
            first = index % len(projects)
            cold.append(_turns(projects, Project.cold, first))
            for _ in range(warm_runs):
                warm.append(_turns(projects, Project.warm, first))
            unchanged.append(_turns(projects, Project.unchanged, first))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    group = Group("mypy", smoke)
    group.notes = {
        "tasks": tasks,
        "module lines": source.count("\n") + 1,
        "rounds": runs,
        "warm reruns per round": warm_runs,
        "mypy": "python -m mypy, strict, a process per run",
    }
    for key, label, values, target in (
        ("cold", "cold", cold, COLD_TARGET),
        ("warm", "warm rerun after a one-line change", warm, WARM_TARGET),
        ("unchanged", "rerun, nothing changed", unchanged, None),
    ):
        with_plugin = [pair[0] for pair in values]
        without = [pair[1] for pair in values]
        group.add(f"{key}_plugin_s", f"{label}, with the plugin", figure(with_plugin, "s"))
        group.add(f"{key}_no_plugin_s", f"{label}, without it", figure(without, "s"))
        ratio = figure(per_round(lambda w, o: w / o, with_plugin, without), "x")
        if target is None:
            group.add(f"{key}_ratio", "  with / without", ratio)
        else:
            group.add(
                f"{key}_ratio",
                "  with / without",
                ratio,
                f"<= {target:.2f}x",
                ratio.median <= target,
            )
    return group


if __name__ == "__main__":
    from ._report import main

    main(run)
