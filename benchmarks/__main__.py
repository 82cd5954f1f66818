"""``python -m benchmarks``: every benchmark, a table on stdout, ``benchmarks/results.json``.

Options:

- ``--smoke``: tiny sizes and one round each, to check that the benchmarks
  still run (``make test`` does it); no targets, and no JSON file unless
  ``--output`` names one.
- ``--only build,runner``: some groups only (``build``, ``runner``, ``yaml``,
  ``mypy``, ``parallel``, ``mapped``); no JSON file unless ``--output`` names one.
- ``--output PATH``: where to write the JSON (default: ``benchmarks/results.json``
  for a full run of every group).
- ``--readme``: print the README's "Performance" table from ``results.json``
  and run nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from . import build, mapped, overhead, parallel, typecheck, yaml_load
from ._measure import Group
from ._report import machine, readme_table, table, write_json

GROUPS: dict[str, Callable[[bool], Group]] = {
    "build": build.run,
    "runner": overhead.run,
    "yaml": yaml_load.run,
    "mypy": typecheck.run,
    "parallel": parallel.run,
    "mapped": mapped.run,
}

RESULTS = Path(__file__).with_name("results.json")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one round, no targets")
    parser.add_argument("--only", default="", help="comma-separated groups: " + ", ".join(GROUPS))
    parser.add_argument("--output", type=Path, default=None, help="the JSON file to write")
    parser.add_argument(
        "--readme", action="store_true", help="print the README table of results.json"
    )
    arguments = parser.parse_args(argv)
    if arguments.readme:
        print(readme_table(json.loads(RESULTS.read_text(encoding="utf-8"))))
        return 0
    chosen = [name.strip() for name in arguments.only.split(",") if name.strip()] or list(GROUPS)
    unknown = [name for name in chosen if name not in GROUPS]
    if unknown:
        parser.error(f"unknown group(s): {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    output = arguments.output
    if output is None and not arguments.smoke and not arguments.only:
        output = RESULTS

    meta = machine()
    print(
        f"{meta['cpu']}, {meta['cores']} cores, {meta['python']}, {meta['os']}; "
        f"load average {meta['load_average']}"
        + ("; smoke run: tiny sizes, one round, no targets" if arguments.smoke else ""),
        flush=True,
    )
    groups: list[Group] = []
    started = time.perf_counter()
    for name in chosen:
        group = GROUPS[name](arguments.smoke)
        groups.append(group)
        print("\n" + table(group), flush=True)
    meta["seconds"] = round(time.perf_counter() - started, 1)
    meta["load_average_after"] = machine()["load_average"]
    missed = [
        f"{group.name}.{row.key}" for group in groups for row in group.rows if row.met is False
    ]
    print(f"\n{meta['seconds']} s; targets missed: {', '.join(missed) if missed else 'none'}")
    if output is not None:
        write_json(output, groups, arguments.smoke, meta)
        print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
