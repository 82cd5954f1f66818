"""The plugin's verdict on every wiring scenario, under every plugin set-up.

All scenarios go into one module, each in a function of its own, and mypy
checks it once per set-up: the plugin alone, after ``pydantic.mypy`` and
before it. Each error is attributed to the scenario whose lines hold it; the
codes must be the table's, and the three set-ups must print the same output.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
import textwrap
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from mypy import api
from pydantic import BaseModel

from taskmaestro.exceptions import WorkflowDefinitionError
from tests.wiring_scenarios import PRELUDE, SCENARIOS, Scenario

_TYPETESTS = Path(__file__).parent.parent / "typetests"

SETUPS = {
    "plugin-alone": "taskmaestro.mypy",
    "pydantic-first": "pydantic.mypy, taskmaestro.mypy",
    "pydantic-last": "taskmaestro.mypy, pydantic.mypy",
}

_ERROR = re.compile(
    r"^(?P<path>.+?):(?P<line>\d+): error: (?P<message>.*?)  \[(?P<code>[a-z-]+)\]$"
)


@dataclass(frozen=True)
class _Checked:
    output: str
    codes: dict[str, set[str]]
    """Error codes per scenario id."""
    messages: dict[str, list[str]]
    """Error messages (without their code) per scenario id."""
    stray: list[str]
    """Errors outside every scenario (in the prelude)."""


def _module(scenarios: tuple[Scenario, ...]) -> tuple[str, dict[str, range]]:
    """The module text, and the lines of each scenario in it."""
    lines = PRELUDE.splitlines()
    spans: dict[str, range] = {}
    for scenario in scenarios:
        lines += ["", ""]
        start = len(lines) + 1
        lines.append(f"def scenario_{scenario.id}() -> None:")
        lines += textwrap.indent(scenario.code, "    ").splitlines()
        spans[scenario.id] = range(start, len(lines) + 1)
    return "\n".join(lines) + "\n", spans


def _check(folder: Path, plugins: str) -> _Checked:
    """Check the scenarios module in ``folder``, whose mypy cache persists between runs.

    The module keeps its path from run to run: mypy 2 replays the errors of an
    unchanged module from its cache, with the path it had then.
    """
    text, spans = _module(SCENARIOS)
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "scenarios.py"
    source.write_text(text)
    config = folder / "mypy.ini"
    config.write_text(f"[mypy]\nstrict = true\nplugins = {plugins}\n")
    stdout, stderr, status = api.run(
        ["--config-file", str(config), "--cache-dir", str(folder / "cache"), str(source)]
    )
    assert status in (0, 1), stderr + stdout
    codes: dict[str, set[str]] = {scenario.id: set() for scenario in SCENARIOS}
    messages: dict[str, list[str]] = {scenario.id: [] for scenario in SCENARIOS}
    stray: list[str] = []
    for line in stdout.splitlines():
        match = _ERROR.match(line)
        if match is None:
            continue
        number = int(match["line"])
        owner = next((id for id, span in spans.items() if number in span), None)
        if owner is None:
            stray.append(line)
        else:
            codes[owner].add(match["code"])
            messages[owner].append(match["message"])
    output = re.sub(r"^.*scenarios\.py:", "scenarios.py:", stdout, flags=re.MULTILINE)
    return _Checked(output, codes, messages, stray)


@pytest.fixture(scope="module")
def checked(pytestconfig: pytest.Config) -> Iterator[dict[str, _Checked]]:
    """mypy's output under each set-up; the files live in .pytest_cache between runs."""
    patch = pytest.MonkeyPatch()
    patch.setenv("TASKMAESTRO_MYPY_DEBUG", "1")
    root = Path(pytestconfig.rootpath) / ".pytest_cache" / "wiring-static"
    try:
        yield {name: _check(root / name, plugins) for name, plugins in SETUPS.items()}
    finally:
        patch.undo()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.id)
def test_static_verdict(scenario: Scenario, checked: dict[str, _Checked]) -> None:
    assert checked["pydantic-first"].codes[scenario.id] == set(scenario.static)


@pytest.mark.parametrize(
    "scenario",
    [scenario for scenario in SCENARIOS if scenario.static],
    ids=lambda scenario: scenario.id,
)
def test_plugin_message_is_the_runtime_message(
    scenario: Scenario, checked: dict[str, _Checked], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13.4: both fill the templates of ``taskmaestro._contract``, so the runtime's
    message (it raises at the first violation) is one of the plugin's, word for word, once
    the plugin's mypy-style quotes around types are taken away."""
    module = types.ModuleType("wiring_prelude")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    exec(compile(PRELUDE, "<wiring prelude>", "exec"), module.__dict__)
    assert scenario.runtime is not None
    with pytest.raises(scenario.runtime) as raised:
        exec(compile(scenario.code, scenario.id, "exec"), dict(module.__dict__))
    unquoted = [
        message.replace('"', "") for message in checked["pydantic-first"].messages[scenario.id]
    ]
    assert str(raised.value) in unquoted


def test_prelude_is_clean(checked: dict[str, _Checked]) -> None:
    assert checked["pydantic-first"].stray == []


@pytest.mark.parametrize("setup", ["plugin-alone", "pydantic-last"])
def test_same_output_with_any_plugin_setup(setup: str, checked: dict[str, _Checked]) -> None:
    assert checked[setup].output == checked["pydantic-first"].output


def test_required_fields_agree_with_pydantic(tmp_path: Path) -> None:
    """The models of typetests/test-required.yml: pydantic's verdict is the plugin's message."""
    cases = yaml.safe_load((_TYPETESTS / "test-required.yml").read_text())
    case = next(case for case in cases if case["case"] == "required_fields_every_spelling")
    path = tmp_path / "required_models.py"
    path.write_text(case["files"][0]["content"])
    spec = importlib.util.spec_from_file_location("required_models", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = re.search(r"\(missing: ([\w, ]+)\)", case["main"])
    assert expected is not None
    every: type[BaseModel] = module.Every
    required = [name for name, field in every.model_fields.items() if field.is_required()]
    assert sorted(required) == sorted(["v", *expected[1].split(", ")])


def test_generic_cases_agree_with_the_runtime(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each line of typetests/test-generics.yml the plugin flags raises that text at run time.

    The other lines run without error. (The plugin quotes types the mypy way.)
    """
    cases = yaml.safe_load((_TYPETESTS / "test-generics.yml").read_text())
    path = tmp_path / "models.py"
    path.write_text(cases[0]["files"][0]["content"])
    spec = importlib.util.spec_from_file_location("models", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "models", module)
    spec.loader.exec_module(module)
    for case in cases:
        _run_statements(case["main"], {"reveal_type": lambda value: value})


def _exec(code: str, namespace: dict[str, object]) -> None:
    """Run typetests code as its own module would: without this file's ``__future__``
    flags (string annotations would leave pydantic forward references)."""
    exec(compile(code, "<typetests main>", "exec", dont_inherit=True), namespace)


def _run_statements(main: str, namespace: dict[str, object]) -> int:
    """Run a typetests ``main`` statement by statement; returns how many raised.

    A statement whose line carries ``# E:`` comments raises one of those messages
    (without their codes and mypy's quotes); the others run without error.
    """
    lines = main.splitlines()
    raised_count = 0
    done = 0  # the last line run: statements sharing a line run once, together
    for statement in ast.parse(main).body:
        if statement.lineno <= done:
            continue
        done = statement.end_lineno or statement.lineno
        code = "\n".join(lines[statement.lineno - 1 : done])
        expected = [
            re.sub(r"\s+\[[a-z-]+\]$", "", text).replace('"', "")
            for text in code.split("  # E: ")[1:]
        ]
        if not expected:
            _exec(code, namespace)
            continue
        with pytest.raises(WorkflowDefinitionError) as raised:
            _exec(code, namespace)
        assert str(raised.value) in expected
        raised_count += 1
    return raised_count


def test_nested_and_computed_field_cases_agree_with_the_runtime(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """typetests/test-nested.yml, issue 17.6: the runtime raises the plugin's text for a
    nested model named by its owner and for a routed @computed_field."""
    cases = yaml.safe_load((_TYPETESTS / "test-nested.yml").read_text())
    (case,) = [c for c in cases if c["case"] == "nested_models_named_by_owner_and_computed_fields"]
    module = types.ModuleType("nested_case")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    module.__dict__["__name__"] = module.__name__
    assert _run_statements(case["main"], module.__dict__) == 4


def test_local_nested_models_read_as_the_runtime_says(monkeypatch: pytest.MonkeyPatch) -> None:
    """typetests/test-nested.yml: a task class made in a function; its first workflow
    raises the plugin's first text (``__qualname__`` holds ``build.<locals>.``)."""
    cases = yaml.safe_load((_TYPETESTS / "test-nested.yml").read_text())
    (case,) = [c for c in cases if c["case"] == "nested_models_of_a_local_task_named_by_owner"]
    module = types.ModuleType("local_nested_case")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    module.__dict__["__name__"] = module.__name__
    _exec(case["main"], module.__dict__)
    first = case["main"].split("  # E: ")[1].split("  [")[0].replace('"', "")
    with pytest.raises(WorkflowDefinitionError) as raised:
        module.build()
    assert str(raised.value) == first


@pytest.mark.parametrize(
    ("case_name", "raising"),
    [
        ("job_configuration_checked_against_the_workflow", 8),
        ("job_configuration_gives_every_value_only_it_can_give", 5),
    ],
)
def test_job_configuration_checks_agree_with_the_runtime(case_name: str, raising: int) -> None:
    """typetests/test-job-configuration.yml: the key, value and missing-value checks raise
    the plugin's text at run time, and what the plugin accepts is accepted (issue 17.5).
    From the first dict the plugin cannot see (``values = ``) on, it is silent: not run."""
    cases = yaml.safe_load((_TYPETESTS / "test-job-configuration.yml").read_text())
    (case,) = [c for c in cases if c["case"] == case_name]
    visible = case["main"].split("\nvalues = ")[0]
    assert _run_statements(visible, {}) == raising
