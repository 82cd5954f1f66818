"""0.1.0's ``taskmaestro.yaml_config``: the workflow file's schema as pydantic models,
``import_class``, and the loader's public functions.

The models describe the same keys as the loader (``taskmaestro.loader``), which
remains the one implementation that reads files: a test holds the two equal,
key by key. Unlike 0.1.0's, they refuse unknown keys (a misspelled
``depends_on`` would otherwise turn a DAG into a chain without a word), and
``timeout_seconds`` takes finite positive numbers only, as the loader does.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ._yaml.format import MAX_TIMEOUT_SECONDS
from ._yaml.imports import ImportProblem, import_object
from .exceptions import ConfigLoadError
from .loader import LoadedWorkflow, load_workflow_from_yaml, run_workflow_from_yaml

__all__ = [
    "ContextConfig",
    "HookConfig",
    "LoadedWorkflow",
    "RunnerConfig",
    "TaskConfig",
    "TaskMapConfig",
    "WorkflowSectionConfig",
    "YamlWorkflowConfig",
    "import_class",
    "load_workflow_from_yaml",
    "run_workflow_from_yaml",
]

type DependsOn = str | list[str] | dict[str, Any]
"""A reference, a ``[reference, field]`` list, or ``{input_field: reference, list or
{collect: ...}}``."""


class _Strict(BaseModel):
    model_config: ClassVar[ConfigDict] = ConfigDict(extra="forbid")


class TaskMapConfig(_Strict):
    """``map:`` of a task entry: run it once per item of the mapping under ``over``."""

    over: str
    key_as: str
    value_as: str
    error_mode: Literal["fail_fast", "collect_all"] = "fail_fast"


class TaskConfig(_Strict):
    """One entry of ``workflow.tasks``: a Task class (``task``) or a nested file (``workflow``)."""

    task: str | None = None
    workflow: str | None = None
    workflow_input: str | None = None
    name: str | None = None
    depends_on: DependsOn | None = None
    config_fields: list[str] | None = None
    map: TaskMapConfig | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if self.task is not None and self.workflow is not None:
            raise ValueError("Specify either 'task' or 'workflow', not both")
        if self.task is None and self.workflow is None:
            raise ValueError("Must specify either 'task' or 'workflow'")
        if self.workflow_input is not None and self.workflow is None:
            raise ValueError("'workflow_input' requires 'workflow'")
        if self.map is not None and self.task is None:
            raise ValueError("'map' requires 'task'")
        return self


class HookConfig(_Strict):
    """One entry of ``runner.hooks``: the hook class and its constructor's keyword arguments."""

    hook: str
    params: dict[str, Any] = Field(default_factory=dict)


class RunnerConfig(_Strict):
    """``runner:``: the job's deadline and its hooks."""

    timeout_seconds: (
        Annotated[float, Field(strict=True, gt=0, le=MAX_TIMEOUT_SECONDS, allow_inf_nan=False)]
        | None
    ) = None
    hooks: list[HookConfig] = Field(default_factory=list)


class ContextConfig(_Strict):
    """``context:``: what the ExecutionContext holds."""

    correlation_id: str | None = None
    scratch_dir: str | None = None
    services: dict[str, Any] = Field(default_factory=dict)


class WorkflowSectionConfig(_Strict):
    """``workflow:``: the name, the tasks (at least one) and the result task."""

    name: str
    result_task: str | None = None
    tasks: list[TaskConfig] = Field(min_length=1)


class YamlWorkflowConfig(_Strict):
    """A whole workflow file."""

    workflow: WorkflowSectionConfig
    runner: RunnerConfig = Field(default_factory=RunnerConfig)
    context: ContextConfig = Field(default_factory=ContextConfig)


def import_class(dotted_path: str) -> type[Any]:
    """The class at ``dotted_path`` (``module.Class``), imported through ``sys.path``.

    Raises ``ConfigLoadError`` with 0.1.0's key phrases: "Invalid import path",
    "Cannot import module '<m>'", "Module '<m>' has no attribute '<c>'"; a module
    that raises while imported is reported the same way (its error is the cause).
    """
    module, dot, name = dotted_path.rpartition(".")
    if not (dot and module and name):
        raise ConfigLoadError(
            f"Invalid import path '{dotted_path}': expected 'module.Class', a dotted path"
        )
    try:
        found = import_object(dotted_path, None)
    except ImportProblem as problem:
        raise ConfigLoadError(str(problem)) from (problem.__cause__ or problem)
    if not isinstance(found, type):
        raise ConfigLoadError(f"'{dotted_path}' is not a class (it is a {type(found).__name__})")
    return found
