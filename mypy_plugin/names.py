"""The full names the plugin keys on: defining-module names, as mypy reports them."""

from __future__ import annotations

from typing import Final

TASK: Final = "taskmaestro.task.Task"
WORKFLOW: Final = "taskmaestro.workflow.Workflow"
WORKFLOW_DEFINITION: Final = "taskmaestro._definition.WorkflowDefinition"
"""The base of ``Workflow`` that ``Job.workflow`` is typed with."""
BUILDER: Final = "taskmaestro.workflow.WorkflowBuilder"
BUILDER_FACTORY: Final = "taskmaestro.workflow.Workflow.builder"
JOB: Final = "taskmaestro.job.Job"
JOB_CONFIGURATION: Final = "taskmaestro.job.JobConfiguration"
BASE_MODEL: Final = "pydantic.main.BaseModel"
EMPTY_CONFIG: Final = "taskmaestro.models.EmptyConfig"
TASK_HANDLE: Final = "taskmaestro.dependencies.TaskHandle"
OUTPUT_HANDLE: Final = "taskmaestro.dependencies.OutputHandle"
COLLECTION: Final = "taskmaestro.dependencies.Collection"
COLLECT: Final = "taskmaestro.dependencies.collect"
TASK_MAP: Final = "taskmaestro.mapping.TaskMap"
MAPPED_OUTPUT: Final = "taskmaestro.mapping.MappedOutput"

METADATA_KEY: Final = "taskmaestro"
"""``TypeInfo.metadata`` key under which the plugin records what it read from a Task class."""
