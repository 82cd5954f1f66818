"""``--json`` on every command: one document on stdout, valid against the shipped schema.

Whatever happens (success, a file's problems, wrong arguments, Ctrl-C), stdout
holds exactly one JSON line and everything else goes to stderr.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from taskmaestro import workflow_schema
from taskmaestro.schema import CLI_SCHEMA_PATH, cli_schema

MODULE = [sys.executable, "-m", "taskmaestro"]

TASKS = """
import time

from pydantic import BaseModel

from taskmaestro import ExecutionContext, Task


class Number(BaseModel):
    value: int


class Text(BaseModel):
    text: str


class AddOne(Task[Number, Number]):
    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        print("noise on stdout")
        return Number(value=input.value + 1)


class Double(Task[Number, Number]):
    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        return Number(value=input.value * 2)


class Shout(Task[Text, Text]):
    def run(self, input: Text, ctx: ExecutionContext) -> Text:
        return input


class Pair(BaseModel):
    a: int
    b: int


class Add(Task[Pair, Number]):
    def run(self, input: Pair, ctx: ExecutionContext) -> Number:
        return Number(value=input.a + input.b)


class Nap(Task[Number, Number]):
    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        print("napping", flush=True)
        time.sleep(30)
        return input
"""

FILES = {
    "jsontasks.py": TASKS,
    "math.yaml": """\
workflow:
  name: math
  tasks:
    - task: jsontasks.AddOne
      config_fields: [value]
    - task: jsontasks.Double
      depends_on: add_one
""",
    "input.yaml": "add_one:\n  value: 5\n",
    "wrong.yaml": """\
workflow:
  name: wrong
  tasks:
    - task: jsontasks.AddOne
      config_fields: [value]
    - task: jsontasks.Shout
      depends_on: add_one
    - task: jsontasks.Double
      depends_on: [add_one, nope]
""",
    "uncovered.yaml": """\
workflow:
  name: uncovered
  tasks:
    - task: jsontasks.AddOne
      config_fields: [value]
    - task: jsontasks.Add
      depends_on:
        a: [add_one, value]
""",
    "nap.yaml": """\
workflow:
  name: nap
  tasks:
    - task: jsontasks.Nap
      config_fields: [value]
""",
    "nap_input.yaml": "nap:\n  value: 1\n",
}


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli-json")
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def cli(work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MODULE, *args], cwd=work, capture_output=True, text=True, timeout=60, check=False
    )


def document(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The one JSON line on stdout, checked against the shipped schema."""
    [line] = done.stdout.splitlines()
    data: dict[str, Any] = json.loads(line)
    jsonschema.validate(data, cli_schema())
    return data


def test_the_shipped_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(cli_schema())
    assert CLI_SCHEMA_PATH.name == "cli.schema.json"
    assert CLI_SCHEMA_PATH.parent.name == "taskmaestro"


def test_run_keeps_stdout_for_the_document(work: Path) -> None:
    done = cli(work, "run", "math.yaml", "input.yaml", "--json", "-q")

    assert done.returncode == 0, done.stderr
    data = document(done)
    assert (data["command"], data["status"], data["workflow"]) == ("run", "completed", "math")
    assert data["result"]["output"] == {"value": 12}
    assert "noise on stdout" in done.stderr


def test_validate_and_check_report_every_wiring_problem(work: Path) -> None:
    done = cli(work, "validate", "wrong.yaml", "--json")

    assert done.returncode == 2
    data = document(done)
    assert data["status"] == "invalid"
    issues = data["error"]["issues"]
    assert [(i["line"], i["code"], i["task"]) for i in issues] == [
        (7, "taskmaestro-type", "shout"),  # the core's first problem first
        (3, "taskmaestro-result", None),  # two sinks (shout, double), no result_task
        (9, "taskmaestro-route", "double"),
    ]
    assert data["error"]["code"] == "taskmaestro-type"
    assert data["error"]["type"] == "ConfigLoadError"
    assert all(issue["file"] == "wrong.yaml" for issue in issues)
    text = cli(work, "validate", "wrong.yaml")
    assert text.returncode == 2
    assert text.stdout == ""
    assert len(text.stderr.splitlines()) == 3

    checked = cli(work, "check", "wrong.yaml", "math.yaml", "input.yaml", "--json")
    assert checked.returncode == 1
    data = document(checked)
    assert [(f["workflow"], f["input"], f["status"]) for f in data["result"]["files"]] == [
        ("wrong.yaml", None, "invalid"),
        ("math.yaml", "input.yaml", "valid"),
    ]
    assert [issue["line"] for issue in data["error"]["issues"]] == [7, 3, 9]


def test_validate_a_good_file(work: Path) -> None:
    assert cli(work, "validate", "math.yaml", "input.yaml").stdout == "Workflow 'math' is valid\n"
    data = document(cli(work, "validate", "math.yaml", "--input", "input.yaml", "--json"))
    assert (data["status"], data["workflow"], data["error"]) == ("valid", "math", None)
    both = cli(work, "validate", "math.yaml", "input.yaml", "--input", "input.yaml", "--json")
    assert both.returncode == 2
    assert "give the input file once" in document(both)["error"]["message"]


def test_graph_schema_and_check_documents(work: Path) -> None:
    graph = document(cli(work, "graph", "math.yaml", "--json"))
    assert graph["workflow"] == "math"
    assert "add_one" in graph["result"]["mermaid"]
    assert document(cli(work, "schema", "--json"))["result"] == workflow_schema()
    assert document(cli(work, "schema", "--cli", "--json"))["result"] == cli_schema()
    assert json.loads(cli(work, "schema", "--cli").stdout) == cli_schema()
    good = document(cli(work, "check", "math.yaml", "input.yaml", "--json"))
    assert (good["status"], good["error"]) == ("valid", None)


def test_describe_a_yaml_workflow(work: Path) -> None:
    data = document(cli(work, "workflow", "describe", "math.yaml", "--json"))

    result = data["result"]
    assert result["source"] == {"kind": "yaml", "path": str(work / "math.yaml")}
    assert [task["name"] for task in result["tasks"]] == ["add_one", "double"]
    add_one, double = result["tasks"]
    assert add_one["task"]["python_type"] == "jsontasks.AddOne"
    assert add_one["task"]["id"] is None  # not a registered task
    assert add_one["required_input_fields"] == ["value"]
    assert double["depends_on"] == {"kind": "output", "task": "add_one"}
    text = cli(work, "workflow", "describe", "math.yaml")
    assert json.loads(text.stdout) == result


def test_an_empty_list_is_a_document_too(work: Path) -> None:
    tasks = document(cli(work, "tasks", "list", "--json"))
    workflows = document(cli(work, "workflow", "list", "--json"))
    assert isinstance(tasks["result"]["tasks"], list)
    assert isinstance(workflows["result"]["workflows"], list)


@pytest.mark.parametrize(
    ("arguments", "command"),
    [
        (["run", "--json"], "run"),
        (["tasks", "bogus", "--json"], "tasks"),
        (["--json"], ""),
        (["workflow", "describe", "--json", "--nope", "math.yaml"], "workflow describe"),
    ],
)
def test_wrong_arguments_give_a_document_too(
    work: Path, arguments: list[str], command: str
) -> None:
    done = cli(work, *arguments)

    assert done.returncode == 2
    data = document(done)
    assert (data["command"], data["status"]) == (command, "error")
    assert data["error"]["code"] == "taskmaestro-usage"
    assert "usage:" in done.stderr


def test_a_missing_file_is_a_located_issue(work: Path) -> None:
    done = cli(work, "run", "missing.yaml", "--json")

    assert done.returncode == 2
    [issue] = document(done)["error"]["issues"]
    assert (issue["file"], issue["line"], issue["code"]) == (
        "missing.yaml",
        None,
        "taskmaestro-file",
    )


def test_ctrl_c_gives_the_interrupted_document(work: Path) -> None:
    process = subprocess.Popen(
        [*MODULE, "run", "nap.yaml", "nap_input.yaml", "--json", "-q"],
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    deadline = time.monotonic() + 30
    line = ""
    while "napping" not in line and time.monotonic() < deadline:
        line = process.stderr.readline()
    process.send_signal(signal.SIGINT)
    stdout, _ = process.communicate(timeout=30)

    assert process.returncode == 130
    data = json.loads(stdout)
    jsonschema.validate(data, cli_schema())
    assert (data["status"], data["error"]["code"]) == ("interrupted", "taskmaestro-interrupted")


def test_tasks_describe_a_dotted_path(work: Path) -> None:
    data = document(cli(work, "tasks", "describe", "jsontasks.AddOne", "--json"))

    assert data["result"]["id"] is None  # not registered by any package
    assert data["result"]["python_type"] == "jsontasks.AddOne"
    assert data["result"]["output_schema"]["required"] == ["value"]
    missing = cli(work, "tasks", "describe", "jsontasks.Nope", "--json")
    assert missing.returncode == 2
    error = document(missing)["error"]
    assert (error["code"], error["type"]) == ("taskmaestro-plugin", "PluginLoadError")
    assert "has no attribute 'Nope'" in error["message"]
    not_task = document(cli(work, "tasks", "describe", "jsontasks.Number", "--json"))
    assert "is not a concrete Task subclass" in not_task["error"]["message"]


def test_job_problems_keep_their_value_free_message(work: Path) -> None:
    (work / "partial.yaml").write_text("double: {}\n", encoding="utf-8")
    done = cli(work, "validate", "math.yaml", "partial.yaml", "--json")

    assert done.returncode == 2
    [issue] = document(done)["error"]["issues"]
    assert issue["task"] == "add_one"
    assert issue["file"] == "partial.yaml"
    assert "withheld" not in issue["message"]
    assert "'add_one'" in issue["message"]


def test_task_and_fields_come_from_the_errors_not_their_messages(work: Path) -> None:
    missing = document(cli(work, "validate", "uncovered.yaml", "--json"))["error"]
    assert (missing["code"], missing["task"], missing["field"], missing["fields"]) == (
        "taskmaestro-missing-input",
        "add",
        "b",
        ["b"],
    )
    (work / "bad_value.yaml").write_text("add_one:\n  value: many\n", encoding="utf-8")
    value = document(cli(work, "validate", "math.yaml", "bad_value.yaml", "--json"))["error"]
    [issue] = value["issues"]
    assert (issue["code"], issue["task"], issue["fields"]) == (
        "taskmaestro-input",
        "add_one",
        ["value"],
    )
    assert "withheld" in issue["message"]  # the value is not shown, its task and field are


def test_the_workflow_is_named_once_the_file_got_that_far(work: Path) -> None:
    (work / "late.yaml").write_text(
        "workflow:\n  name: late\n  tasks:\n    - task: jsontasks.AddOne\n"
        "runner:\n  timeout_seconds: -1\n",
        encoding="utf-8",
    )
    (work / "unparsable.yaml").write_text("workflow: [\n", encoding="utf-8")
    late = document(cli(work, "validate", "late.yaml", "--json"))
    assert (late["status"], late["workflow"]) == ("invalid", "late")
    assert document(cli(work, "graph", "late.yaml", "--json"))["workflow"] == "late"
    unparsable = document(cli(work, "validate", "unparsable.yaml", "--json"))
    assert (unparsable["workflow"], unparsable["error"]["code"]) == (
        None,
        "taskmaestro-yaml-syntax",
    )
