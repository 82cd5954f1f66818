"""Resume: ``Runner.resume(job, run_dir)`` and ``taskmaestro run --resume RUN_DIR`` re-run a
failed job from its failed task, reusing the saved outputs of the tasks it completed, and
refuse another workflow or other inputs, naming each difference."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

import jsonschema
import pytest
from pydantic import BaseModel

from taskmaestro import (
    ExecutionContext,
    HookWarning,
    Job,
    JobConfiguration,
    JobStatus,
    ObjectModel,
    ResumeError,
    Runner,
    RunRecordError,
    RunRecordHook,
    Task,
    TaskStatus,
    Workflow,
    collect,
)
from taskmaestro._cli.app import main
from taskmaestro.hooks import BaseHook
from taskmaestro.hooks.run_files import SCHEMA_PATH
from taskmaestro.schema import cli_schema

from .helpers import AddOne, Double, Number
from .yaml_support import Scale

SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
CALLS: Counter[str] = Counter()
"""How many times each task class below ran."""


class Switch:
    """Whether ``Flaky`` fails: the failure of a first run, fixed before the resume."""

    failing: ClassVar[bool] = True


@pytest.fixture(autouse=True)
def _reset() -> None:
    CALLS.clear()
    Switch.failing = True


class Load(Task[Number, Number]):
    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        CALLS["load"] += 1
        return Number(value=input.value + 1)


class Flaky(Task[Number, Number]):
    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        CALLS["flaky"] += 1
        if Switch.failing:
            raise ConnectionError("the file server went away")
        return Number(value=input.value * 10)


class Report(Task[Number, Number]):
    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        CALLS["report"] += 1
        return Number(value=input.value + 5)


def pipeline(*tasks: type[Task[Any, Any]], name: str = "pipeline") -> Workflow[Any, Any]:
    return Workflow(name=name, tasks=list(tasks) or [Load, Flaky, Report])


def record_of(run_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, SCHEMA)
    return data


def failed_run(run_dir: Path, workflow: Workflow[Any, Any] | None = None, value: int = 1) -> None:
    """A first run of ``workflow`` (the pipeline) recorded in ``run_dir``, failing at Flaky."""
    job = Runner(hooks=[RunRecordHook(run_dir)]).run(
        Job(workflow or pipeline(), Number(value=value))
    )
    assert job.status is JobStatus.FAILED
    Switch.failing = False


def test_a_resume_reruns_from_the_failed_task_and_reuses_the_rest(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    failed_run(run_dir)
    first = record_of(run_dir)
    job = Runner().resume(Job(pipeline(), Number(value=1)), run_dir)
    assert job.status is JobStatus.COMPLETED
    assert job.result == Number(value=25)
    assert CALLS == {"load": 1, "flaky": 2, "report": 1}
    assert [(r.task_name, r.status) for r in job.task_results] == [
        ("load", TaskStatus.REUSED),
        ("flaky", TaskStatus.COMPLETED),
        ("report", TaskStatus.COMPLETED),
    ]
    assert job.task_results[0].output == Number(value=2)
    record = record_of(run_dir)
    assert record["status"] == "completed"
    assert record["job_id"] == job.id
    assert [entry["status"] for entry in record["tasks"].values()] == [
        "reused",
        "completed",
        "completed",
    ]
    # the reused task keeps what the run that computed it recorded
    assert record["tasks"]["load"]["job_id"] == first["job_id"]
    assert record["tasks"]["load"]["started_at"] == first["tasks"]["load"]["started_at"]
    assert record["history"] == [
        {
            "job_id": first["job_id"],
            "status": "failed",
            "started_at": first["started_at"],
            "completed_at": first["completed_at"],
            "failed_task": "flaky",
            "versions": first["versions"],
        }
    ]


class Events(BaseHook):
    def __init__(self) -> None:
        self.seen: list[tuple[str, ...]] = []

    def on_job_start(self, job: Job[Any, Any]) -> None:
        self.seen.append(("job_start",))

    def on_task_start(self, job: Job[Any, Any], task: Task[Any, Any]) -> None:
        self.seen.append(("task_start", task.name))

    def on_task_complete(self, job: Job[Any, Any], task: Task[Any, Any], output: BaseModel) -> None:
        result = job.task_results[-1]
        assert result.task_name == task.name
        assert result.output is output
        self.seen.append(("task_complete", task.name, result.status.value))

    def on_job_complete(self, job: Job[Any, Any]) -> None:
        self.seen.append(("job_complete",))


def test_hooks_see_reused_tasks_start_and_complete_in_order(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    failed_run(run_dir)
    events = Events()
    Runner(hooks=[events]).resume(Job(pipeline(), Number(value=1)), run_dir)
    assert events.seen == [
        ("job_start",),
        ("task_start", "load"),
        ("task_complete", "load", "reused"),
        ("task_start", "flaky"),
        ("task_complete", "flaky", "completed"),
        ("task_start", "report"),
        ("task_complete", "report", "completed"),
        ("job_complete",),
    ]


def test_a_resume_on_an_executor_reuses_the_same_tasks(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    failed_run(run_dir)
    with ThreadPoolExecutor(2) as pool:
        job = Runner(executor=pool).resume(Job(pipeline(), Number(value=1)), run_dir)
    assert job.result == Number(value=25)
    assert CALLS == {"load": 1, "flaky": 2, "report": 1}
    assert job.task_result("load") is not None
    assert job.task_results[0].status is TaskStatus.REUSED


def test_a_failing_resume_can_be_resumed_again(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    failed_run(run_dir)
    Switch.failing = True
    again = Runner().resume(Job(pipeline(), Number(value=1)), run_dir)
    assert again.status is JobStatus.FAILED
    assert record_of(run_dir)["tasks"]["load"]["status"] == "reused"
    Switch.failing = False
    job = Runner().resume(Job(pipeline(), Number(value=1)), run_dir)
    assert job.result == Number(value=25)
    assert CALLS == {"load": 1, "flaky": 3, "report": 1}
    assert [run["status"] for run in record_of(run_dir)["history"]] == ["failed", "failed"]


def test_resuming_a_completed_run_runs_nothing(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    Switch.failing = False
    Runner(hooks=[RunRecordHook(run_dir)]).run(Job(pipeline(), Number(value=1)))
    job = Runner().resume(Job(pipeline(), Number(value=1)), run_dir)
    assert job.result == Number(value=25)
    assert CALLS == {"load": 1, "flaky": 1, "report": 1}
    assert {r.status for r in job.task_results} == {TaskStatus.REUSED}


def test_a_record_hook_for_the_same_directory_is_not_doubled(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    failed_run(run_dir)
    # would warn "already holds the record" (an error under pytest) if it took part
    runner = Runner(hooks=[RunRecordHook(run_dir)])
    job = runner.resume(Job(pipeline(), Number(value=1)), run_dir)
    assert job.status is JobStatus.COMPLETED
    assert record_of(run_dir)["status"] == "completed"


# -- refusals ---------------------------------------------------------------------------------


def refusal(run_dir: Path, job: Job[Any, Any]) -> ResumeError:
    with pytest.raises(ResumeError) as refused:
        Runner().resume(job, run_dir)
    assert job.status is JobStatus.PENDING  # nothing ran: the job can still run
    assert refused.value.run_dir == str(run_dir)
    return refused.value


def test_other_inputs_are_refused_naming_the_field(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    failed_run(run_dir)
    error = refusal(run_dir, Job(pipeline(), Number(value=2)))
    assert error.differences == ("input field 'value' changed",)
    assert str(error) == (
        f"Cannot resume the run in {run_dir}: input field 'value' changed. Resume only with "
        "the workflow and inputs of that run, or start a new run"
    )
    assert CALLS == {"load": 1, "flaky": 1}


def scaled() -> Workflow[Any, Any]:
    return (
        Workflow.builder("scaled")
        .add_task(Load)
        .add_task(Scale, depends_on=Load, config_fields=["factor"])
        .add_task(Flaky, depends_on=Scale)
        .build()
    )


def test_another_configured_value_is_refused_naming_task_and_key(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    values = JobConfiguration({"scale": {"factor": 3}})
    Runner(hooks=[RunRecordHook(run_dir)]).run(
        Job(scaled(), Number(value=1), job_configuration=values)
    )
    other = JobConfiguration({"scale": {"factor": 4}})
    error = refusal(run_dir, Job(scaled(), Number(value=1), job_configuration=other))
    assert error.differences == ("job configuration of task 'scale': key 'factor' changed",)


def test_a_changed_workflow_is_refused_naming_each_difference(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    failed_run(run_dir)
    changed = (
        Workflow.builder("pipeline")
        .add_task(Load)
        .add_task(Double, name="flaky", depends_on=Load)
        .add_task(AddOne, depends_on="flaky")
        .build()
    )
    error = refusal(run_dir, Job(changed, Number(value=1)))
    assert error.differences == (
        "the result task is 'add_one', the run's 'report'",
        "task 'add_one' is new",
        "task 'report' is gone",
        "task 'flaky': its class is tests.helpers.Double, was tests.test_resume.Flaky",
    )


def test_a_changed_edge_is_named(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    failed_run(run_dir)
    rewired = (
        Workflow.builder("pipeline", result_task="report")
        .add_task(Load)
        .add_task(Flaky, depends_on=Load)
        .add_task(Report, depends_on=Load)
        .build()
    )
    error = refusal(run_dir, Job(rewired, Number(value=1)))
    assert error.differences == ("edge load -> report is new", "edge flaky -> report is gone")


def test_a_directory_without_a_record_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RunRecordError, match="not a run directory \\(no such directory\\)"):
        Runner().resume(Job(pipeline(), Number(value=1)), tmp_path / "missing")


def test_a_run_still_going_on_elsewhere_is_not_resumed(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    failed_run(run_dir)
    record = json.loads((run_dir / "run.json").read_text())
    record["status"] = "running"
    record["process"]["pid"] = os.getppid()  # alive, and not this process
    (run_dir / "run.json").write_text(json.dumps(record))
    error = refusal(run_dir, Job(pipeline(), Number(value=1)))
    assert error.differences == (f"the run is still running (process {os.getppid()})",)


# -- what is not reused --------------------------------------------------------------------------


class MakeLock(Task[Number, ObjectModel[threading.Lock]]):
    def run(self, input: Number, ctx: ExecutionContext) -> ObjectModel[threading.Lock]:
        CALLS["make_lock"] += 1
        return ObjectModel[threading.Lock](value=threading.Lock())


class UseLock(Task[ObjectModel[threading.Lock], Number]):
    def run(self, input: ObjectModel[threading.Lock], ctx: ExecutionContext) -> Number:
        CALLS["use_lock"] += 1
        return Number(value=7)


def test_an_unsaved_output_reruns_its_task_and_everything_downstream(tmp_path: Path) -> None:
    workflow = (
        Workflow.builder("locks")
        .add_task(Load)
        .add_task(MakeLock, depends_on=Load)
        .add_task(UseLock, depends_on=MakeLock)
        .add_task(Flaky, depends_on=UseLock)
        .build()
    )
    run_dir = tmp_path / "run"
    failed_run(run_dir, workflow)
    job = Runner().resume(Job(workflow, Number(value=1)), run_dir)
    assert job.result == Number(value=70)
    assert CALLS == {"load": 1, "make_lock": 2, "use_lock": 2, "flaky": 2}
    assert [r.status for r in job.task_results] == [
        TaskStatus.REUSED,
        TaskStatus.COMPLETED,
        TaskStatus.COMPLETED,
        TaskStatus.COMPLETED,
    ]


def test_a_damaged_output_file_reruns_its_task(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    failed_run(run_dir)
    (run_dir / "outputs" / "load.json").write_text('{"value": "not a number"}')
    job = Runner().resume(Job(pipeline(), Number(value=1)), run_dir)
    assert job.result == Number(value=25)
    assert CALLS == {"load": 2, "flaky": 2, "report": 1}


# -- the command line ---------------------------------------------------------------------------

WORKFLOW_FILE = """\
workflow:
  name: flaky_files
  tasks:
    - task: {module}.Count
    - task: {module}.Publish
      depends_on: {module}.Count
"""

TASKS_FILE = """\
from pathlib import Path

from pydantic import BaseModel

from taskmaestro import ExecutionContext, Task


class Words(BaseModel):
    words: int


def note(name: str) -> None:
    with open("calls.txt", "a") as calls:
        calls.write(name + "\\n")


class Count(Task[Words, Words]):
    def run(self, input: Words, ctx: ExecutionContext) -> Words:
        note("count")
        return Words(words=input.words + 1)


class Publish(Task[Words, Words]):
    def run(self, input: Words, ctx: ExecutionContext) -> Words:
        note("publish")
        if Path("server-down").exists():
            raise ConnectionError("the file server went away")
        return Words(words=input.words * 2)
"""


@pytest.fixture
def project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Path:
    """A YAML workflow, its task module (named for the test) and input, in the current folder."""
    module = f"flaky_files_{request.node.name.replace('[', '_').replace(']', '_')}"
    (tmp_path / f"{module}.py").write_text(TASKS_FILE)
    (tmp_path / "workflow.yaml").write_text(WORKFLOW_FILE.format(module=module))
    (tmp_path / "input.yaml").write_text("words: 3\n")
    (tmp_path / "server-down").write_text("")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def calls(project: Path) -> list[str]:
    return (project / "calls.txt").read_text().split()


def test_run_record_then_resume_on_the_command_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = main(["run", "workflow.yaml", "--input", "input.yaml", "--record", "runs/1", "-q"])
    assert first == 1
    assert record_of(project / "runs" / "1")["failed_task"] == "publish"
    (project / "server-down").unlink()
    capsys.readouterr()
    resumed = main(
        ["run", "workflow.yaml", "--input", "input.yaml", "--resume", "runs/1", "--json"]
    )
    assert resumed == 0
    document = json.loads(capsys.readouterr().out)
    jsonschema.validate(document, cli_schema())
    assert document["status"] == "completed"
    assert document["result"]["output"] == {"words": 8}
    assert document["result"]["job"]["tasks"]["count"]["status"] == "reused"
    assert calls(project) == ["count", "publish", "publish"]
    record = record_of(project / "runs" / "1")
    assert [entry["status"] for entry in record["tasks"].values()] == ["reused", "completed"]


def test_the_command_line_refuses_other_inputs_with_exit_2(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["run", "workflow.yaml", "input.yaml", "--record", "run", "-q"])
    (project / "input.yaml").write_text("words: 4\n")
    capsys.readouterr()
    status = main(["run", "workflow.yaml", "input.yaml", "--resume", "run", "--json"])
    assert status == 2
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    jsonschema.validate(document, cli_schema())
    assert document["status"] == "error"
    assert document["error"]["code"] == "taskmaestro-run-record"
    assert document["error"]["type"] == "ResumeError"
    assert [issue["message"] for issue in document["error"]["issues"]] == [
        "input field 'words' changed"
    ]
    assert "Cannot resume the run in run: input field 'words' changed" in captured.err
    assert calls(project) == ["count", "publish"]  # the refused resume ran nothing


def test_record_into_a_directory_holding_a_record_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["run", "workflow.yaml", "input.yaml", "--record", "run", "-q"])
    assert main(["run", "workflow.yaml", "input.yaml", "--record", "run", "-q"]) == 2
    assert "already holds the record of a run; continue it with '--resume run'" in (
        capsys.readouterr().err
    )
    assert calls(project) == ["count", "publish"]


def test_record_and_resume_cannot_be_given_together(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["run", "workflow.yaml", "--record", "a", "--resume", "b"])
    assert exited.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_hook_warnings_of_the_record_do_not_fail_a_run(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    Switch.failing = False
    with pytest.warns(HookWarning):
        job = Runner(hooks=[RunRecordHook(blocker)]).run(Job(pipeline(), Number(value=1)))
    assert job.status is JobStatus.COMPLETED


class LockInput(BaseModel):
    name: str
    lock: ObjectModel[threading.Lock]


class UseInputLock(Task[LockInput, Number]):
    def run(self, input: LockInput, ctx: ExecutionContext) -> Number:
        CALLS["use_input_lock"] += 1
        return Number(value=len(input.name))


def test_input_values_json_cannot_hold_are_compared_by_type(tmp_path: Path) -> None:
    workflow = (
        Workflow.builder("locked").add_task(UseInputLock).add_task(Flaky, depends_on=UseInputLock)
    ).build()

    def given(name: str) -> LockInput:
        return LockInput(name=name, lock=ObjectModel[threading.Lock](value=threading.Lock()))

    run_dir = tmp_path / "run"
    Runner(hooks=[RunRecordHook(run_dir)]).run(Job(workflow, given("abc")))
    Switch.failing = False
    job = Runner().resume(Job(workflow, given("abc")), run_dir)  # another lock, same type
    assert job.result == Number(value=30)
    assert CALLS == {"use_input_lock": 1, "flaky": 2}
    error = refusal(run_dir, Job(workflow, given("abcd")))
    assert error.differences == ("input field 'name' changed",)


CRASHING_SCRIPT = """\
import os
import sys

from taskmaestro import ExecutionContext, Job, Runner, RunRecordHook, Task, Workflow
from tests.helpers import AddOne, Number


class Crash(Task[Number, Number]):
    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        if os.environ.get("CRASH") == "1":
            os._exit(3)  # the process dies: no hook, no finally
        return Number(value=input.value * 100)


workflow = Workflow(name="crashing", tasks=[AddOne, Crash])
job = Job(workflow, Number(value=1))
if sys.argv[1] == "record":
    Runner(hooks=[RunRecordHook(sys.argv[2], interval_seconds=0)]).run(job)
else:
    print(Runner().resume(job, sys.argv[2]).result)
"""


def test_a_run_whose_process_died_is_resumed_from_its_last_recorded_state(
    tmp_path: Path,
) -> None:
    script = tmp_path / "crashing.py"
    script.write_text(CRASHING_SCRIPT)
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root), "CRASH": "1"}
    run_dir = tmp_path / "run"
    crashed = subprocess.run(
        [sys.executable, str(script), "record", str(run_dir)], env=env, check=False, timeout=120
    )
    assert crashed.returncode == 3
    record = record_of(run_dir)  # complete, as last written before the crash
    assert record["status"] == "running"
    assert {name: entry["status"] for name, entry in record["tasks"].items()} == {
        "add_one": "completed",
        "crash": "running",
    }
    env["CRASH"] = "0"
    resumed = subprocess.run(
        [sys.executable, str(script), "resume", str(run_dir)],
        env=env,
        check=False,
        timeout=120,
        capture_output=True,
        text=True,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.strip() == "value=200"
    record = record_of(run_dir)
    assert record["status"] == "completed"
    assert [entry["status"] for entry in record["tasks"].values()] == ["reused", "completed"]
    assert record["history"][0]["status"] == "running"


class Scores(BaseModel):
    values: dict[str, Number]


class Best(Task[Scores, Number]):
    def run(self, input: Scores, ctx: ExecutionContext) -> Number:
        CALLS["best"] += 1
        return Number(value=max(number.value for number in input.values.values()))


def collected(first: type[Task[Any, Any]], second: type[Task[Any, Any]]) -> Workflow[Any, Any]:
    builder = Workflow.builder(name="collected")
    one, two = builder.task(first), builder.task(second)
    best = builder.task(Best, values=collect(first=one, second=two))
    builder.task(Flaky, depends_on=best)
    return builder.build()


def test_collected_members_are_reused_and_a_swapped_member_is_named(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    failed_run(run_dir, collected(Load, Report))
    graph = record_of(run_dir)["workflow"]["graph"]["tasks"]
    assert graph["best"]["collections"] == {"values": "keyed"}
    assert graph["best"]["edges"] == [
        ["load", None, "values", "first"],
        ["report", None, "values", "second"],
    ]
    job = Runner().resume(Job(collected(Load, Report), Number(value=1)), run_dir)
    assert job.result == Number(value=60)
    assert CALLS == {"load": 1, "report": 1, "best": 1, "flaky": 2}
    error = refusal(run_dir, Job(collected(Report, Load), Number(value=1)))
    assert error.differences == (
        "edge report -> best.values['first'] is new",
        "edge load -> best.values['second'] is new",
        "edge load -> best.values['first'] is gone",
        "edge report -> best.values['second'] is gone",
    )
