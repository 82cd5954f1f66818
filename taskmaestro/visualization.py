"""``to_mermaid``: a workflow as a Mermaid flowchart (taskmaestro 0.1.0's module)."""

from __future__ import annotations

from typing import Any

from ._mermaid import render
from .job import JobConfiguration
from .workflow import Workflow

__all__ = ["to_mermaid"]


def to_mermaid(
    workflow: Workflow[Any, Any], *, job_configuration: JobConfiguration | None = None
) -> str:
    """The Mermaid text of ``workflow`` (``Workflow.to_mermaid`` gives the same).

    With a ``job_configuration``, configured tasks get dashed edges from a
    JobConfiguration node; without one, no such node is drawn.
    """
    return render(workflow.graph, job_configuration)
