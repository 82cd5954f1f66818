"""The JSON Schema of workflow files, for editors with a YAML language server.

``workflow_schema()`` derives it from the same declaration that the loader
checks files against, so the two cannot disagree. ``SCHEMA_PATH`` is the
copy shipped with the package (``taskmaestro/workflow.schema.json``); a test
keeps it equal to ``workflow_schema()``. Regenerate it with
``python -m taskmaestro.schema > taskmaestro/workflow.schema.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

from ._yaml.format import workflow_file_schema

__all__ = ["SCHEMA_PATH", "schema_json", "workflow_schema"]

SCHEMA_PATH = Path(__file__).with_name("workflow.schema.json")


def workflow_schema() -> dict[str, object]:
    """The JSON Schema (draft 2020-12) of the workflow file format."""
    return workflow_file_schema()


def schema_json() -> str:
    """The schema as the text of ``workflow.schema.json``."""
    return json.dumps(workflow_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(schema_json(), end="")
