"""The commands that look without running: ``validate``, ``workflow describe|list``,
``tasks list|describe``. Each returns the exit status; with ``--json`` each prints
one envelope (``envelope``), else text.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..exceptions import ConfigLoadError
from . import envelope
from .commands import (
    CONFIG_ERROR,
    OK,
    Console,
    error_document,
    has_values,
    input_path,
    load_target,
    workflow_target,
)

if TYPE_CHECKING:
    from ..task import Task

__all__ = ["describe_task", "describe_workflow", "list_tasks", "list_workflows", "validate"]


def validate(args: argparse.Namespace, console: Console) -> int:
    """Load the workflow and its input and build the job: 0 valid, 2 not."""
    from .._yaml.build import load_definition
    from .._yaml.problems import problems_of
    from ..discovery import PluginLoadError, get_registered_workflow

    try:
        file, name = workflow_target(args)
        if file is not None and not has_values(args):
            workflow = load_definition(file).workflow
        elif file is None and not has_values(args):
            workflow = get_registered_workflow(str(name))
        else:
            loaded = load_target(args)
            loaded.context.close()
            workflow = loaded.workflow
    except ConfigLoadError as error:
        if isinstance(error, PluginLoadError):
            console.error(f"Plugin error: {error}", error)
        else:
            for problem in problems_of(error):
                console.error(f"{problem.error} [{problem.code}]", problem.error)
        if console.json:
            error_document(console, "validate", args, error)
        return CONFIG_ERROR
    if console.json:
        console.document(envelope.document("validate", "valid", workflow=workflow.name))
    else:
        print(f"Workflow '{workflow.name}' is valid")
    return OK


def describe_workflow(args: argparse.Namespace, console: Console) -> int:
    """The description of a workflow (and what its input file gives): 0, or 2."""
    from .._yaml.build import given_for_workflow, load_partial
    from ..discovery import get_registered_workflow
    from .describe import describe_workflow as describe

    try:
        file, name = workflow_target(args)
        inputs = input_path(args)
        if file is not None:
            workflow, given = load_partial(file, inputs)
            source: dict[str, object] = {"kind": "yaml", "path": str(file.resolve())}
        else:
            workflow = get_registered_workflow(str(name))
            given = given_for_workflow(workflow, inputs) if inputs is not None else None
            source = {"kind": "entry_point", "name": name}
        ids = _task_ids()
        document = describe(
            workflow, source, task_ids=ids, given=given, show_values=console.show_values
        )
    except ConfigLoadError as error:
        console.error(str(error), error)
        if console.json:
            error_document(console, "workflow describe", args, error)
        return CONFIG_ERROR
    if console.json:
        console.document(
            envelope.document("workflow describe", "ok", workflow=workflow.name, result=document)
        )
    else:
        print(_indented(document))
    return OK


def list_workflows(args: argparse.Namespace, console: Console) -> int:
    """The registered workflow names (nothing imported)."""
    from ..discovery import registered_workflow_entries

    return _listing(console, "workflow list", "workflows", registered_workflow_entries())


def list_tasks(args: argparse.Namespace, console: Console) -> int:
    """The registered task identifiers (nothing imported)."""
    from ..discovery import registered_task_entries

    return _listing(console, "tasks list", "tasks", registered_task_entries())


def describe_task(args: argparse.Namespace, console: Console) -> int:
    """A task's descriptor: a registered identifier (only its plugin imported) or a
    dotted path ``module.Class`` (found as a YAML file beside the current folder would)."""
    from ..discovery import PluginLoadError, get_registered_task, registered_task_names
    from .describe import task_descriptor

    task_id: str = args.task_id
    registered = task_id in registered_task_names()
    try:
        task = get_registered_task(task_id) if registered or "." not in task_id else None
        if task is None:
            task = _task_at(task_id)
    except PluginLoadError as error:
        console.error(f"Plugin error: {error}", error)
        if console.json:
            info = envelope.simple_error(envelope.PLUGIN, error)
            console.document(envelope.document("tasks describe", "error", error=info))
        return CONFIG_ERROR
    descriptor = task_descriptor(task, task_id if registered else None)
    if console.json:
        console.document(envelope.document("tasks describe", "ok", result=descriptor))
    else:
        print(_indented(descriptor))
    return OK


def _listing(console: Console, command: str, key: str, entries: list[Any]) -> int:
    if console.json:
        items = [
            {
                "name": entry.name,
                "ambiguous": entry.ambiguous,
                "distributions": list(entry.distributions),
            }
            for entry in entries
        ]
        console.document(envelope.document(command, "ok", result={key: items}))
        return OK
    for entry in entries:
        note = f"  (ambiguous: {', '.join(entry.distributions)})" if entry.ambiguous else ""
        print(f"{entry.name}{note}")
    return OK


def _task_ids() -> dict[type, str]:
    """Registered task classes that are already imported, by class (nothing imported here)."""
    import sys

    from ..discovery import registered_task_entries

    ids: dict[type, str] = {}
    for entry in registered_task_entries():
        if entry.ambiguous:
            continue
        module, _, attribute = entry.values[0].partition(":")
        loaded = sys.modules.get(module.strip())
        found: object = loaded
        for part in attribute.strip().split("."):
            found = getattr(found, part, None)
        if isinstance(found, type):
            ids.setdefault(found, entry.name)
    return ids


def _indented(data: object) -> str:
    import json  # imported late, as every module the commands need (see app)

    return json.dumps(data, indent=2, ensure_ascii=False, default=repr)


def _task_at(dotted: str) -> type[Task[Any, Any]]:
    """The Task class at a dotted path; a problem is a ``PluginLoadError`` of that name."""
    import inspect
    from pathlib import Path

    from .._yaml.imports import ImportProblem, import_object
    from ..discovery import PluginLoadError
    from ..task import Task

    try:
        found = import_object(dotted, Path.cwd())
    except ImportProblem as problem:
        raise PluginLoadError(str(problem), kind="task", name=dotted) from problem
    if not (isinstance(found, type) and issubclass(found, Task)) or inspect.isabstract(found):
        raise PluginLoadError(
            f"'{dotted}' is not a concrete Task subclass", kind="task", name=dotted
        )
    task: type[Task[Any, Any]] = found
    return task
