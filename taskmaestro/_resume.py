"""Resume: what a job may take from the run directory of an earlier run of it.

``prepare_resume`` reads the record (``hooks.run_files``), refuses when the
workflow or the inputs differ from the recorded ones (``ResumeError`` names
each difference: a task, an edge, a config field, an input key) or when that
run is still going on, and loads the outputs to reuse.

A task's output is reused when the record has it ``completed`` (or ``reused``),
its saved file reads back as the task's output model, and every task it takes
input from is reused too. Everything else runs: the failed task, the tasks
after it, a task whose output could not be saved (an ``ObjectModel``) and
everything downstream of such a task.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .exceptions import ResumeError
from .hooks import run_files as files
from .job import Job

__all__ = ["Resume", "input_differences", "prepare_resume", "workflow_differences"]


@dataclass(frozen=True, slots=True)
class Resume:
    """A resume that may go ahead: the record read, and the outputs it reuses by task."""

    run_dir: Path
    record: Mapping[str, Any]
    reused: Mapping[str, BaseModel]


def prepare_resume(job: Job[Any, Any], run_dir: Path) -> Resume:
    """Check that ``job`` may resume the run in ``run_dir``; load the outputs it reuses."""
    record = files.read_run_record(run_dir)
    _refuse_if_running(record, run_dir)
    graph = files.describe_graph(job.workflow.graph)
    differences = [
        *workflow_differences(record["workflow"]["graph"], graph),
        *input_differences(record["inputs"], files.describe_inputs(job)),
    ]
    if differences:
        raise ResumeError(
            f"Cannot resume the run in {run_dir}: "
            + "; ".join(differences)
            + ". Resume only with the workflow and inputs of that run, or start a new run",
            str(run_dir),
            tuple(differences),
        )
    return Resume(run_dir, record, _reusable(job, run_dir, record["tasks"]))


def _refuse_if_running(record: Mapping[str, Any], run_dir: Path) -> None:
    """A run whose record says ``running`` and whose process is alive here is not resumed."""
    owner = record.get("process")
    if record.get("status") != "running" or not isinstance(owner, dict):
        return
    pid = owner.get("pid")
    if owner.get("host") != socket.gethostname() or not isinstance(pid, int):
        return
    if pid == os.getpid() or not _alive(pid):
        return
    raise ResumeError(
        f"Cannot resume the run in {run_dir}: it is still running (process {pid})",
        str(run_dir),
        (f"the run is still running (process {pid})",),
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by someone else
        return True
    return True


def _reusable(job: Job[Any, Any], run_dir: Path, tasks: Mapping[str, Any]) -> dict[str, BaseModel]:
    """The outputs to reuse, in run order: see the module's rule."""
    graph = job.workflow.graph
    reused: dict[str, BaseModel] = {}
    for name in graph.order:
        node = graph.nodes[name]
        entry = tasks.get(name)
        if not isinstance(entry, dict) or entry.get("status") not in ("completed", "reused"):
            continue
        saved = entry.get("output")
        if not isinstance(saved, dict) or saved.get("saved") is not True:
            continue
        if any(edge.source not in reused for edge in node.edges):
            continue
        try:
            text = files.output_path(run_dir, name).read_text(encoding="utf-8")
            reused[name] = node.effective_output.model_validate_json(text)
        except (OSError, ValueError):  # gone or damaged: the task runs again
            continue
    return reused


def workflow_differences(recorded: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """Each difference between a recorded workflow description and the current one."""
    found: list[str] = []
    if recorded.get("name") != current["name"]:
        found.append(
            f"the workflow is named '{current['name']}', the run's '{recorded.get('name')}'"
        )
    if recorded.get("result") != current["result"]:
        found.append(
            f"the result task is '{current['result']}', the run's '{recorded.get('result')}'"
        )
    before: Mapping[str, Any] = recorded.get("tasks") or {}
    now: Mapping[str, Any] = current["tasks"]
    found.extend(f"task '{name}' is new" for name in now if name not in before)
    found.extend(f"task '{name}' is gone" for name in before if name not in now)
    for name, task in now.items():
        old = before.get(name)
        if isinstance(old, dict):
            found.extend(_task_differences(name, old, task))
    return found


_ASPECTS = (
    ("class", "its class"),
    ("input", "its input model"),
    ("output", "its output model"),
    ("config_fields", "its config_fields"),
    ("collections", "its collected fields"),
    ("mapping", "its mapping"),
    ("nested", "the workflow it wraps"),
)


def _task_differences(name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    found = [
        f"task '{name}': {what} is {_shown(new.get(key))}, was {_shown(old.get(key))}"
        for key, what in _ASPECTS
        if old.get(key) != new.get(key)
    ]
    old_edges = [_edge(name, edge) for edge in old.get("edges") or ()]
    new_edges = [_edge(name, edge) for edge in new.get("edges") or ()]
    found.extend(f"edge {edge} is new" for edge in new_edges if edge not in old_edges)
    found.extend(f"edge {edge} is gone" for edge in old_edges if edge not in new_edges)
    return found


def _edge(target: str, edge: Sequence[Any]) -> str:
    """``source[.field] -> target[.field][[member]]``, as a difference names an edge."""
    source, source_field, target_field, member = [*edge, None, None, None, None][:4]
    left = f"{source}.{source_field}" if source_field else f"{source}"
    right = f"{target}.{target_field}" if target_field else target
    if member is not None:
        right += f"[{member!r}]"
    return f"{left} -> {right}"


def _shown(value: object) -> str:
    if isinstance(value, list):
        return "(" + ", ".join(str(item) for item in value) + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    return "none" if value is None else str(value)


def input_differences(recorded: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """Each input key whose value differs (names only: the record holds no value)."""
    if recorded.get("digest") == current["digest"]:
        return []
    found: list[str] = []
    old_config: Mapping[str, Any] = recorded.get("config") or {}
    new_config: Mapping[str, Any] = current["config"]
    if old_config.get("model") != new_config["model"]:
        found.append(
            f"the job's input model is {new_config['model']}, the run's {old_config.get('model')}"
        )
    found.extend(
        f"input field '{key}' {change}"
        for key, change in _changed(old_config.get("fields") or {}, new_config["fields"])
    )
    old_values: Mapping[str, Any] = recorded.get("job_configuration") or {}
    new_values: Mapping[str, Any] = current["job_configuration"]
    for task in dict.fromkeys([*new_values, *old_values]):
        found.extend(
            f"job configuration of task '{task}': key '{key}' {change}"
            for key, change in _changed(old_values.get(task) or {}, new_values.get(task) or {})
        )
    return found or ["the inputs differ"]


def _changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(key, "changed" | "is new" | "is gone")`` for each key whose digest differs."""
    changes: list[tuple[str, str]] = []
    for key in dict.fromkeys([*new, *old]):
        if key not in old:
            changes.append((key, "is new"))
        elif key not in new:
            changes.append((key, "is gone"))
        elif old[key] != new[key]:
            changes.append((key, "changed"))
    return changes
