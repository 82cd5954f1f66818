"""The run directory: its layout, the digests of a workflow and of a job's inputs, reading.

A run directory holds one run (and the resumes that continue it)::

    RUN_DIR/run.json               the run record (schema: run_record.schema.json)
    RUN_DIR/outputs/<task>.json    each completed task's output, as pydantic's JSON

The record describes the workflow (``describe_graph``: tasks, classes' qualified
names, edges, config fields, mappings, nested workflows) and digests it, and
digests the job's inputs (``describe_inputs``: the root input and the
JobConfiguration, one digest per key, so a difference can be named without
the record holding any input value).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import socket
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pydantic
from pydantic_core import to_jsonable_python

from .._graph import Graph, Node
from ..exceptions import RunRecordError
from ..job import Job
from ._filenames import result_file_name

__all__ = [
    "FORMAT",
    "OUTPUTS_DIR",
    "RECORD_FILE",
    "SCHEMA_PATH",
    "describe_graph",
    "describe_inputs",
    "digest",
    "output_path",
    "process",
    "qualified_name",
    "read_run_record",
    "timestamp",
    "versions",
]

FORMAT = 1
"""The record's version; a change that removes or renames a key increments it."""

RECORD_FILE = "run.json"
OUTPUTS_DIR = "outputs"
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "run_record.schema.json"
"""The JSON Schema (draft 2020-12) of ``run.json``, shipped with the package."""


def canonical_json(data: object) -> str:
    """One text per value: keys sorted, no spaces.

    A value JSON cannot hold (a connection in an ``ObjectModel``) stands as its
    type: two runs given such objects of the same type have equal digests, as
    nothing else can be compared (its ``repr`` often holds a memory address).
    """
    plain = to_jsonable_python(data, fallback=_stand_in, bytes_mode="base64")
    return json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _stand_in(value: object) -> str:
    return f"<{qualified_name(type(value))}>"


def digest(data: object) -> str:
    """``sha256:<hex>`` of ``data``'s canonical JSON."""
    text = canonical_json(data).encode("utf-8", "backslashreplace")
    return f"sha256:{hashlib.sha256(text).hexdigest()}"


def qualified_name(cls: type) -> str:
    """``module.QualifiedName`` of a class: what the record calls a task class or a model."""
    return f"{cls.__module__}.{cls.__qualname__}"


def describe_graph(graph: Graph) -> dict[str, object]:
    """The workflow's structure, as the record keeps it: tasks in declaration order."""
    return {
        "name": graph.name,
        "result": graph.result,
        "tasks": {name: _describe_node(node) for name, node in graph.nodes.items()},
    }


def _describe_node(node: Node) -> dict[str, object]:
    mapping = node.mapping
    nested = node.nested
    return {
        "class": qualified_name(node.task),
        "input": qualified_name(node.input_model),
        "output": qualified_name(node.output_model),
        "config_fields": list(node.config_fields),
        "edges": [[e.source, e.source_field, e.target_field, e.member] for e in node.edges],
        "collections": dict(node.collections),
        "mapping": None
        if mapping is None
        else {
            "over": mapping.over,
            "key_as": mapping.key_as,
            "value_as": mapping.value_as,
            "error_mode": mapping.error_mode,
        },
        "nested": None
        if nested is None
        else {
            "workflow": digest(describe_graph(nested.graph)),
            "job_configuration": digest(
                {task: dict(values) for task, values in (nested.job_configuration or {}).items()}
            ),
        },
    }


def describe_inputs(job: Job[Any, Any]) -> dict[str, object]:
    """The digests of the job's inputs: the whole, and each root input field and each
    configured value (``{task: {field: digest}}``). No value is kept."""
    config = to_jsonable_python(job.config, fallback=_stand_in, bytes_mode="base64")
    fields = config if isinstance(config, dict) else {"": config}
    configured = {task: dict(values) for task, values in job.configured_values.items()}
    return {
        "digest": digest({"config": config, "job_configuration": configured}),
        "config": {
            "model": qualified_name(type(job.config)),
            "fields": {name: digest(value) for name, value in fields.items()},
        },
        "job_configuration": {
            task: {name: digest(value) for name, value in values.items()}
            for task, values in configured.items()
        },
    }


def versions() -> dict[str, str]:
    """The versions a run used: Python, pydantic and taskmaestro."""
    return {
        "python": platform.python_version(),
        "pydantic": pydantic.VERSION,
        # the package's own __version__: it is loaded (this is its submodule), and
        # importing it here would make the hooks layer depend on every layer it exports
        "taskmaestro": str(getattr(sys.modules[__package__.partition(".")[0]], "__version__", "")),
    }


def process() -> dict[str, object]:
    """The process writing a record (a resume refuses a run that is still going on)."""
    return {"pid": os.getpid(), "host": socket.gethostname()}


def timestamp(moment: datetime | None = None) -> str:
    """ISO 8601 with the local offset; naive times (the job's) are taken as local."""
    return (moment if moment is not None else datetime.now()).astimezone().isoformat()


def output_path(run_dir: Path, task: str) -> Path:
    """Where the output of ``task`` is saved in ``run_dir``."""
    return run_dir / OUTPUTS_DIR / result_file_name(task)


def read_run_record(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The record in ``run_dir``; ``RunRecordError`` when there is none that can be read."""
    folder = Path(run_dir)
    path = folder / RECORD_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        what = "no such directory" if not folder.is_dir() else f"it holds no {RECORD_FILE}"
        raise RunRecordError(
            f"{folder}: not a run directory ({what}); a run directory is written by "
            "'taskmaestro run --record DIR' or a RunRecordHook",
            str(folder),
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise RunRecordError(f"{path}: cannot be read: {error}", str(folder)) from error
    try:
        record = json.loads(text)
    except ValueError as error:
        raise RunRecordError(f"{path}: not a JSON document: {error}", str(folder)) from error
    problem = _shape_problem(record)
    if problem is not None:
        raise RunRecordError(f"{path}: not a run record of format {FORMAT}: {problem}", str(folder))
    data: dict[str, Any] = record
    return data


def _shape_problem(record: object) -> str | None:
    """What makes ``record`` unusable as a record, if anything (the keys a reader needs)."""
    if not isinstance(record, dict):
        return "the document is not an object"
    if record.get("format") != FORMAT:
        return f"its format is {record.get('format')!r}"
    for key, kind in (("workflow", dict), ("inputs", dict), ("tasks", dict), ("status", str)):
        if not isinstance(record.get(key), kind):
            return f"'{key}' is missing or not {'an object' if kind is dict else 'a string'}"
    if not isinstance(record["workflow"].get("graph"), dict):
        return "'workflow.graph' is missing"
    if not all(isinstance(entry, dict) for entry in record["tasks"].values()):
        return "an entry of 'tasks' is not an object"
    return None
