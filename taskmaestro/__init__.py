"""taskmaestro: typed DAG task workflows over Pydantic models.

Names are imported lazily (PEP 562), so ``import taskmaestro`` -- and the mypy
plugin entry ``taskmaestro.mypy`` -- stay cheap; type checkers see them all.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .context import ExecutionContext
    from .errors import (
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
    from .loader import LoadedWorkflow, load_workflow_from_yaml, run_workflow_from_yaml
    from .models import EmptyConfig, ObjectModel
    from .nested import workflow_task
    from .runner import Runner
    from .schema import workflow_schema
    from .task import Task
    from .workflow import Workflow, WorkflowBuilder

_EXPORTS = {
    "BaseHook": ".hooks",
    "ConfigLoadError": ".errors",
    "CycleDetectedError": ".errors",
    "EmptyConfig": ".models",
    "ExecutionContext": ".context",
    "Hook": ".hooks",
    "HookWarning": ".hooks",
    "IncompleteInputError": ".errors",
    "Job": ".job",
    "JobConfiguration": ".job",
    "JobStateError": ".errors",
    "JobStatus": ".job",
    "LoadedWorkflow": ".loader",
    "LoggingHook": ".hooks",
    "ObjectModel": ".models",
    "ProgressHook": ".hooks",
    "ResultPersistenceHook": ".hooks",
    "Runner": ".runner",
    "Task": ".task",
    "TaskExecutionError": ".errors",
    "TaskOutputTypeError": ".errors",
    "TaskResult": ".job",
    "TaskStatus": ".job",
    "TaskTimeoutError": ".errors",
    "TimingHook": ".hooks",
    "Workflow": ".workflow",
    "WorkflowBuilder": ".workflow",
    "WorkflowDefinitionError": ".errors",
    "WorkflowRunnerError": ".errors",
    "load_workflow_from_yaml": ".loader",
    "run_workflow_from_yaml": ".loader",
    "workflow_task": ".nested",
    "workflow_schema": ".schema",
}

__all__ = [
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
    "ObjectModel",
    "ProgressHook",
    "ResultPersistenceHook",
    "Runner",
    "Task",
    "TaskExecutionError",
    "TaskOutputTypeError",
    "TaskResult",
    "TaskStatus",
    "TaskTimeoutError",
    "TimingHook",
    "Workflow",
    "WorkflowBuilder",
    "WorkflowDefinitionError",
    "WorkflowRunnerError",
    "load_workflow_from_yaml",
    "run_workflow_from_yaml",
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
