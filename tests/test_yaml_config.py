"""``taskmaestro.yaml_config``: 0.1.0's schema models, ``import_class`` and ``LoadedWorkflow``.

The schema models and the loader describe one format: the tests below hold the
models' keys equal to the loader's, and judge a set of values by both.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

import taskmaestro
from taskmaestro import ConfigLoadError, JobStatus, Task, load_workflow_from_yaml
from taskmaestro._yaml.format import (
    ContextSection,
    HookEntry,
    NestedEntry,
    RunnerSection,
    TaskEntry,
    WorkflowFile,
    WorkflowSection,
)
from taskmaestro._yaml.shapes import Record
from taskmaestro.yaml_config import (
    ContextConfig,
    HookConfig,
    LoadedWorkflow,
    RunnerConfig,
    TaskConfig,
    WorkflowSectionConfig,
    YamlWorkflowConfig,
    import_class,
    run_workflow_from_yaml,
)
from taskmaestro.yaml_config import (
    load_workflow_from_yaml as load_from_module,
)

from .yaml_support import M, write

PAIRS: list[tuple[type[BaseModel], tuple[type[Any], ...]]] = [
    (TaskConfig, (TaskEntry, NestedEntry)),
    (HookConfig, (HookEntry,)),
    (RunnerConfig, (RunnerSection,)),
    (ContextConfig, (ContextSection,)),
    (WorkflowSectionConfig, (WorkflowSection,)),
    (YamlWorkflowConfig, (WorkflowFile,)),
]


def test_the_module_exports_0_1_0_names() -> None:
    import taskmaestro.yaml_config as module

    assert set(module.__all__) == {
        "TaskConfig",
        "TaskMapConfig",
        "HookConfig",
        "RunnerConfig",
        "ContextConfig",
        "WorkflowSectionConfig",
        "YamlWorkflowConfig",
        "import_class",
        "LoadedWorkflow",
        "load_workflow_from_yaml",
        "run_workflow_from_yaml",
    }
    assert LoadedWorkflow is taskmaestro.LoadedWorkflow
    assert load_from_module is load_workflow_from_yaml
    assert run_workflow_from_yaml is taskmaestro.run_workflow_from_yaml


@pytest.mark.parametrize(("model", "records"), PAIRS, ids=[m.__name__ for m, _ in PAIRS])
def test_each_model_has_the_keys_the_loader_reads(
    model: type[BaseModel], records: tuple[type[Any], ...]
) -> None:
    loader_keys: set[str] = set()
    required: set[str] = set()
    for record in records:
        fields = Record(record, "x").fields
        loader_keys |= set(fields)
        required |= {name for name, field in fields.items() if field.required}
    assert set(model.model_fields) == loader_keys
    model_required = {name for name, field in model.model_fields.items() if field.is_required()}
    if len(records) == 1:
        assert model_required == required
    else:  # the variants' distinguishing keys are checked by a validator instead
        assert model_required == set()


def test_unknown_keys_are_refused_as_by_the_loader() -> None:
    with pytest.raises(ValidationError, match="depend_on"):
        TaskConfig.model_validate({"task": "a.B", "depend_on": "x"})
    with pytest.raises(ValidationError, match="extra"):
        YamlWorkflowConfig.model_validate(
            {"workflow": {"name": "w", "tasks": [{"task": "a.B"}]}, "runnr": {}}
        )


@pytest.mark.parametrize(
    ("data", "phrase"),
    [
        ({"task": "a.B", "workflow": "w.yaml"}, "Specify either 'task' or 'workflow'"),
        ({"name": "x"}, "Must specify either 'task' or 'workflow'"),
        ({"task": "a.B", "workflow_input": "i.yaml"}, "'workflow_input' requires 'workflow'"),
    ],
)
def test_task_config_checks_its_kind(data: dict[str, object], phrase: str) -> None:
    with pytest.raises(ValidationError, match=phrase):
        TaskConfig.model_validate(data)


def test_models_have_0_1_0_defaults() -> None:
    config = YamlWorkflowConfig.model_validate(
        {
            "workflow": {
                "name": "w",
                "tasks": [{"task": "a.B", "depends_on": {"x": ["a.C", "f"]}}],
            }
        }
    )
    assert config.runner == RunnerConfig(timeout_seconds=None, hooks=[])
    assert config.context == ContextConfig(correlation_id=None, scratch_dir=None, services={})
    assert config.workflow.result_task is None
    assert HookConfig(hook="a.H").params == {}
    with pytest.raises(ValidationError):
        WorkflowSectionConfig(name="w", tasks=[])


TIMEOUTS = ["30", "0.5", "1e9", ".nan", ".inf", "-.inf", "1e26", "-1", "0", "'30'", "soon", "true"]


@pytest.mark.parametrize("written", TIMEOUTS)
def test_timeouts_are_judged_alike_by_the_model_and_the_loader(
    tmp_path: Path, written: str
) -> None:
    import yaml

    text = f"""
    workflow:
      name: w
      tasks:
        - task: {M}.AddOne
    runner:
      timeout_seconds: {written}
    """
    workflow = write(tmp_path, "w.yaml", text)
    try:
        loaded = load_workflow_from_yaml(workflow, write(tmp_path, "in.yaml", "value: 1\n"))
        loader_value: float | None = loaded.timeout_seconds
    except ConfigLoadError:
        loader_value = None
    value = yaml.safe_load(workflow.read_text())["runner"]["timeout_seconds"]
    try:
        model_value: float | None = RunnerConfig.model_validate(
            {"timeout_seconds": value}
        ).timeout_seconds
    except ValidationError:
        model_value = None
    assert model_value == loader_value
    if loader_value is not None:
        assert math.isfinite(loader_value)
        assert loader_value > 0


# -- import_class ---------------------------------------------------------------------


def test_import_class_returns_the_class() -> None:
    assert import_class("taskmaestro.task.Task") is Task
    assert import_class(f"{M}.AddOne").__name__ == "AddOne"


@pytest.mark.parametrize(
    ("path", "phrase"),
    [
        ("NoDot", "Invalid import path 'NoDot'"),
        ("no_such_module_anywhere.Thing", "Cannot import module 'no_such_module_anywhere'"),
        ("os.NoSuchThing", "Module 'os' has no attribute 'NoSuchThing'"),
        ("os.path.join", "'os.path.join' is not a class"),
    ],
)
def test_import_class_errors_carry_0_1_0_phrases(path: str, phrase: str) -> None:
    with pytest.raises(ConfigLoadError, match=phrase.replace(".", r"\.")):
        import_class(path)


# -- LoadedWorkflow ------------------------------------------------------------------


def test_loaded_workflow_is_frozen_and_keeps_its_timeout_as_0_1_0(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
        runner:
          timeout_seconds: 12
        """,
    )
    loaded = load_from_module(workflow, write(tmp_path, "in.yaml", "value: 1\n"))
    assert [field.name for field in dataclasses.fields(loaded)] == [
        "workflow",
        "runner",
        "job",
        "context",
        "_timeout",
    ]
    assert loaded._timeout == 12.0
    assert loaded._timeout_seconds == 12.0
    assert loaded.timeout_seconds == 12.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        loaded.job = loaded.job  # type: ignore[misc]
    with pytest.raises(AttributeError):
        loaded._timeout_seconds = 1.0  # type: ignore[misc]
    job = loaded.run()
    assert job.status is JobStatus.COMPLETED
    assert job.result is not None
    assert job.result.value == 2
