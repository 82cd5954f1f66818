"""Property-based: whatever the files hold, loading succeeds or raises ConfigLoadError."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taskmaestro import ConfigLoadError, LoadedWorkflow, load_workflow_from_yaml

from .yaml_support import M

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

VALID_WORKFLOW = f"""
workflow:
  name: w
  tasks:
    - task: {M}.AddOne
    - task: {M}.Scale
      depends_on: add_one
      config_fields: [factor]
"""

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(
        [
            f"{M}.AddOne",
            f"{M}.Scale",
            f"{M}.Split",
            f"{M}.Number",
            f"{M}.RecordingHook",
            "taskmaestro.hooks.timing.TimingHook",
            "add_one",
            "scale",
            "split",
            "value",
            "factor",
            "os.system",
            "self.yaml",
            "no.such.Thing",
        ]
    )
)
yaml_data = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=12) | st.integers(), children, max_size=4)
    ),
    max_leaves=25,
)

KEYS = [
    "workflow", "runner", "context", "name", "tasks", "result_task", "task", "depends_on",
    "config_fields", "workflow_input", "hooks", "hook", "params", "timeout_seconds",
    "services", "correlation_id", "scratch_dir", "value", "factor", "add_one", "scale",
]  # fmt: skip
format_like = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS), children, max_size=5)
    ),
    max_leaves=30,
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("properties")
    (path / "valid.yaml").write_text(VALID_WORKFLOW)
    (path / "valid_input.yaml").write_text("value: 1\n")
    return path


def load_or_refuse(workflow: Path, inputs: Path | None) -> LoadedWorkflow | None:
    """The only acceptable outcomes: a loaded workflow, or a located ConfigLoadError."""
    refused: ConfigLoadError | None = None
    try:
        loaded = load_workflow_from_yaml(workflow, inputs)
    except ConfigLoadError as error:
        refused = error
    if refused is None:
        loaded.context.close()
        return loaded
    assert refused.path is not None
    assert str(refused).startswith(f"{refused.path}:")
    if refused.line is not None:
        assert refused.line >= 1
        assert refused.column is not None
        assert refused.column >= 1
    return None


@SETTINGS
@given(text=st.text(max_size=400))
def test_any_text_as_the_workflow_file(folder: Path, text: str) -> None:
    (folder / "text.yaml").write_text(text, encoding="utf-8")
    load_or_refuse(folder / "text.yaml", folder / "valid_input.yaml")


@SETTINGS
@given(content=st.binary(max_size=300))
def test_any_bytes_as_the_input_file(folder: Path, content: bytes) -> None:
    (folder / "bytes.yaml").write_bytes(content)
    load_or_refuse(folder / "valid.yaml", folder / "bytes.yaml")


@SETTINGS
@given(data=yaml_data)
def test_any_yaml_data_as_either_file(folder: Path, data: object) -> None:
    (folder / "data.yaml").write_text(yaml.safe_dump(data))
    load_or_refuse(folder / "data.yaml", folder / "valid_input.yaml")
    load_or_refuse(folder / "valid.yaml", folder / "data.yaml")


@SETTINGS
@given(data=format_like, inputs=format_like)
def test_yaml_data_shaped_like_the_format(folder: Path, data: object, inputs: object) -> None:
    (folder / "self.yaml").write_text(yaml.safe_dump(data))
    (folder / "inputs.yaml").write_text(yaml.safe_dump(inputs))
    load_or_refuse(folder / "self.yaml", folder / "inputs.yaml")


@SETTINGS
@given(
    tasks=st.lists(
        st.fixed_dictionaries(
            {"task": st.sampled_from([f"{M}.AddOne", f"{M}.Scale", f"{M}.Split", f"{M}.Sum"])},
            optional={
                "name": st.sampled_from(["a", "b", "c", "add_one", "bad name"]),
                "depends_on": st.sampled_from(["a", "b", "add_one", f"{M}.AddOne"])
                | st.tuples(st.sampled_from(["a", "split"]), st.sampled_from(["low", "x"])).map(
                    list
                )
                | st.dictionaries(
                    st.sampled_from(["a", "b", "value"]),
                    st.sampled_from(["a", "b", "add_one", "split"]),
                    max_size=2,
                ),
                "config_fields": st.lists(st.sampled_from(["value", "factor", "x"]), max_size=2),
            },
        ),
        max_size=5,
    ),
    inputs=st.sampled_from(
        ["value: 1\n", "a: {value: 1}\n", "add_one: {value: 2}\nscale: {factor: 2}\n", ""]
    ),
)
def test_random_wirings_load_or_fail_with_a_located_error(
    folder: Path, tasks: list[object], inputs: str
) -> None:
    workflow = {"workflow": {"name": "random", "tasks": tasks}}
    (folder / "wiring.yaml").write_text(yaml.safe_dump(workflow))
    (folder / "wiring_input.yaml").write_text(inputs)
    loaded = load_or_refuse(folder / "wiring.yaml", folder / "wiring_input.yaml")
    if loaded is not None:
        assert len(loaded.workflow.task_names) == len(tasks)
