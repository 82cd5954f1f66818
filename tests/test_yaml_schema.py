"""The JSON Schema derived from the format's one declaration agrees with the loader."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from taskmaestro import workflow_schema
from taskmaestro.schema import SCHEMA_PATH, schema_json

EXAMPLES = Path(__file__).parent / "yaml_fixtures"


def validator() -> jsonschema.Draft202012Validator:
    schema = workflow_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def errors_of(data: object) -> list[str]:
    return [error.message for error in validator().iter_errors(data)]


def test_the_readme_example_validates() -> None:
    data = yaml.safe_load((EXAMPLES / "text_analysis" / "workflow.yaml").read_text())
    assert errors_of(data) == []


def test_every_key_validates() -> None:
    data = yaml.safe_load(
        """
        workflow:
          name: all
          result_task: b
          tasks:
            - task: m.A
              name: a
              config_fields: [x]
            - task: m.B
              name: b
              depends_on: {x: a, y: [a, out]}
            - workflow: inner.yaml
              workflow_input: inner_input.yaml
              name: c
              depends_on: [a, out]
        runner:
          timeout_seconds: 2.5
          hooks:
            - hook: m.Hook
              params: {folder: out}
        context:
          services: {title: T}
          correlation_id: run-1
          scratch_dir: tmp
        """
    )
    assert errors_of(data) == []


@pytest.mark.parametrize(
    "broken",
    [
        {"workflow": {"name": "w", "tasks": [{"task": "m.A", "depend_on": "a"}]}},
        {"workflow": {"name": "w", "tasks": [{"task": "A"}]}},
        {"workflow": {"name": "w", "tasks": [{"task": "m.A", "workflow": "x.yaml"}]}},
        {"workflow": {"name": "w", "tasks": [{"task": "m.A", "depends_on": ["a"]}]}},
        {"workflow": {"name": "w"}},
        {"workflow": {"name": "w", "tasks": []}, "runner": {"timeout_seconds": 0}},
        {"workflow": {"name": "w", "tasks": []}, "extra": 1},
    ],
)
def test_typos_and_wrong_shapes_do_not_validate(broken: object) -> None:
    assert errors_of(broken) != []


def test_the_shipped_schema_file_is_current() -> None:
    # Regenerate with: python -m taskmaestro.schema > taskmaestro/workflow.schema.json
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_json()
