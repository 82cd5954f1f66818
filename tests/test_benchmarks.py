"""The benchmarks cannot rot: their smoke mode runs here, and their inputs are valid.

No timing is ever asserted: the machine that runs the tests is shared, and
``make bench`` is where figures come from.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from benchmarks.__main__ import GROUPS
from benchmarks._generate import EDIT_LINE, EDITED_LINE, module_source, yaml_workflow
from benchmarks._measure import figure, per_round, rounds
from benchmarks._report import readme_table
from benchmarks._tasks import Number
from benchmarks.yaml_load import builder_equivalent, factors
from taskmaestro import Job, JobStatus, Runner, load_workflow_from_yaml

ROOT = Path(__file__).resolve().parent.parent


def test_smoke_run_of_every_benchmark(tmp_path: Path) -> None:
    """``python -m benchmarks --smoke``: every group runs once at tiny sizes, JSON is written."""
    output = tmp_path / "results.json"
    reference = ROOT / "benchmarks" / "results.json"
    before = reference.read_bytes() if reference.exists() else None
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(output.read_text(encoding="utf-8"))
    assert data["smoke"] is True
    assert list(data["groups"]) == list(GROUPS)
    for name, group in data["groups"].items():
        assert group["figures"], name
        assert f"== {name} (" in done.stdout
        for key, value in group["figures"].items():
            assert value["runs"] == 1, key
            assert isinstance(value["median"], float | int), key
            assert "target" not in value, key  # smoke figures are held to nothing
    after = reference.read_bytes() if reference.exists() else None
    assert after == before  # a smoke run leaves the reference figures alone


def test_generated_module_builds_and_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What mypy is timed on is a workflow that builds and runs, not just text."""
    source = module_source(8)
    assert source.count(".add_task(") == 8
    assert EDIT_LINE in source
    assert EDITED_LINE not in source
    module = _import(tmp_path / "generated_wiring.py", source, monkeypatch)
    assert module.workflow.topological_order()[-1][0] == "merge_1"
    result = module.run(1)
    # source +1, split, scale x1, merge takes the larger: 2 after block 0, 3 after block 1
    assert result is not None
    assert result.value == 3


def test_generated_yaml_is_the_builder_workflow(tmp_path: Path) -> None:
    """The YAML file loads into the workflow the builder makes, and runs to the same result."""
    workflow_text, input_text = yaml_workflow(8, "benchmarks._tasks")
    (tmp_path / "workflow.yaml").write_text(workflow_text, encoding="utf-8")
    (tmp_path / "input.yaml").write_text(input_text, encoding="utf-8")
    loaded = load_workflow_from_yaml(tmp_path / "workflow.yaml", tmp_path / "input.yaml")
    built = builder_equivalent(8)
    assert loaded.workflow.topological_order() == built.topological_order()
    from_yaml = loaded.run()
    assert from_yaml.status is JobStatus.COMPLETED
    from_builder = Runner().run(
        Job(built, Number(value=1), job_configuration=factors(8)),
    )
    assert from_builder.status is JobStatus.COMPLETED
    assert from_yaml.result == from_builder.result == Number(value=3)


def test_generators_refuse_a_partial_block() -> None:
    with pytest.raises(ValueError, match="multiple of 4"):
        module_source(6)


def test_rounds_alternate_the_order_of_the_variants() -> None:
    calls: list[str] = []

    def variant(name: str, value: float) -> float:
        calls.append(name)
        return value

    values = rounds({"a": lambda: variant("a", 1.0), "b": lambda: variant("b", 2.0)}, 3)
    assert calls == ["a", "b", "a", "b", "b", "a", "a", "b"]  # warm-up, then a b / b a / a b
    assert values == {"a": [1.0, 1.0, 1.0], "b": [2.0, 2.0, 2.0]}


def test_figures_are_medians_with_their_spread() -> None:
    value = figure([0.003, 0.001, 0.002, 0.010], "ms", 1e3)
    assert (value.median, value.low, value.high, value.runs) == (2.5, 1.0, 10.0, 4)
    assert per_round(lambda a, b: a / b, [4.0, 9.0], [2.0, 3.0]) == [2.0, 3.0]


def _import(path: Path, source: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Import ``source`` as a module of its own (in ``sys.modules`` while the test runs, so
    that pydantic resolves the module's postponed annotations)."""
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, path.stem, module)
    spec.loader.exec_module(module)
    return module


def test_the_readme_shows_the_committed_figures() -> None:
    # After a reference run: python -m benchmarks --readme, into README.md's "Performance".
    results = json.loads((ROOT / "benchmarks" / "results.json").read_text(encoding="utf-8"))
    assert readme_table(results) in (ROOT / "README.md").read_text(encoding="utf-8")
