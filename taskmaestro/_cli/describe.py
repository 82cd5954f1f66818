"""JSON-ready descriptions of tasks and workflows (``tasks describe``, ``workflow describe``).

One task descriptor shape everywhere: ``{"id", "name", "python_type",
"description", "timeout_seconds", "input_schema", "output_schema",
"schema_error"}``. A workflow's tasks carry it under ``"task"``.
Dependencies have a tagged form (``"kind"``), so a fan-in over fields named
``task`` or ``field`` cannot read as a single dependency.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from ..dependencies import CollectionRef, OutputRef
from ..task import Task, task_models
from ..workflow import Workflow

__all__ = ["describe_workflow", "python_type_name", "task_descriptor"]


def python_type_name(cls: type) -> str:
    """``module.QualifiedName`` of a class."""
    return f"{cls.__module__}.{cls.__qualname__}"


def task_descriptor(task: type[Task[Any, Any]], task_id: str | None) -> dict[str, object]:
    """What a task class is: its identifier, names, docstring, timeout and model schemas.

    ``task_id`` is the identifier it was looked up by (a registered name or a
    dotted path), ``None`` when it has none. A model whose schema pydantic
    cannot generate gets ``null`` schemas and the reason in ``schema_error``.
    """
    input_schema: object = None
    output_schema: object = None
    schema_error: str | None = None
    try:
        input_model, output_model = task_models(task)
        input_schema = input_model.model_json_schema()
        output_schema = output_model.model_json_schema()
    except Exception as error:  # an arbitrary type pydantic has no JSON schema for
        schema_error = f"{type(error).__name__}: {error}"
    return {
        "id": task_id,
        "name": task.name,
        "python_type": python_type_name(task),
        "description": inspect.cleandoc(task.__doc__) if task.__doc__ else "",
        "timeout_seconds": task.timeout_seconds,
        "input_schema": input_schema,
        "output_schema": output_schema,
        "schema_error": schema_error,
    }


def describe_workflow(
    workflow: Workflow[Any, Any],
    source: Mapping[str, object],
    *,
    task_ids: Mapping[type, str] | None = None,
    given: Mapping[str, Mapping[str, object]] | None = None,
    show_values: bool = False,
) -> dict[str, object]:
    """The workflow's tasks in run order, each with its wiring and configuration.

    ``given`` (from an input file; ``None``: no input file) maps task names to
    the values the file configures; it fills ``provided_config_fields`` and
    ``missing_config_fields``, and ``config_values`` with ``show_values``.
    """
    ids = task_ids or {}
    tasks: list[dict[str, object]] = []
    for name, task in workflow.topological_order():
        configured = sorted(workflow.get_config_fields(name))
        input_model = workflow.graph.nodes[name].input_model
        entry: dict[str, object] = {
            "name": name,
            "task": task_descriptor(task, ids.get(task)),
            "depends_on": _dependency(workflow.get_dependencies(name)),
            "config_fields": configured,
            "required_input_fields": sorted(
                field for field, info in input_model.model_fields.items() if info.is_required()
            ),
            "provided_config_fields": None,
            "missing_config_fields": None,
            "config_values": None,
        }
        if given is not None:
            values = given.get(name, {})
            entry["provided_config_fields"] = sorted(values)
            entry["missing_config_fields"] = [
                field
                for field in configured
                if field not in values and input_model.model_fields[field].is_required()
            ]
            if show_values:
                entry["config_values"] = {key: _jsonable(values[key]) for key in sorted(values)}
        tasks.append(entry)
    return {
        "name": workflow.name,
        "result_task": workflow.result_task_name,
        "source": dict(source),
        "input_schema": _schema(workflow.input_model),
        "output_schema": _schema(workflow.output_model),
        "tasks": tasks,
    }


def _dependency(stored: object) -> object:
    if stored is None:
        return None
    if isinstance(stored, dict):
        return {
            "kind": "fan_in",
            "fields": {str(key): _single(value) for key, value in stored.items()},
        }
    return _single(stored)


def _single(stored: object) -> dict[str, object]:
    if isinstance(stored, CollectionRef):
        members: object = [_member(ref) for ref in stored.positional_members]
        if stored.kind == "keyed":
            members = {key: _member(ref) for key, ref in stored.keyed_members}
        return {"kind": "collect", "collection": stored.kind, "members": members}
    if isinstance(stored, tuple):
        task, field = stored
        return {"kind": "route", "task": str(task), "field": str(field)}
    return {"kind": "output", "task": str(stored)}


def _member(ref: OutputRef) -> dict[str, object]:
    return _single(ref.task_name if ref.output_field is None else (ref.task_name, ref.output_field))


def _schema(model: type[BaseModel]) -> object:
    try:
        return model.model_json_schema()
    except Exception:
        return None


def _jsonable(value: object) -> object:
    return to_jsonable_python(value, fallback=repr, bytes_mode="base64")
