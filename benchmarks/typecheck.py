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
  (``REVISION = 0`` <-> ``10``, a change of size: see ``_generate``), so the
  module (and only it) is checked again from the cache: what a save in an
  editor costs;
- unchanged: a rerun with nothing changed (mypy's start and cache reads).

The set-ups take turns within each step, and start each round in the order
the other one started the round before. Each run is timed twice: wall time,
and the CPU time of the mypy process (user + system, from ``os.wait4``). The
targets are held to the CPU time, which the other jobs of a shared machine
inflate much less (mypy uses one core); the wall times are reported beside it.

Python's bytecode cache is on for the mypy processes, in a folder of the
benchmark's own (``PYTHONPYCACHEPREFIX``, filled before the rounds). Without
it (``PYTHONDONTWRITEBYTECODE=1``, as on the machine the figures come from)
every mypy start would compile the plugin's sources again: about 40 ms that no
installed copy pays.

Targets: cold with the plugin at most 1.15x cold without it (issue 6); the
warm rerun after a one-line edit next to the 200 wired tasks at most 1.15x
(issue 17).

Growth (issue 17.4): the same module generated with 100, 400, 1,600 and 3,200
tasks in one chain, each checked cold with and without the plugin
(``GROWTH_RUNS`` rounds, set-ups taking turns); the ratio at each size shows
whether the plugin's cost grows faster than mypy's own. Target: at most 1.3x
at 3,200 tasks.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter

from ._generate import EDIT_LINE, EDITED_LINE, module_source
from ._measure import Group, figure, per_round

__all__ = ["Project", "Run", "run"]

TASKS = 200
RUNS = 7
WARM = 3
SMOKE_TASKS = 4
COLD_TARGET = 1.15
WARM_TARGET = 1.15
GROWTH_SIZES = (100, 400, 1600, 3200)
SMOKE_GROWTH_SIZES = (4, 8)
GROWTH_RUNS = 5
"""Five: a cold check of a long chain moves by a young collection of mypy's (about 0.4 s at
3,200 tasks) that the plugin's objects bring forward or not, so three rounds are too few."""
GROWTH_TARGET = 1.3
SETUPS = {"plugin": "pydantic.mypy, taskmaestro.mypy", "no_plugin": "pydantic.mypy"}
MODULE = "generated.py"


@dataclass(frozen=True, slots=True)
class Run:
    wall: float
    cpu: float
    """User and system CPU time of the mypy process: what the check costs, whatever else
    the machine is doing (its wall time also counts the waits for a busy CPU)."""


class Project:
    """A folder with the generated module, a mypy.ini and a cache of its own."""

    def __init__(self, folder: Path, plugins: str, source: str, bytecode: Path) -> None:
        self.folder = folder
        self.environment = _environment(bytecode)
        folder.mkdir(parents=True)
        (folder / "mypy.ini").write_text(
            f"[mypy]\nstrict = true\nplugins = {plugins}\n", encoding="utf-8"
        )
        self.source = source
        self.edited = False
        self._write()

    def cold(self) -> Run:
        shutil.rmtree(self.folder / ".mypy_cache", ignore_errors=True)
        return self.mypy()

    def warm(self) -> Run:
        """A rerun after the one-line change (back and forth between two revisions)."""
        self.edited = not self.edited
        self._write()
        return self.mypy()

    def unchanged(self) -> Run:
        return self.mypy()

    def mypy(self) -> Run:
        """One ``python -m mypy`` process: its wall time and the CPU time it used."""
        command = [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", MODULE]
        with tempfile.TemporaryFile() as output:
            start = perf_counter()
            process = subprocess.Popen(
                command, cwd=self.folder, env=self.environment, stdout=output, stderr=output
            )
            _, status, usage = os.wait4(process.pid, 0)
            wall = perf_counter() - start
            process.returncode = os.waitstatus_to_exitcode(status)
            if process.returncode != 0:
                output.seek(0)
                raise RuntimeError(
                    f"mypy failed in {self.folder} (exit {process.returncode}):\n"
                    + output.read().decode(errors="replace")
                )
        return Run(wall, usage.ru_utime + usage.ru_stime)

    def _write(self) -> None:
        source = self.source.replace(EDIT_LINE, EDITED_LINE) if self.edited else self.source
        (self.folder / MODULE).write_text(source, encoding="utf-8")


def _environment(bytecode: Path) -> dict[str, str]:
    """This process's environment, without mypy or plugin settings, with a bytecode cache."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MYPY", "TASKMAESTRO_")) and key != "PYTHONDONTWRITEBYTECODE"
    }
    environment["PYTHONPYCACHEPREFIX"] = str(bytecode)
    return environment


def _compile(bytecode: Path) -> None:
    """Fill the bytecode cache with taskmaestro's and the plugin's modules."""
    folders = []
    for package in ("taskmaestro", "mypy_plugin"):
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.submodule_search_locations:
            folders.extend(spec.submodule_search_locations)
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", *folders],
        env=_environment(bytecode),
        capture_output=True,
        check=True,
    )


def _turns(projects: Sequence[Project], step: Callable[[Project], Run], first: int) -> list[Run]:
    """``step`` on each project, starting with ``projects[first]``; runs in project order."""
    runs: dict[int, Run] = {}
    for offset in range(len(projects)):
        index = (first + offset) % len(projects)
        runs[index] = step(projects[index])
    return [runs[index] for index in range(len(projects))]


def run(smoke: bool) -> Group:
    tasks = SMOKE_TASKS if smoke else TASKS
    runs = 1 if smoke else RUNS
    warm_runs = 1 if smoke else WARM
    source = module_source(tasks)
    root = Path(tempfile.mkdtemp(prefix="taskmaestro-bench-"))
    cold: list[list[Run]] = []
    warm: list[list[Run]] = []
    unchanged: list[list[Run]] = []
    try:
        bytecode = root / "bytecode"
        _compile(bytecode)
        projects = [
            Project(root / name, plugins, source, bytecode) for name, plugins in SETUPS.items()
        ]
        for index in range(runs):
            first = index % len(projects)
            cold.append(_turns(projects, Project.cold, first))
            for _ in range(warm_runs):
                warm.append(_turns(projects, Project.warm, first))
            unchanged.append(_turns(projects, Project.unchanged, first))
        growth = _growth(root, bytecode, smoke)
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
    for key, label, pairs, target in (
        ("cold", "cold", cold, COLD_TARGET),
        ("warm", "warm rerun after a one-line change", warm, WARM_TARGET),
        ("unchanged", "rerun, nothing changed", unchanged, None),
    ):
        cpu_with = [pair[0].cpu for pair in pairs]
        cpu_without = [pair[1].cpu for pair in pairs]
        wall_with = [pair[0].wall for pair in pairs]
        wall_without = [pair[1].wall for pair in pairs]
        group.add(f"{key}_plugin_cpu_s", f"{label}, with the plugin, CPU", figure(cpu_with, "s"))
        group.add(f"{key}_no_plugin_cpu_s", f"{label}, without it, CPU", figure(cpu_without, "s"))
        group.add(
            f"{key}_extra_cpu_s",
            "  with - without, CPU",
            figure(per_round(lambda w, o: w - o, cpu_with, cpu_without), "s"),
        )
        ratio = figure(per_round(lambda w, o: w / o, cpu_with, cpu_without), "x")
        if target is None:
            group.add(f"{key}_ratio_cpu", "  with / without, CPU", ratio)
        else:
            group.add(
                f"{key}_ratio_cpu",
                "  with / without, CPU",
                ratio,
                f"<= {target:.2f}x",
                ratio.median <= target,
            )
        group.add(f"{key}_plugin_wall_s", "  with the plugin, wall", figure(wall_with, "s"))
        group.add(f"{key}_no_plugin_wall_s", "  without it, wall", figure(wall_without, "s"))
        group.add(
            f"{key}_ratio_wall",
            "  with / without, wall",
            figure(per_round(lambda w, o: w / o, wall_with, wall_without), "x"),
        )
    sizes = SMOKE_GROWTH_SIZES if smoke else GROWTH_SIZES
    for size, pairs in zip(sizes, growth, strict=True):
        cpu_with = [pair[0].cpu for pair in pairs]
        cpu_without = [pair[1].cpu for pair in pairs]
        ratio = figure(per_round(lambda w, o: w / o, cpu_with, cpu_without), "x")
        last = size == sizes[-1]
        group.add(
            f"growth_{size}_plugin_cpu_s", f"cold, {size} tasks, with, CPU", figure(cpu_with, "s")
        )
        group.add(
            f"growth_{size}_no_plugin_cpu_s",
            f"cold, {size} tasks, without, CPU",
            figure(cpu_without, "s"),
        )
        if last and not smoke:
            group.add(
                f"growth_{size}_ratio_cpu",
                "  with / without, CPU",
                ratio,
                f"<= {GROWTH_TARGET:.2f}x",
                ratio.median <= GROWTH_TARGET,
            )
        else:
            group.add(f"growth_{size}_ratio_cpu", "  with / without, CPU", ratio)
    return group


def _growth(root: Path, bytecode: Path, smoke: bool) -> list[list[list[Run]]]:
    """Cold runs of each chain size, with and without the plugin: per size, per round."""
    sizes = SMOKE_GROWTH_SIZES if smoke else GROWTH_SIZES
    runs = 1 if smoke else GROWTH_RUNS
    results: list[list[list[Run]]] = []
    for size in sizes:
        source = module_source(size)
        projects = [
            Project(root / f"growth-{size}-{name}", plugins, source, bytecode)
            for name, plugins in SETUPS.items()
        ]
        results.append([_turns(projects, Project.cold, index % 2) for index in range(runs)])
    return results


if __name__ == "__main__":
    from ._report import main

    main(run)
