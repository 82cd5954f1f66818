"""What the loader reads of a built workflow and a job configuration, in one place.

It reads the core through its public surface only: the read-only
``workflow.graph`` view and ``taskmaestro.job.config_values``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ..job import JobConfiguration, config_values
from ..workflow import Workflow

__all__ = ["check_configuration", "first_unconfigured_root", "has_task", "task_input_model"]


def task_input_model(workflow: Workflow[Any, Any], task: str) -> type[BaseModel]:
    """The input model of the task instance named ``task``."""
    model: type[BaseModel] = workflow.graph.nodes[task].input_model
    return model


def has_task(workflow: Workflow[Any, Any], name: str) -> bool:
    """Whether ``name`` is a task instance of the workflow."""
    return name in workflow.graph.nodes


def first_unconfigured_root(workflow: Workflow[Any, Any]) -> str | None:
    """The first root task (registration order) without ``config_fields``, if any."""
    for root in workflow.graph.roots:
        if not root.config_fields:
            return root.name
    return None


def check_configuration(workflow: Workflow[Any, Any], configuration: JobConfiguration) -> None:
    """Raise the core's ``WorkflowDefinitionError`` if the per-task values do not fit."""
    config_values(workflow, configuration)
