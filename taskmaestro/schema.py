"""The JSON Schema of workflow files, for editors with a YAML language server.

``workflow_schema()`` derives it from the same declaration that the loader
checks files against, so the two cannot disagree. ``SCHEMA_PATH`` is the
copy shipped with the package (``taskmaestro/workflow.schema.json``); a test
keeps it equal to ``workflow_schema()``. Regenerate it with
``python -m taskmaestro.schema > taskmaestro/workflow.schema.json``.

``cli_schema()`` is the schema of the JSON documents the command line prints
with ``--json`` (``CLI_SCHEMA_PATH``, ``taskmaestro/cli.schema.json``,
written by hand: it is the contract for tools and agents, see docs/tools.md).
"""

from __future__ import annotations

import json
from pathlib import Path

from ._yaml.format import workflow_file_schema

__all__ = ["CLI_SCHEMA_PATH", "SCHEMA_PATH", "cli_schema", "schema_json", "workflow_schema"]

SCHEMA_PATH = Path(__file__).with_name("workflow.schema.json")
CLI_SCHEMA_PATH = Path(__file__).with_name("cli.schema.json")


def workflow_schema() -> dict[str, object]:
    """The JSON Schema (draft 2020-12) of the workflow file format."""
    return workflow_file_schema()


def cli_schema() -> dict[str, object]:
    """The JSON Schema (draft 2020-12) of the command line's ``--json`` documents."""
    data: dict[str, object] = json.loads(CLI_SCHEMA_PATH.read_text(encoding="utf-8"))
    return data


def schema_json() -> str:
    """The schema as the text of ``workflow.schema.json``."""
    return json.dumps(workflow_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(schema_json(), end="")
