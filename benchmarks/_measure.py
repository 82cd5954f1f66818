"""Timing helpers shared by the benchmarks: interleaved rounds, medians, spreads, rows.

The machine is shared and noisy, so no figure is a single run:

- ``rounds`` runs every variant once per round, alternating their order from
  one round to the next, so that a change in the machine's load touches all
  variants alike; each variant runs once before the rounds (warm-up).
- A figure is the median of its rounds, with the lowest and highest value as
  its spread.
- A comparison (a growth ratio, an overhead, a slowdown) is computed per round
  from the variants timed in that round, then summarized the same way; it is
  never a ratio of two medians taken at different times.
"""

from __future__ import annotations

import gc
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from time import perf_counter

__all__ = ["Figure", "Group", "Row", "figure", "per_round", "rounds", "timed"]


@dataclass(frozen=True, slots=True)
class Figure:
    """A median with its spread (the lowest and highest value) over ``runs`` values."""

    median: float
    low: float
    high: float
    runs: int
    unit: str

    def as_json(self) -> dict[str, object]:
        return {
            "median": _round(self.median),
            "min": _round(self.low),
            "max": _round(self.high),
            "runs": self.runs,
            "unit": self.unit,
        }


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the table: a figure, and the target it is held to, if any."""

    key: str
    label: str
    figure: Figure
    target: str = ""
    met: bool | None = None

    def as_json(self) -> dict[str, object]:
        data = {"label": self.label, **self.figure.as_json()}
        if self.target:
            data["target"] = self.target
            data["met"] = self.met
        return data


@dataclass(slots=True)
class Group:
    """The figures of one benchmark module, plus facts about how they were taken."""

    name: str
    smoke: bool
    """A smoke run: tiny sizes, one round; its figures are held to no target."""
    rows: list[Row] = field(default_factory=list)
    notes: dict[str, object] = field(default_factory=dict)

    def add(
        self,
        key: str,
        label: str,
        value: Figure,
        target: str = "",
        met: bool | None = None,
    ) -> Row:
        row = Row(key, label, value) if self.smoke else Row(key, label, value, target, met)
        self.rows.append(row)
        return row

    def as_json(self) -> dict[str, object]:
        return {
            "smoke": self.smoke,
            "notes": self.notes,
            "figures": {row.key: row.as_json() for row in self.rows},
        }


def figure(values: Sequence[float], unit: str, scale: float = 1.0) -> Figure:
    """The median and spread of ``values``, each multiplied by ``scale`` (seconds to ms...)."""
    if not values:
        raise ValueError("a figure needs at least one value")
    scaled = [value * scale for value in values]
    return Figure(statistics.median(scaled), min(scaled), max(scaled), len(scaled), unit)


def timed(action: Callable[[], object]) -> float:
    """The wall time of ``action()``, in seconds."""
    start = perf_counter()
    action()
    return perf_counter() - start


def rounds(
    variants: Mapping[str, Callable[[], float]],
    runs: int,
    warmup: bool = True,
    collect: bool = True,
) -> dict[str, list[float]]:
    """Each variant's values over ``runs`` rounds; a variant returns the value it measured.

    A variant measures itself (usually with ``timed``), so that it can leave its
    set-up out. With ``collect``, garbage is collected before each call, so that
    one variant does not pay for the garbage of the one before it; a full
    collection also empties the interpreter's free lists, so the next call starts
    cold. Without it, the variants run back to back, in the steady state of a
    process that does the same work again and again.
    """
    names = list(variants)
    if warmup:
        for name in names:
            variants[name]()
    values: dict[str, list[float]] = {name: [] for name in names}
    for index in range(runs):
        for name in names if index % 2 == 0 else reversed(names):
            if collect:
                gc.collect()
            values[name].append(variants[name]())
    return values


def per_round(combine: Callable[..., float], *series: Sequence[float]) -> list[float]:
    """``combine`` applied to the values of each round: ``per_round(ratio, big, small)``."""
    return [combine(*values) for values in zip(*series, strict=True)]


def _round(value: float) -> float:
    """Four significant digits: the noise of this machine is far above that."""
    return float(f"{value:.4g}")
