"""The README's "YAML workflows" section: its example file loads and runs as written."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from taskmaestro import JobStatus, ResultPersistenceHook, load_workflow_from_yaml

README = Path(__file__).parent.parent / "README.md"
PIPELINE = Path(__file__).parent / "yaml_fixtures" / "text_analysis"


def yaml_blocks(section: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"### {section}")
    end = text.find("\n### ", start + 1)
    return re.findall(r"```yaml\n(.*?)```", text[start : end if end > 0 else None], re.S)


def test_the_workflow_file_example_runs(tmp_path: Path) -> None:
    example = yaml_blocks("The workflow file")[0]
    shutil.copy(PIPELINE / "pipeline.py", tmp_path / "pipeline.py")
    shutil.copy(PIPELINE / "input.yaml", tmp_path / "input.yaml")
    (tmp_path / "workflow.yaml").write_text(example, encoding="utf-8")

    loaded = load_workflow_from_yaml(tmp_path / "workflow.yaml", tmp_path / "input.yaml")
    assert loaded.workflow.result_task_name == "build_report"
    assert loaded.timeout_seconds == 60
    assert loaded.context.correlation_id == "nightly-run"
    persistence = loaded.runner.hooks[1]
    assert isinstance(persistence, ResultPersistenceHook)
    assert persistence.output_dir == tmp_path / "results"
    job = loaded.run()
    assert job.status is JobStatus.COMPLETED, job.error
    assert (tmp_path / "results" / "build_report.json").is_file()


READMODEL_TASKS = """
from pydantic import BaseModel

from taskmaestro import ExecutionContext, Task


class Grid(BaseModel):
    path: str
    cells: int


class LoadModel(Task):
    class Inputs(BaseModel):
        path: str

    def run(self, input: Inputs, ctx: ExecutionContext) -> Grid:
        return Grid(path=input.path, cells=10)

    Outputs = Grid


class Transform(Task):
    class Inputs(BaseModel):
        path: str
        cells: int
        scale_factor: float

    def run(self, input: Inputs, ctx: ExecutionContext) -> Grid:
        return Grid(path=input.path, cells=int(input.cells * input.scale_factor))

    Outputs = Grid
"""


def test_the_per_task_input_example_configures_undeclared_fields(tmp_path: Path) -> None:
    (tmp_path / "readme_grid_tasks.py").write_text(READMODEL_TASKS, encoding="utf-8")
    (tmp_path / "workflow.yaml").write_text(
        """
workflow:
  name: configured
  tasks:
    - task: readme_grid_tasks.LoadModel
    - task: readme_grid_tasks.Transform
      depends_on: load_model
""",
        encoding="utf-8",
    )
    (tmp_path / "input.yaml").write_text(yaml_blocks("The input file")[0], encoding="utf-8")

    loaded = load_workflow_from_yaml(tmp_path / "workflow.yaml", tmp_path / "input.yaml")
    nodes = loaded.workflow.graph.nodes
    assert nodes["load_model"].config_fields == ("path",)
    assert nodes["transform"].config_fields == ("scale_factor",)
    job = loaded.run()
    assert job.result is not None, job.error
    assert job.result.path == "/data/model.egrid"
    assert job.result.cells == 25
