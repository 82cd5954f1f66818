"""taskmaestro: typed DAG task workflows over Pydantic models.

Names are imported lazily (PEP 562), so ``import taskmaestro`` -- and the mypy
plugin entry ``taskmaestro.mypy`` -- stay cheap; type checkers see them all.

The modules of taskmaestro 0.1.0 exist under the same names (``exceptions``,
``task``, ``job``, ``workflow``, ``runner``, ``context``, ``object_model``,
``visualization``, ``hooks.base`` ...). As there, the package attribute
``workflow_task`` is the function even though a module of that name exists.
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .context import ExecutionContext
    from .dependencies import OutputHandle, TaskHandle, collect
    from .discovery import (
        TASK_ENTRY_POINT_GROUP,
        WORKFLOW_ENTRY_POINT_GROUP,
        PluginLoadError,
        get_registered_task,
        get_registered_workflow,
        registered_task_names,
        registered_tasks,
        registered_workflow_names,
        registered_workflows,
    )
    from .exceptions import (
        ConfigLoadError,
        CycleDetectedError,
        IncompleteInputError,
        JobStateError,
        TaskExecutionError,
        TaskOutputTypeError,
        TaskTimeoutError,
        WorkflowDefinitionError,
        WorkflowRunnerError,
    )
    from .hooks import (
        BaseHook,
        Hook,
        HookWarning,
        LoggingHook,
        ProgressHook,
        ResultPersistenceHook,
        TimingHook,
    )
    from .job import Job, JobConfiguration, JobStatus, TaskResult, TaskStatus
    from .loader import (
        LoadedWorkflow,
        load_registered_workflow,
        load_workflow_from_yaml,
        run_workflow_from_yaml,
    )
    from .mapping import MappedOutput, TaskMap
    from .models import EmptyConfig, ObjectModel
    from .runner import Runner
    from .schema import workflow_schema
    from .task import Task
    from .visualization import to_mermaid
    from .workflow import Workflow, WorkflowBuilder
    from .workflow_task import workflow_task

_EXPORTS = {
    "MappedOutput": ".mapping",
    "OutputHandle": ".dependencies",
    "TaskHandle": ".dependencies",
    "TaskMap": ".mapping",
    "collect": ".dependencies",
    "PluginLoadError": ".discovery",
    "TASK_ENTRY_POINT_GROUP": ".discovery",
    "WORKFLOW_ENTRY_POINT_GROUP": ".discovery",
    "get_registered_task": ".discovery",
    "get_registered_workflow": ".discovery",
    "registered_task_names": ".discovery",
    "registered_tasks": ".discovery",
    "registered_workflow_names": ".discovery",
    "registered_workflows": ".discovery",
    "load_registered_workflow": ".loader",
    "BaseHook": ".hooks",
    "ConfigLoadError": ".exceptions",
    "CycleDetectedError": ".exceptions",
    "EmptyConfig": ".models",
    "ExecutionContext": ".context",
    "Hook": ".hooks",
    "HookWarning": ".hooks",
    "IncompleteInputError": ".exceptions",
    "Job": ".job",
    "JobConfiguration": ".job",
    "JobStateError": ".exceptions",
    "JobStatus": ".job",
    "LoadedWorkflow": ".loader",
    "LoggingHook": ".hooks",
    "ObjectModel": ".models",
    "ProgressHook": ".hooks",
    "ResultPersistenceHook": ".hooks",
    "Runner": ".runner",
    "Task": ".task",
    "TaskExecutionError": ".exceptions",
    "TaskOutputTypeError": ".exceptions",
    "TaskResult": ".job",
    "TaskStatus": ".job",
    "TaskTimeoutError": ".exceptions",
    "TimingHook": ".hooks",
    "Workflow": ".workflow",
    "WorkflowBuilder": ".workflow",
    "WorkflowDefinitionError": ".exceptions",
    "WorkflowRunnerError": ".exceptions",
    "load_workflow_from_yaml": ".loader",
    "run_workflow_from_yaml": ".loader",
    "to_mermaid": ".visualization",
    "workflow_task": ".workflow_task",
    "workflow_schema": ".schema",
}

__all__ = [
    "TASK_ENTRY_POINT_GROUP",
    "WORKFLOW_ENTRY_POINT_GROUP",
    "BaseHook",
    "ConfigLoadError",
    "CycleDetectedError",
    "EmptyConfig",
    "ExecutionContext",
    "Hook",
    "HookWarning",
    "IncompleteInputError",
    "Job",
    "JobConfiguration",
    "JobStateError",
    "JobStatus",
    "LoadedWorkflow",
    "LoggingHook",
    "MappedOutput",
    "ObjectModel",
    "OutputHandle",
    "PluginLoadError",
    "ProgressHook",
    "ResultPersistenceHook",
    "Runner",
    "Task",
    "TaskExecutionError",
    "TaskHandle",
    "TaskMap",
    "TaskOutputTypeError",
    "TaskResult",
    "TaskStatus",
    "TaskTimeoutError",
    "TimingHook",
    "Workflow",
    "WorkflowBuilder",
    "WorkflowDefinitionError",
    "WorkflowRunnerError",
    "collect",
    "get_registered_task",
    "get_registered_workflow",
    "load_registered_workflow",
    "load_workflow_from_yaml",
    "registered_task_names",
    "registered_tasks",
    "registered_workflow_names",
    "registered_workflows",
    "run_workflow_from_yaml",
    "to_mermaid",
    "workflow_schema",
    "workflow_task",
]


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'taskmaestro' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(ModuleType):
    """The package's module type: keeps ``taskmaestro.workflow_task`` the function.

    Importing the submodule ``taskmaestro.workflow_task`` makes the import
    system set the package attribute of that name to the module; this keeps
    the function there instead (the module stays in ``sys.modules``).
    """

    def __setattr__(self, name: str, value: object) -> None:
        if name == "workflow_task" and isinstance(value, ModuleType):
            value = value.workflow_task
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
