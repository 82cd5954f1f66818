"""YAML: loading and validating a generated workflow file of 1,000 tasks.

The file (``_generate.yaml_workflow``) wires blocks of four tasks by instance
name, with routes, ``config_fields`` and fan-in mappings; its input file gives
the root's value and every scale factor (per-task mode). Timed per round:

- ``load_workflow_from_yaml(workflow, input)``: reading and checking both
  files, importing the task classes (already imported, after the first load),
  the builder calls and ``build()``'s wiring rules, the ``Job`` and ``Runner``;
- the same workflow built in Python with ``Workflow.builder``, for the ratio
  that shows what the file format costs on top of the build itself.

No target in the issue: the figures are reported as they are.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from taskmaestro import JobConfiguration, Workflow, load_workflow_from_yaml

from . import _tasks
from ._generate import BLOCK, yaml_workflow
from ._measure import Group, figure, per_round, rounds, timed
from ._tasks import AddOne, Merge, Scale, Split

__all__ = ["builder_equivalent", "factors", "run"]

TASKS = 1_000
RUNS = 15
SMOKE_TASKS = 8


def builder_equivalent(tasks: int) -> Workflow[Any, Any]:
    """The workflow of ``yaml_workflow(tasks, ...)``, built in Python."""
    builder = Workflow.builder(name="generated")
    for k in range(tasks // BLOCK):
        builder.add_task(AddOne, name=f"source_{k}", depends_on=f"merge_{k - 1}" if k else None)
        builder.add_task(Split, name=f"split_{k}", depends_on=f"source_{k}")
        builder.add_task(
            Scale, name=f"scale_{k}", depends_on=(f"split_{k}", "a"), config_fields=["factor"]
        )
        builder.add_task(
            Merge,
            name=f"merge_{k}",
            depends_on={
                "a": f"scale_{k}",
                "b": (f"split_{k}", "b"),
                "label": (f"split_{k}", "label"),
            },
        )
    return builder.build()


def factors(tasks: int) -> JobConfiguration:
    """The scale factors of the generated workflow: all 1."""
    return JobConfiguration({f"scale_{k}": {"factor": 1.0} for k in range(tasks // BLOCK)})


def run(smoke: bool) -> Group:
    tasks = SMOKE_TASKS if smoke else TASKS
    folder = Path(tempfile.mkdtemp(prefix="taskmaestro-bench-"))
    try:
        workflow_text, input_text = yaml_workflow(tasks, _tasks.__name__)
        workflow_file = folder / "workflow.yaml"
        input_file = folder / "input.yaml"
        workflow_file.write_text(workflow_text, encoding="utf-8")
        input_file.write_text(input_text, encoding="utf-8")

        def load() -> None:
            loaded = load_workflow_from_yaml(workflow_file, input_file)
            loaded.context.close()
            if len(loaded.workflow.task_names) != tasks:
                raise RuntimeError("the generated workflow did not load whole")

        times = rounds(
            {
                "yaml": lambda: timed(load),
                "builder": lambda: timed(lambda: builder_equivalent(tasks)),
            },
            1 if smoke else RUNS,
        )
        size = workflow_file.stat().st_size
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    group = Group("yaml", smoke)
    group.notes = {"tasks": tasks, "runs": len(times["yaml"]), "file bytes": size}
    group.add(
        f"load_{tasks}_ms",
        f"load_workflow_from_yaml, {tasks:,} tasks",
        figure(times["yaml"], "ms", 1e3),
    )
    group.add(
        f"load_{tasks}_us_per_task",
        "  per task",
        figure(times["yaml"], "us", 1e6 / tasks),
    )
    group.add(
        f"builder_{tasks}_ms",
        "the same workflow through the builder",
        figure(times["builder"], "ms", 1e3),
    )
    group.add(
        "yaml_to_builder",
        "YAML load / builder",
        figure(per_round(lambda y, b: y / b, times["yaml"], times["builder"]), "x"),
    )
    return group


if __name__ == "__main__":
    from ._report import main

    main(run)
