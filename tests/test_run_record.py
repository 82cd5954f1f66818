"""The run record: RunRecordHook's run.json (checked against its shipped JSON Schema), the
saved outputs, its rewrites during the run, and ``taskmaestro runs show``."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel

from taskmaestro import (
    ExecutionContext,
    HookWarning,
    Job,
    JobConfiguration,
    ObjectModel,
    Runner,
    RunRecordHook,
    Task,
    Workflow,
)
from taskmaestro._cli.app import main
from taskmaestro.hooks import BaseHook
from taskmaestro.hooks.run_files import SCHEMA_PATH, describe_graph, digest, read_run_record
from taskmaestro.schema import cli_schema

from .helpers import AddOne, Boom, Double, Number
from .yaml_support import Scale

SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def record_of(run_dir: Path) -> dict[str, Any]:
    """The record in ``run_dir``, after checking it against the shipped schema."""
    data: dict[str, Any] = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return data


def chain(*tasks: type[Task[Any, Any]], name: str = "chain") -> Workflow[Any, Any]:
    return Workflow(name=name, tasks=list(tasks))


def test_the_shipped_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_a_completed_run_is_recorded_with_every_task_and_its_saved_output(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    job = Runner(hooks=[RunRecordHook(run_dir)]).run(Job(chain(AddOne, Double), Number(value=1)))
    record = record_of(run_dir)
    assert record["status"] == "completed"
    assert record["job_id"] == job.id
    assert record["workflow"]["name"] == "chain"
    assert record["workflow"]["digest"] == digest(describe_graph(job.workflow.graph))
    tasks = record["workflow"]["graph"]["tasks"]
    assert tasks["double"]["edges"] == [["add_one", None, None, None]]
    assert tasks["add_one"]["class"] == "tests.helpers.AddOne"
    assert set(record["versions"]) == {"python", "pydantic", "taskmaestro"}
    assert record["versions"]["taskmaestro"] == "0.1.0"
    assert list(record["tasks"]) == ["add_one", "double"]
    for name, value in (("add_one", 2), ("double", 4)):
        entry = record["tasks"][name]
        assert entry["status"] == "completed"
        assert entry["attempts"] == 1
        assert entry["cache_hit"] is False
        assert entry["error"] is None
        assert entry["job_id"] == job.id
        assert entry["output"] == {"saved": True, "file": f"outputs/{name}.json", "reason": None}
        saved = Number.model_validate_json((run_dir / entry["output"]["file"]).read_text())
        assert saved == Number(value=value)
    assert record["failed_task"] is None
    assert record["error"] is None
    assert record["history"] == []
    assert record["duration_seconds"] >= 0
    assert not list(run_dir.glob("**/*.tmp"))  # every write was completed and renamed


def test_a_failed_run_names_the_task_its_error_and_the_tasks_not_run(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    job = Runner(hooks=[RunRecordHook(run_dir)]).run(
        Job(chain(AddOne, Boom, Double), Number(value=1))
    )
    record = record_of(run_dir)
    assert record["status"] == "failed"
    assert record["failed_task"] == "boom"
    assert record["error"] == {"type": "ValueError", "message": "boom"}
    failed = record["tasks"]["boom"]
    assert failed["status"] == "failed"
    assert failed["error"] == {"type": "ValueError", "message": "boom"}
    assert failed["output"]["saved"] is False
    assert not (run_dir / "outputs" / "boom.json").exists()
    assert record["tasks"]["double"]["status"] == "not_run"
    assert record["tasks"]["add_one"]["status"] == "completed"
    assert job.error == "boom"


def test_inputs_are_digested_per_key_without_their_values(tmp_path: Path) -> None:
    workflow = (
        Workflow.builder("scaled")
        .add_task(AddOne)
        .add_task(Scale, depends_on=AddOne, config_fields=["factor"])
    )
    job = Job(
        workflow.build(),
        Number(value=12345),
        job_configuration=JobConfiguration({"scale": {"factor": 67890}}),
    )
    run_dir = tmp_path / "run"
    Runner(hooks=[RunRecordHook(run_dir)]).run(job)
    text = (run_dir / "run.json").read_text()
    assert "12345" not in text
    assert "67890" not in text
    inputs = record_of(run_dir)["inputs"]
    assert inputs["config"]["model"] == "tests.helpers.Number"
    assert list(inputs["config"]["fields"]) == ["value"]
    assert list(inputs["job_configuration"]) == ["scale"]
    assert list(inputs["job_configuration"]["scale"]) == ["factor"]
    assert record_of(run_dir)["tasks"]["scale"]["output"]["saved"] is True


def test_the_workflow_digest_is_stable_and_changes_with_an_edge() -> None:
    first = digest(describe_graph(chain(AddOne, Double).graph))
    assert first == digest(describe_graph(chain(AddOne, Double).graph))
    assert first != digest(describe_graph(chain(Double, AddOne).graph))
    assert first != digest(describe_graph(chain(AddOne, Double, name="other").graph))


class MakeLock(Task[Number, ObjectModel[threading.Lock]]):
    def run(self, input: Number, ctx: ExecutionContext) -> ObjectModel[threading.Lock]:
        return ObjectModel[threading.Lock](value=threading.Lock())


def test_an_object_model_output_is_not_saved_and_the_record_says_why(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    Runner(hooks=[RunRecordHook(run_dir)]).run(Job(chain(MakeLock), Number(value=1)))
    output = record_of(run_dir)["tasks"]["make_lock"]["output"]
    assert output["saved"] is False
    assert output["file"] is None
    assert "ObjectModel" in output["reason"]
    assert not (run_dir / "outputs" / "make_lock.json").exists()


class Snapshots(BaseHook):
    """Reads run.json as each task starts or ends: what a crash at that moment would leave."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.seen: list[tuple[str, str, dict[str, str]]] = []

    def _look(self, event: str, task: Task[Any, Any]) -> None:
        record = record_of(self.run_dir)
        statuses = {name: entry["status"] for name, entry in record["tasks"].items()}
        self.seen.append((event, task.name, statuses))

    def on_task_start(self, job: Job[Any, Any], task: Task[Any, Any]) -> None:
        self._look("start", task)

    def on_task_complete(self, job: Job[Any, Any], task: Task[Any, Any], output: BaseModel) -> None:
        self._look("complete", task)


def test_the_record_is_rewritten_at_every_event_so_a_crash_leaves_the_last_state(
    tmp_path: Path,
) -> None:
    run_dir = tmp_path / "run"
    snapshots = Snapshots(run_dir)
    hooks = [RunRecordHook(run_dir, interval_seconds=0), snapshots]
    Runner(hooks=hooks).run(Job(chain(AddOne, Double), Number(value=1)))
    assert snapshots.seen == [
        ("start", "add_one", {"add_one": "running", "double": "pending"}),
        ("complete", "add_one", {"add_one": "completed", "double": "pending"}),
        ("start", "double", {"add_one": "completed", "double": "running"}),
        ("complete", "double", {"add_one": "completed", "double": "completed"}),
    ]
    assert record_of(run_dir)["status"] == "completed"


def test_rewrites_closer_than_the_interval_wait_and_the_end_is_always_written(
    tmp_path: Path,
) -> None:
    run_dir = tmp_path / "run"
    snapshots = Snapshots(run_dir)
    hooks = [RunRecordHook(run_dir, interval_seconds=3600), snapshots]
    Runner(hooks=hooks).run(Job(chain(AddOne, Double), Number(value=1)))
    # Within the interval only the first state was written (the job's start) ...
    assert {tuple(statuses.values()) for _, _, statuses in snapshots.seen} == {
        ("pending", "pending")
    }
    # ... and the job's end is written at once, its pending rewrite cancelled.
    record = record_of(run_dir)
    assert record["status"] == "completed"
    assert [entry["status"] for entry in record["tasks"].values()] == ["completed", "completed"]
    assert not [t for t in threading.enumerate() if isinstance(t, threading.Timer)]


def test_a_directory_holding_a_record_is_never_overwritten(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    Runner(hooks=[RunRecordHook(run_dir)]).run(Job(chain(AddOne), Number(value=1)))
    before = (run_dir / "run.json").read_text()
    with pytest.warns(HookWarning, match="already holds the record of a run"):
        job = Runner(hooks=[RunRecordHook(run_dir)]).run(Job(chain(Double), Number(value=5)))
    assert job.status == "completed"
    assert (run_dir / "run.json").read_text() == before


def test_a_record_that_cannot_be_written_never_breaks_the_job(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.warns(HookWarning, match="RunRecordHook raised during job_start"):
        job = Runner(hooks=[RunRecordHook(blocker / "run")]).run(
            Job(chain(AddOne), Number(value=1))
        )
    assert job.status == "completed"
    assert job.result == Number(value=2)


def test_a_parallel_run_is_recorded_the_same_way(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    with ThreadPoolExecutor(2) as pool:
        Runner(hooks=[RunRecordHook(run_dir)], executor=pool).run(
            Job(chain(AddOne, Double), Number(value=1))
        )
    record = record_of(run_dir)
    assert record["status"] == "completed"
    assert [entry["status"] for entry in record["tasks"].values()] == ["completed", "completed"]


def test_interval_must_not_be_negative(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="interval_seconds must be 0 or more"):
        RunRecordHook(tmp_path, interval_seconds=-1)


# -- taskmaestro runs show -------------------------------------------------------------------


@pytest.fixture
def failed_run(tmp_path: Path) -> Path:
    run_dir = tmp_path / "run"
    Runner(hooks=[RunRecordHook(run_dir)]).run(Job(chain(AddOne, Boom, Double), Number(value=1)))
    return run_dir


def test_runs_show_prints_the_run_and_each_task(
    failed_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["runs", "show", str(failed_run)]) == 0
    text = capsys.readouterr().out
    record = read_run_record(failed_run)
    assert f"workflow: chain ({record['workflow']['digest']})" in text
    assert "status: failed in" in text
    assert "failed task: boom" in text
    assert "error: ValueError: boom" in text
    assert f"versions: python {record['versions']['python']}" in text
    lines = text.splitlines()
    tasks = lines[lines.index("tasks:") + 1 :]
    assert [line.split()[:2] for line in tasks] == [
        ["add_one", "completed"],
        ["boom", "failed"],
        ["double", "not_run"],
    ]


def test_runs_show_json_is_the_envelope_with_the_record(
    failed_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["runs", "show", str(failed_run), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    jsonschema.validate(document, cli_schema())
    assert document["command"] == "runs show"
    assert document["status"] == "ok"
    assert document["workflow"] == "chain"
    record = document["result"]["record"]
    jsonschema.validate(record, SCHEMA)
    assert document["result"]["run_dir"] == str(failed_run)
    # without --show-values an error message (it may quote an input) is its type's name
    assert record["tasks"]["boom"]["error"] == {"type": "ValueError", "message": "ValueError"}
    assert record["error"]["message"] == "ValueError"

    assert main(["runs", "show", str(failed_run), "--json", "--show-values"]) == 0
    shown = json.loads(capsys.readouterr().out)["result"]["record"]
    assert shown["tasks"]["boom"]["error"]["message"] == "boom"


def test_runs_show_of_a_folder_without_a_record_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["runs", "show", str(tmp_path), "--json"]) == 2
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    jsonschema.validate(document, cli_schema())
    assert document["status"] == "error"
    assert document["error"]["code"] == "taskmaestro-run-record"
    assert "holds no run.json" in document["error"]["message"]
    assert "not a run directory" in captured.err


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{", "not a JSON document"),
        ('{"format": 99}', "its format is 99"),
        ('{"format": 1, "workflow": {}}', "'inputs' is missing"),
    ],
)
def test_a_damaged_record_is_named_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, problem: str
) -> None:
    (tmp_path / "run.json").write_text(content)
    assert main(["runs", "show", str(tmp_path)]) == 2
    assert problem in capsys.readouterr().err
