"""The machine the figures come from, the table they are printed as, the JSON file."""

from __future__ import annotations

import argparse
import json
import os
import platform
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from ._measure import Group, Row

__all__ = ["machine", "main", "readme_table", "table", "write_json"]


def machine() -> dict[str, object]:
    """CPU, cores, Python, OS and library versions; the load average says how busy it was."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": _os_name(),
        "load_average": _load(),
        "versions": {name: _version(name) for name in ("taskmaestro", "pydantic", "mypy")},
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def table(group: Group) -> str:
    """The group's figures as aligned text: median, spread (min-max), runs, target."""
    header = ("figure", "median", "spread (min-max)", "runs", "target", "")
    lines = [header] + [_cells(row) for row in group.rows]
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    aligned = [
        "  ".join(
            cell.rjust(width) if column in (1, 3) else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in lines
    ]
    notes = "; ".join(f"{key}: {value}" for key, value in group.notes.items())
    return "\n".join([f"== {group.name} ({notes})", *("  " + line for line in aligned)])


def write_json(path: Path, groups: Sequence[Group], smoke: bool, meta: dict[str, object]) -> None:
    data = {
        "smoke": smoke,
        "machine": meta,
        "groups": {group.name: group.as_json() for group in groups},
    }
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def main(run: Callable[[bool], Group]) -> None:
    """``python -m benchmarks.<module> [--smoke]``: one group's table, no JSON file."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one round")
    arguments = parser.parse_args()
    print(table(run(arguments.smoke)))


def _cells(row: Row) -> tuple[str, str, str, str, str, str]:
    value = row.figure
    unit = value.unit
    spread = f"{_number(value.low)}-{_number(value.high)} {unit}" if value.runs > 1 else ""
    met = "" if row.met is None else ("met" if row.met else "MISSED")
    return (
        row.label,
        f"{_number(value.median)} {unit}",
        spread,
        str(value.runs),
        row.target,
        met,
    )


def _number(value: float) -> str:
    """Three significant digits, without an exponent."""
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


# The figures the README's "Performance" table shows: (group, key, label).
README_ROWS = (
    ("build", "chain_100_ms", "build a chain of 100 tasks (the original's workload)"),
    ("build", "chain_1000_ms", "build a chain of 1,000 tasks (`add_task` calls + `build()`)"),
    ("build", "chain_10000_ms", "build a chain of 10,000 tasks"),
    ("build", "chain_growth", "growth, 10x the tasks"),
    ("build", "fan_in_300_ms", "build a fan-in of 300 tasks into a 300-field model"),
    ("build", "fan_in_3000_ms", "build a fan-in of 3,000"),
    ("build", "fan_in_growth", "growth, 10x the tasks"),
    ("runner", "floor_us", "floor: `run()` of each task by hand, per task (1,000-task chain)"),
    ("runner", "runner_us", "`Runner().run(Job(...))`, per task"),
    ("runner", "overhead_us", "runner overhead above the floor, per task"),
    ("runner", "runner_to_floor", "the runner's time / the floor's"),
    (
        "runner",
        "made_floor_us",
        "made floor: each task made, named and `run()` by hand, per task, back to back",
    ),
    ("runner", "runner_to_made_floor", "the runner's time / the made floor's, back to back"),
    ("runner", "hook_us", "a hook that listens to every event and does nothing, per task"),
    (
        "runner",
        "silent_extra_per_hook_us",
        "delivering events: per hook that does nothing, per task",
    ),
    ("runner", "logged_runner_us", "`LoggingHook` + `TimingHook` in the runner, per task"),
    ("runner", "persisted_runner_us", "`ResultPersistenceHook` (an fsync per file), per task"),
    ("yaml", "load_1000_ms", "`load_workflow_from_yaml`, 1,000 tasks (112 kB file)"),
    ("yaml", "builder_1000_ms", "the same workflow through the builder"),
    ("mypy", "cold_ratio_cpu", "mypy, 200 wired tasks, cold: with the plugin / without (CPU)"),
    ("mypy", "warm_ratio_cpu", "mypy, warm rerun after a one-line change: with / without (CPU)"),
    ("mypy", "warm_extra_cpu_s", "the same: with - without (CPU)"),
    ("mypy", "unchanged_ratio_cpu", "mypy, rerun with nothing changed: with / without (CPU)"),
    ("mypy", "growth_100_ratio_cpu", "mypy, a 100-task builder chain, cold: with / without (CPU)"),
    ("mypy", "growth_400_ratio_cpu", "the same, 400 tasks"),
    ("mypy", "growth_1600_ratio_cpu", "the same, 1,600 tasks"),
    ("mypy", "growth_3200_ratio_cpu", "the same, 3,200 tasks"),
    (
        "parallel",
        "io_threads_speedup",
        "8 branches of 2 tasks sleeping 0.2 s: 8 threads / `Runner()`",
    ),
    ("parallel", "io_dask_speedup", "the same on a local Dask cluster (2 processes x 4 threads)"),
    ("parallel", "cpu_processes_speedup", "the same counting down in Python: 2 processes"),
    ("mapped", "mapped_us", "a mapped task over 1,000 items, `Runner()`, per item"),
    ("mapped", "overhead_us", "mapped-task overhead above the floor, per item"),
    ("mapped", "threads_us", "the same items on 4 threads, per item"),
)


def readme_table(results: dict[str, Any]) -> str:
    """The README's "Performance" table from ``results.json`` (a test keeps them equal)."""
    lines = ["| what | median | spread | target |", "|---|---|---|---|"]
    for group, key, label in README_ROWS:
        value = results["groups"][group]["figures"][key]
        unit = value["unit"]
        target = value.get("target", "")
        if target:
            target = f"{target}: {'met' if value['met'] else '**missed**'}"
        lines.append(
            f"| {label} | {_number(value['median'])} {unit} "
            f"| {_number(value['min'])} to {_number(value['max'])} {unit} | {target} |"
        )
    return "\n".join(lines)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _os_name() -> str:
    try:
        with open("/etc/os-release", encoding="utf-8") as release:
            for line in release:
                if line.startswith("PRETTY_NAME="):
                    return f"{line.split('=', 1)[1].strip().strip(chr(34))} ({platform.release()})"
    except OSError:
        pass
    return platform.platform()


def _load() -> list[float] | None:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def _version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None
