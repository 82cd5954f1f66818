"""Build and validate: ``Workflow.builder(...)``, N ``add_task`` calls, ``build()``.

- A linear chain of N ``AddOne`` tasks, each naming the previous one
  (N = 1,000 and 10,000).
- A fan-in: N upstream tasks into one task whose input model has N fields, one
  ``depends_on`` dict of N entries (N = 300 and 3,000). The wide model and its
  task class are made before timing: that is the user's module, not the build.

- A chain of 100 tasks: the original package's workload (issue 13).

Timed: every ``add_task`` call and ``build()`` (which resolves references and
checks the wiring rules W1-W12); the execution plan is compiled at the first
run, not here. Growth ratios are taken per round between the two sizes.
Targets (issue 6): at most 12x the time for 10x the tasks, and a 10,000-task
chain well under a second (held here to at most 0.5 s). Targets (issue 13):
the original package's figures on this machine, a 100-task chain in at most
0.6 ms and a 3,000-field fan-in in at most 25 ms. The original cannot be timed
side by side here (it is never installed), so its figures are the targets.
"""

from __future__ import annotations

from typing import Any

from taskmaestro import Task, Workflow

from ._measure import Group, figure, per_round, rounds, timed
from ._tasks import AddOne, Count, fan_in_task

__all__ = ["chain", "fan_in", "run"]

RUNS = 15
CHAINS = (1_000, 10_000)
FAN_INS = (300, 3_000)
SMOKE_CHAINS = (10, 100)
SMOKE_FAN_INS = (3, 30)
ORIGINAL_CHAIN = 100
SMOKE_ORIGINAL_CHAIN = 5
GROWTH_TARGET = 12.0
CHAIN_SECONDS_TARGET = 0.5
ORIGINAL_CHAIN_MS = 0.6
"""The original package builds a 100-task chain in 0.6 ms (issue 13)."""
ORIGINAL_FAN_IN_MS = 25.0
"""The original package builds a 3,000-field fan-in in 25 ms (issue 13)."""


def chain(tasks: int) -> Workflow[Any, Any]:
    builder = Workflow.builder(name="chain").add_task(AddOne, name="t0")
    for index in range(1, tasks):
        builder.add_task(AddOne, name=f"t{index}", depends_on=f"t{index - 1}")
    return builder.build()


def fan_in(merge: type[Task[Any, Count]], upstream: int) -> Workflow[Any, Any]:
    builder = Workflow.builder(name="fan_in")
    for index in range(upstream):
        builder.add_task(AddOne, name=f"u{index}")
    builder.add_task(merge, depends_on={f"f{index}": f"u{index}" for index in range(upstream)})
    return builder.build()


def run(smoke: bool) -> Group:
    runs = 1 if smoke else RUNS
    small_chain, big_chain = SMOKE_CHAINS if smoke else CHAINS
    small_fan, big_fan = SMOKE_FAN_INS if smoke else FAN_INS
    small_merge, big_merge = fan_in_task(small_fan), fan_in_task(big_fan)
    original = SMOKE_ORIGINAL_CHAIN if smoke else ORIGINAL_CHAIN
    times = rounds(
        {
            "chain_original": lambda: timed(lambda: chain(original)),
            "chain_small": lambda: timed(lambda: chain(small_chain)),
            "chain_big": lambda: timed(lambda: chain(big_chain)),
            "fan_small": lambda: timed(lambda: fan_in(small_merge, small_fan)),
            "fan_big": lambda: timed(lambda: fan_in(big_merge, big_fan)),
        },
        runs,
    )
    group = Group("build", smoke)
    group.notes = {"runs": runs, "timed": "add_task calls + build()"}
    original_chain = figure(times["chain_original"], "ms", 1e3)
    group.add(
        f"chain_{original}_ms",
        f"chain of {original:,} tasks",
        original_chain,
        f"<= {ORIGINAL_CHAIN_MS:g} ms (the original)",
        original_chain.median <= ORIGINAL_CHAIN_MS,
    )
    group.add(
        f"chain_{small_chain}_ms",
        f"chain of {small_chain:,} tasks",
        figure(times["chain_small"], "ms", 1e3),
    )
    big = figure(times["chain_big"], "ms", 1e3)
    group.add(
        f"chain_{big_chain}_ms",
        f"chain of {big_chain:,} tasks",
        big,
        f"<= {CHAIN_SECONDS_TARGET * 1e3:g} ms",
        big.median <= CHAIN_SECONDS_TARGET * 1e3,
    )
    _growth(group, "chain", small_chain, big_chain, times["chain_small"], times["chain_big"])
    group.add(
        f"fan_in_{small_fan}_ms",
        f"fan-in of {small_fan:,} into one",
        figure(times["fan_small"], "ms", 1e3),
    )
    big_fan_in = figure(times["fan_big"], "ms", 1e3)
    group.add(
        f"fan_in_{big_fan}_ms",
        f"fan-in of {big_fan:,} into one",
        big_fan_in,
        f"<= {ORIGINAL_FAN_IN_MS:g} ms (the original)",
        big_fan_in.median <= ORIGINAL_FAN_IN_MS,
    )
    _growth(group, "fan_in", small_fan, big_fan, times["fan_small"], times["fan_big"])
    return group


def _growth(
    group: Group, key: str, small: int, big: int, small_times: list[float], big_times: list[float]
) -> None:
    ratios = figure(per_round(lambda b, s: b / s, big_times, small_times), "x")
    group.add(
        f"{key}_growth",
        f"{key.replace('_', '-')} growth, {big // small}x the tasks",
        ratios,
        f"<= {GROWTH_TARGET:g}x",
        ratios.median <= GROWTH_TARGET,
    )


if __name__ == "__main__":
    from ._report import main

    main(run)
