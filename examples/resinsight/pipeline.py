"""ResInsight completions: perforate two well paths and export their completions.

    pip install -e ".[resinsight]"                   # the rips gRPC client
    python examples/resinsight/pipeline.py           # run through the Python API
    python examples/resinsight/pipeline.py --yaml    # run through workflow.yaml
    python examples/resinsight/pipeline.py --mermaid # print the diagram

It needs a running ResInsight with its gRPC server enabled; without one the
job fails at the `connect` task with a message that says so.

The gRPC handles (the ResInsight instance, its project, the grid case, well
paths) are not Pydantic models: ObjectModel[...] carries them between tasks.
Paths and measured depths come from a JobConfiguration (per task instance,
through config_fields); LoadWellPath and AddPerforation each appear twice,
under their own instance names.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import rips
import yaml
from pydantic import BaseModel

from taskmaestro import (
    EmptyConfig,
    ExecutionContext,
    Job,
    JobConfiguration,
    ObjectModel,
    Runner,
    Task,
    Workflow,
)

HERE = Path(__file__).resolve().parent

# --- Models ----------------------------------------------------------------

ResInsight = ObjectModel[rips.Instance]
GridCase = ObjectModel[rips.Reservoir]
WellPath = ObjectModel[rips.WellPath]


class ConnectSettings(BaseModel):
    """Where to look for ResInsight's gRPC server (ports start_port..end_port-1)."""

    start_port: int = 50051
    end_port: int = 50071


class LoadModelInput(ObjectModel[rips.Instance]):
    path: str


class LoadedModel(BaseModel):
    """The grid case, and the project to import well paths into."""

    case: GridCase
    project: ObjectModel[rips.Project]


class LoadWellPathInput(LoadedModel):
    well_path_file: str


class LoadedWellPath(BaseModel):
    well_path: WellPath


class AddPerforationInput(ObjectModel[rips.WellPath]):
    start_md: float
    end_md: float
    diameter: float = 0.216
    skin_factor: float = 0.0


class PerforatedWell(BaseModel):
    well_name: str
    start_md: float
    end_md: float


class ExportInput(BaseModel):
    case: GridCase
    well_1: PerforatedWell
    well_2: PerforatedWell
    export_folder: str
    time_step: int = 0


class ExportedCompletions(BaseModel):
    folder: str
    wells: list[str]


# --- Tasks -----------------------------------------------------------------


class Connect(Task[ConnectSettings, ResInsight]):
    def run(self, input: ConnectSettings, ctx: ExecutionContext) -> ResInsight:
        try:
            instance = rips.Instance.find(start_port=input.start_port, end_port=input.end_port)
        except rips.RipsError as error:
            raise ConnectionError(
                f"{error}; start ResInsight with its gRPC server enabled "
                "(or set RESINSIGHT_GRPC_PORT to the port it listens on)"
            ) from error
        ctx.logger.info("connected to ResInsight %s", instance.version_string())
        return ResInsight(value=instance)


class LoadModel(Task[LoadModelInput, LoadedModel]):
    def run(self, input: LoadModelInput, ctx: ExecutionContext) -> LoadedModel:
        project = input.value.project
        case = project.load_case(input.path)
        return LoadedModel(
            case=GridCase(value=case), project=ObjectModel[rips.Project](value=project)
        )


class LoadWellPath(Task[LoadWellPathInput, LoadedWellPath]):
    def run(self, input: LoadWellPathInput, ctx: ExecutionContext) -> LoadedWellPath:
        # rips attaches import_well_paths to Project at run time; call it by its module.
        imported: list[rips.WellPath] = rips.project.import_well_paths(
            input.project.value, well_path_files=[input.well_path_file]
        )
        if not imported:
            raise FileNotFoundError(f"ResInsight imported no well path from {input.well_path_file}")
        return LoadedWellPath(well_path=WellPath(value=imported[0]))


class AddPerforation(Task[AddPerforationInput, PerforatedWell]):
    def run(self, input: AddPerforationInput, ctx: ExecutionContext) -> PerforatedWell:
        input.value.append_perforation_interval(
            start_md=input.start_md,
            end_md=input.end_md,
            diameter=input.diameter,
            skin_factor=input.skin_factor,
        )
        return PerforatedWell(
            well_name=str(input.value.name), start_md=input.start_md, end_md=input.end_md
        )


class ExportCompletions(Task[ExportInput, ExportedCompletions]):
    def run(self, input: ExportInput, ctx: ExecutionContext) -> ExportedCompletions:
        wells = [input.well_1.well_name, input.well_2.well_name]
        folder = Path(input.export_folder)
        folder.mkdir(parents=True, exist_ok=True)
        rips.case.export_well_path_completions(
            input.case.value,
            time_step=input.time_step,
            well_path_names=wells,
            file_split="UNIFIED_FILE",
            include_perforations=True,
            custom_file_name=str(folder / "completions.txt"),
        )
        return ExportedCompletions(folder=str(folder), wells=wells)


# --- Workflow --------------------------------------------------------------

workflow = (
    Workflow.builder(name="resinsight_completions")
    .add_task(Connect, config_fields=["start_port", "end_port"])
    .add_task(LoadModel, depends_on=Connect, config_fields=["path"])
    .add_task(LoadWellPath, name="well_1", depends_on=LoadModel, config_fields=["well_path_file"])
    .add_task(LoadWellPath, name="well_2", depends_on=LoadModel, config_fields=["well_path_file"])
    .add_task(
        AddPerforation,
        name="perforate_1",
        depends_on=("well_1", "well_path"),
        config_fields=["start_md", "end_md"],
    )
    .add_task(
        AddPerforation,
        name="perforate_2",
        depends_on=("well_2", "well_path"),
        config_fields=["start_md", "end_md"],
    )
    .add_task(
        ExportCompletions,
        depends_on={
            "case": (LoadModel, "case"),
            "well_1": "perforate_1",
            "well_2": "perforate_2",
        },
        config_fields=["export_folder"],
    )
    .build()
)


def job_configuration() -> JobConfiguration:
    """The per-task values of input.yaml (the same file the YAML way reads)."""
    data: dict[str, Any] = yaml.safe_load((HERE / "input.yaml").read_text(encoding="utf-8"))
    return JobConfiguration(data)


def run_python() -> Job[Any, Any]:
    job = Job(workflow=workflow, config=EmptyConfig(), job_configuration=job_configuration())
    return Runner().run(job)


def run_yaml() -> Job[Any, Any]:
    from taskmaestro import run_workflow_from_yaml

    job: Job[Any, Any] = run_workflow_from_yaml(HERE / "workflow.yaml", HERE / "input.yaml")
    return job


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--yaml", action="store_true", help="run through workflow.yaml")
    mode.add_argument("--mermaid", action="store_true", help="print the Mermaid diagram")
    arguments = parser.parse_args(argv)
    if arguments.mermaid:
        print(workflow.to_mermaid(job_configuration=job_configuration()))
        return 0
    job = run_yaml() if arguments.yaml else run_python()
    if job.result is None:
        error = f"{type(job.exception).__name__}: {job.error}"
        print(f"The job failed in task '{job.failed_task}': {error}", file=sys.stderr)
        return 1
    print(f"Exported completions of {', '.join(job.result.wells)} to {job.result.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
