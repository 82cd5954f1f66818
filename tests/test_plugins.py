"""Installed task packages found by name, through the command line and the Python API.

Two tiny packages are pip-installed into a throwaway virtual environment
(``plugin_venv``); every call runs there as a subprocess, so the entry points
are real package metadata. Every ``--json`` document is validated against the
shipped schema.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from taskmaestro.schema import cli_schema

from .plugin_venv import PluginVenv, make_plugin_venv

WORKFLOW = """\
workflow:
  name: plug
  tasks:
    - task: demo.add_one
      config_fields: [value]
    - task: demo.double
      depends_on: demo.add_one
"""

BROKEN = """\
workflow:
  name: plug
  tasks:
    - task: demo.add_one
      config_fields: [value]
    - task: demo.broken
    - task: demo.shared
    - task: demo.not_a_task
"""


@pytest.fixture(scope="module")
def plugins(tmp_path_factory: pytest.TempPathFactory) -> PluginVenv:
    return make_plugin_venv(tmp_path_factory.mktemp("plugins"))


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("plugin-files")
    (folder / "wf.yaml").write_text(WORKFLOW, encoding="utf-8")
    (folder / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    (folder / "input.yaml").write_text("add_one:\n  value: 3\n", encoding="utf-8")
    (folder / "partial.yaml").write_text("add_one: {}\n", encoding="utf-8")
    (folder / "bad_input.yaml").write_text("add_one:\n  value: secret-text\n", encoding="utf-8")
    return folder


def cli(plugins: PluginVenv, work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        plugins.command(*args),
        cwd=work,
        capture_output=True,
        text=True,
        timeout=60,
        env=plugins.env(),
        check=False,
    )


def document(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The one JSON document on stdout, checked against the shipped schema."""
    [line] = done.stdout.splitlines()
    data: dict[str, Any] = json.loads(line)
    jsonschema.validate(data, cli_schema())
    return data


def python(plugins: PluginVenv, work: Path, code: str) -> str:
    done = subprocess.run(
        [str(plugins.python), "-c", textwrap.dedent(code)],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=60,
        env=plugins.env(),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


# -- the Python API --------------------------------------------------------------------


def test_listings_read_metadata_only(plugins: PluginVenv, work: Path) -> None:
    out = python(
        plugins,
        work,
        """
        import sys
        from taskmaestro.discovery import registered_task_names, registered_workflow_names
        print(sorted(registered_task_names()))
        print(sorted(registered_workflow_names()))
        print([m for m in sys.modules if m.startswith("tm_demo")])
        """,
    )
    tasks, workflows, imported = out.splitlines()
    assert eval(tasks) == [
        "demo.add_one",
        "demo.broken",
        "demo.double",
        "demo.fail",
        "demo.not_a_task",
        "demo.shared",
        "other.echo",
    ]
    assert eval(workflows) == [
        "demo.broken",
        "demo.failing",
        "demo.not_a_workflow",
        "demo.pipeline",
    ]
    assert eval(imported) == []


def test_a_broken_plugin_fails_only_its_own_lookups(plugins: PluginVenv, work: Path) -> None:
    out = python(
        plugins,
        work,
        """
        from taskmaestro import ConfigLoadError
        from taskmaestro.discovery import (
            PluginLoadError, get_registered_task, get_registered_workflow,
            registered_tasks, registered_workflows,
        )
        print(sorted(registered_tasks()))
        print(sorted(registered_workflows()))
        print(get_registered_task("demo.add_one").__qualname__)
        print(get_registered_workflow("demo.pipeline").name)
        for name in ["demo.broken", "demo.not_a_task", "demo.shared", "nope"]:
            try:
                get_registered_task(name)
            except PluginLoadError as error:
                assert isinstance(error, ConfigLoadError) and error.name == name
                print(error)
        for name in ["demo.broken", "demo.not_a_workflow"]:
            try:
                get_registered_workflow(name)
            except PluginLoadError as error:
                print(error)
        """,
    )
    lines = out.splitlines()
    assert eval(lines[0]) == ["demo.add_one", "demo.double", "demo.fail", "other.echo"]
    assert eval(lines[1]) == ["demo.failing", "demo.pipeline"]
    assert lines[2:4] == ["AddOne", "demo_pipeline"]
    assert lines[4].startswith(
        "Cannot load task entry point 'demo.broken' (tm_demo_plugins.broken:Thing): "
        "RuntimeError: this plugin module is broken"
    )
    assert "'demo.not_a_task' must resolve to a Task subclass" in lines[5]
    assert "'demo.shared' is ambiguous" in lines[6]
    assert "tm_demo_plugins, tm_demo_other" in lines[6]
    assert lines[7].startswith("No task entry point named 'nope' is registered")
    assert "Cannot load workflow entry point 'demo.broken'" in lines[8]
    assert "'demo.not_a_workflow' must resolve to a Workflow" in lines[9]


def test_load_registered_workflow_binds_an_input_file(plugins: PluginVenv, work: Path) -> None:
    out = python(
        plugins,
        work,
        """
        from taskmaestro import ConfigLoadError
        from taskmaestro.loader import load_registered_workflow
        job = load_registered_workflow("demo.pipeline", "input.yaml").run()
        print(job.status.value, job.result.value)
        (open("extra.yaml", "w")).write("double:\\n  value: 1\\n")
        try:
            load_registered_workflow("demo.pipeline", "extra.yaml")
        except ConfigLoadError as error:
            print(error)
        """,
    )
    lines = out.splitlines()
    assert lines[0] == "add_one prints to stdout"
    assert lines[1] == "completed 8"
    assert lines[2].startswith("extra.yaml:2:3: Input validation error: 'value' is not a config")


# -- YAML files naming registered tasks --------------------------------------------------


def test_yaml_task_entries_accept_registered_identifiers(plugins: PluginVenv, work: Path) -> None:
    done = cli(plugins, work, "run", "wf.yaml", "input.yaml", "--json", "-q")

    assert done.returncode == 0, done.stderr
    data = document(done)
    assert data["status"] == "completed"
    assert data["result"]["output"] == {"value": 8}
    assert list(data["result"]["job"]["tasks"]) == ["add_one", "double"]
    assert "add_one prints to stdout" in done.stderr  # stdout holds the document only


def test_check_reports_each_broken_plugin_at_its_line(plugins: PluginVenv, work: Path) -> None:
    done = cli(plugins, work, "check", "broken.yaml", "-q")

    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        "broken.yaml:6:13",
        "broken.yaml:7:13",
        "broken.yaml:8:13",
    ]
    assert all(line.endswith("[taskmaestro-plugin]") for line in lines)
    assert "this plugin module is broken" in lines[0]
    assert "ambiguous" in lines[1]
    assert "must resolve to a Task subclass" in lines[2]

    data = document(cli(plugins, work, "check", "broken.yaml", "--json"))
    assert data["status"] == "invalid"
    [checked] = data["result"]["files"]
    assert [issue["line"] for issue in checked["issues"]] == [6, 7, 8]
    assert data["error"]["issues"] == checked["issues"]


# -- registered workflows by name --------------------------------------------------------


def test_run_validate_and_graph_a_registered_workflow(plugins: PluginVenv, work: Path) -> None:
    done = cli(plugins, work, "run", "demo.pipeline", "--input", "input.yaml", "-q")
    assert done.returncode == 0, done.stderr
    assert '"value": 8' in done.stdout

    valid = cli(plugins, work, "validate", "demo.pipeline", "input.yaml")
    assert valid.returncode == 0
    assert valid.stdout == "Workflow 'demo_pipeline' is valid\n"
    data = document(cli(plugins, work, "validate", "demo.pipeline", "input.yaml", "--json"))
    assert data == {
        "format": 1,
        "command": "validate",
        "status": "valid",
        "workflow": "demo_pipeline",
        "result": None,
        "error": None,
    }

    graph = document(cli(plugins, work, "graph", "demo.pipeline", "--json"))
    assert "add_one" in graph["result"]["mermaid"]


def test_a_failed_run_withholds_the_error_text(plugins: PluginVenv, work: Path) -> None:
    done = cli(plugins, work, "run", "demo.failing", "input.yaml", "--json", "-q")

    assert done.returncode == 1
    data = document(done)
    assert data["status"] == "failed"
    assert data["error"]["code"] == "taskmaestro-task-failed"
    assert data["error"]["task"] == "fail"
    assert data["error"]["type"] == "ValueError"
    assert "secret" not in done.stdout
    shown = document(
        cli(plugins, work, "run", "demo.failing", "input.yaml", "--json", "--show-values")
    )
    assert shown["error"]["message"] == "Task 'fail' failed: secret value 4"


@pytest.mark.parametrize(
    ("command", "name", "phrase"),
    [
        ("run", "demo.broken", "Cannot load workflow entry point 'demo.broken'"),
        ("validate", "nope", "No workflow entry point named 'nope'"),
        ("workflow describe", "demo.not_a_workflow", "must resolve to a Workflow"),
    ],
)
def test_an_unusable_workflow_name_is_a_plugin_error(
    plugins: PluginVenv, work: Path, command: str, name: str, phrase: str
) -> None:
    done = cli(plugins, work, *command.split(), name, "--json")

    assert done.returncode == 2
    data = document(done)
    assert data["command"] == command
    assert data["status"] == "error"
    assert data["error"]["code"] == "taskmaestro-plugin"
    assert data["error"]["type"] == "PluginLoadError"
    assert phrase in data["error"]["message"]
    assert phrase in done.stderr


# -- listings and descriptions -----------------------------------------------------------


def test_tasks_and_workflow_list(plugins: PluginVenv, work: Path) -> None:
    text = cli(plugins, work, "tasks", "list")
    assert text.returncode == 0
    assert text.stdout.splitlines() == [
        "demo.add_one",
        "demo.broken",
        "demo.double",
        "demo.fail",
        "demo.not_a_task",
        "demo.shared  (ambiguous: tm_demo_plugins, tm_demo_other)",
        "other.echo",
    ]
    data = document(cli(plugins, work, "tasks", "list", "--json"))
    shared = next(item for item in data["result"]["tasks"] if item["name"] == "demo.shared")
    assert shared == {
        "name": "demo.shared",
        "ambiguous": True,
        "distributions": ["tm_demo_plugins", "tm_demo_other"],
    }
    workflows = document(cli(plugins, work, "workflow", "list", "--json"))
    assert [item["name"] for item in workflows["result"]["workflows"]] == [
        "demo.broken",
        "demo.failing",
        "demo.not_a_workflow",
        "demo.pipeline",
    ]


def test_tasks_describe(plugins: PluginVenv, work: Path) -> None:
    data = document(cli(plugins, work, "tasks", "describe", "demo.add_one", "--json"))

    descriptor = data["result"]
    assert descriptor["id"] == "demo.add_one"
    assert descriptor["name"] == "add_one"
    assert descriptor["python_type"] == "tm_demo_plugins.AddOne"
    assert descriptor["description"] == "Adds one to the value."
    assert descriptor["input_schema"]["required"] == ["value"]

    broken = cli(plugins, work, "tasks", "describe", "demo.broken", "--json")
    assert broken.returncode == 2
    assert document(broken)["error"]["code"] == "taskmaestro-plugin"
    assert broken.stderr.startswith("Plugin error: Cannot load task entry point 'demo.broken'")


def test_workflow_describe_with_a_partial_input(plugins: PluginVenv, work: Path) -> None:
    full = document(cli(plugins, work, "workflow", "describe", "wf.yaml", "--json"))
    assert full["result"]["source"] == {"kind": "yaml", "path": str(work / "wf.yaml")}
    add_one, double = full["result"]["tasks"]
    assert add_one["task"]["id"] == "demo.add_one"
    assert add_one["provided_config_fields"] is None
    assert double["depends_on"] == {"kind": "output", "task": "add_one"}

    partial = cli(plugins, work, "workflow", "describe", "demo.pipeline", "partial.yaml", "--json")
    assert partial.returncode == 0, partial.stderr
    data = document(partial)
    assert data["result"]["source"] == {"kind": "entry_point", "name": "demo.pipeline"}
    add_one = data["result"]["tasks"][0]
    assert add_one["provided_config_fields"] == []
    assert add_one["missing_config_fields"] == ["value"]
    assert add_one["config_values"] is None

    given = document(
        cli(plugins, work, "workflow", "describe", "demo.pipeline", "input.yaml", "--json")
    )
    assert given["result"]["tasks"][0]["missing_config_fields"] == []
    assert given["result"]["tasks"][0]["config_values"] is None  # values only when asked
    shown = document(
        cli(
            plugins,
            work,
            "workflow",
            "describe",
            "demo.pipeline",
            "input.yaml",
            "--json",
            "--show-values",
        )
    )
    assert shown["result"]["tasks"][0]["config_values"] == {"value": 3}


def test_input_values_stay_out_of_the_document(plugins: PluginVenv, work: Path) -> None:
    done = cli(plugins, work, "validate", "wf.yaml", "bad_input.yaml", "--json")

    assert done.returncode == 2
    data = document(done)
    assert data["status"] == "invalid"
    [issue] = data["error"]["issues"]
    assert issue["code"] == "taskmaestro-input"
    assert (issue["file"], issue["line"], issue["column"]) == ("bad_input.yaml", 2, 10)
    assert (issue["task"], issue["field"]) == ("add_one", "value")
    assert "secret" not in done.stdout
    shown = document(
        cli(plugins, work, "validate", "wf.yaml", "bad_input.yaml", "--json", "--show-values")
    )
    assert "Input should be a valid integer" in shown["error"]["issues"][0]["message"]


def test_the_discovery_names_are_exported_lazily() -> None:
    import taskmaestro
    from taskmaestro import discovery, loader

    for name in [
        "PluginLoadError",
        "TASK_ENTRY_POINT_GROUP",
        "WORKFLOW_ENTRY_POINT_GROUP",
        "get_registered_task",
        "get_registered_workflow",
        "registered_task_names",
        "registered_tasks",
        "registered_workflow_names",
        "registered_workflows",
    ]:
        assert name in taskmaestro.__all__
        assert getattr(taskmaestro, name) is getattr(discovery, name)
    assert taskmaestro.load_registered_workflow is loader.load_registered_workflow
    assert taskmaestro.TASK_ENTRY_POINT_GROUP == "taskmaestro.tasks"
    assert taskmaestro.WORKFLOW_ENTRY_POINT_GROUP == "taskmaestro.workflows"
    assert issubclass(taskmaestro.PluginLoadError, taskmaestro.ConfigLoadError)
