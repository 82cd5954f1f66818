"""Hostile and malformed input: always a quick ConfigLoadError, bounded memory, no Python tags."""

from __future__ import annotations

import copy
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from taskmaestro import ConfigLoadError, JobStatus, load_workflow_from_yaml
from taskmaestro._yaml.source import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES

from .yaml_support import M, assert_at, load_error, write

EXAMPLE = Path(__file__).parent / "yaml_fixtures" / "text_analysis"

VALID = f"""
workflow:
  name: w
  tasks:
    - task: {M}.AddOne
      name: first
    - task: {M}.Scale
      depends_on: first
      config_fields: [factor]
runner:
  timeout_seconds: 10
  hooks:
    - hook: {M}.RecordingHook
      params: {{folder: out}}
context:
  correlation_id: abc
  services: {{greeting: hi}}
"""


def billion_laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        previous = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([previous] * 9)}]")
    return "\n".join(lines) + "\n"


def peak_memory_of(action: object) -> int:
    """Peak bytes allocated while ``action()`` runs (it must raise ConfigLoadError)."""
    tracemalloc.start()
    try:
        with pytest.raises(ConfigLoadError):
            action()  # type: ignore[operator]
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_python_tags_are_never_constructed(tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    workflow = write(
        tmp_path,
        "w.yaml",
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
        context:
          services:
            evil: !!python/object/apply:os.mkdir ["{target}"]
        """,
    )
    inputs = write(tmp_path, "in.yaml", "value: 1\n")
    error = load_error(workflow, inputs, match="refused tag '!!python/object/apply:os.mkdir'")
    assert_at(error, workflow, 7)
    assert not target.exists()


def test_a_python_tag_where_a_class_path_is_expected(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        "w.yaml",
        """
        workflow:
          name: w
          tasks:
            - task: !!python/name:os.system
        """,
    )
    error = load_error(
        workflow,
        match="refused tag '!!python/name:os.system': only YAML's own tags are allowed",
    )
    assert_at(error, workflow, 4)


@pytest.mark.parametrize("where", ["workflow", "input"])
def test_an_alias_bomb_fails_fast_with_bounded_memory(tmp_path: Path, where: str) -> None:
    bomb = billion_laughs()
    if where == "workflow":
        nested = "".join(f"      {line}\n" for line in bomb.splitlines())
        text = VALID.replace("services: {greeting: hi}\n", "services:\n    bomb:\n" + nested)
        workflow = write(tmp_path, "w.yaml", text)
        inputs = write(tmp_path, "in.yaml", "value: 1\n")
    else:
        workflow = write(tmp_path, "w.yaml", VALID)
        inputs = write(tmp_path, "in.yaml", "value: 1\n" + bomb)
    peak = peak_memory_of(lambda: load_workflow_from_yaml(workflow, inputs))
    assert peak < 30 * 1024 * 1024
    with pytest.raises(ConfigLoadError, match="aliases expand to more than"):
        load_workflow_from_yaml(workflow, inputs)


def test_a_merge_key_bomb_is_refused_before_merging(tmp_path: Path) -> None:
    lines = ["m0: &m0 {a: 1, b: 2}"]
    for level in range(1, 12):
        lines.append(f"m{level}: &m{level} {{<<: [{', '.join([f'*m{level - 1}'] * 9)}]}}")
    inputs = write(tmp_path, "in.yaml", "value: 1\n" + "\n".join(lines) + "\n")
    workflow = write(tmp_path, "w.yaml", VALID)
    with pytest.raises(ConfigLoadError, match="aliases expand to more than"):
        load_workflow_from_yaml(workflow, inputs)


def test_deep_block_nesting(tmp_path: Path) -> None:
    depth = MAX_DEPTH + 50
    text = "".join(f"{' ' * level}k{level}:\n" for level in range(depth)) + " " * depth + "x\n"
    inputs = write(tmp_path, "in.yaml", text)
    error = load_error(write(tmp_path, "w.yaml", VALID), inputs, match=f"more than {MAX_DEPTH}")
    assert_at(error, inputs, MAX_DEPTH + 1)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 900, 5000, 100_000])
def test_deep_flow_nesting(tmp_path: Path, depth: int) -> None:
    workflow = write(tmp_path, "w.yaml", "workflow: " + "[" * depth + "]" * depth + "\n")
    peak = peak_memory_of(lambda: load_workflow_from_yaml(workflow))
    assert peak < 30 * 1024 * 1024


def test_deep_nesting_through_aliases(tmp_path: Path) -> None:
    lines = ["n0: &n0 [1]"] + [f"n{i}: &n{i} [*n{i - 1}]" for i in range(1, 3 * MAX_DEPTH)]
    inputs = write(tmp_path, "in.yaml", "value: 1\n" + "\n".join(lines) + "\n")
    error = load_error(write(tmp_path, "w.yaml", VALID), inputs, match="aliases nest it")
    assert error.path == str(inputs)


def test_a_recursive_alias(tmp_path: Path) -> None:
    inputs = write(tmp_path, "in.yaml", "value: 1\nloop: &loop [1, *loop]\n")
    error = load_error(write(tmp_path, "w.yaml", VALID), inputs, match="recursive")
    assert_at(error, inputs, 2)


def test_a_huge_file_is_refused_without_parsing(tmp_path: Path) -> None:
    inputs = tmp_path / "in.yaml"
    with inputs.open("w") as stream:
        stream.write("value: 1\nblob: ")
        stream.write("x" * (MAX_FILE_BYTES + 10))
    peak = peak_memory_of(lambda: load_workflow_from_yaml(write(tmp_path, "w.yaml", VALID), inputs))
    assert peak < 3 * MAX_FILE_BYTES
    with pytest.raises(ConfigLoadError, match=f"larger than {MAX_FILE_BYTES} bytes"):
        load_workflow_from_yaml(tmp_path / "w.yaml", inputs)


def test_too_many_nodes(tmp_path: Path) -> None:
    inputs = write(tmp_path, "in.yaml", "value: 1\nmany: [" + "1," * (MAX_NODES + 1) + "1]\n")
    with pytest.raises(ConfigLoadError, match=f"more than {MAX_NODES} nodes"):
        load_workflow_from_yaml(write(tmp_path, "w.yaml", VALID), inputs)


@pytest.mark.parametrize(
    ("content", "match", "line"),
    [
        (b"workflow:\n  name: \xff\xfe\n", "not valid UTF-8", 2),
        (b"workflow:\n  name: a\x07b\n", "YAML parse error: .*control characters", 2),
        (b"workflow: {name: w}\n---\nworkflow: {name: v}\n", "expected a single document", 2),
        (b"workflow:\n\tname: w\n", "YAML parse error", 2),
        (b"workflow: {name: w, tasks: [}\n", "YAML parse error", 1),
        (b"? [a, b]\n: c\n", "keys are names, got a list", 1),
    ],
)
def test_malformed_files(tmp_path: Path, content: bytes, match: str, line: int) -> None:
    workflow = tmp_path / "w.yaml"
    workflow.write_bytes(content)
    error = load_error(workflow, match=match)
    assert_at(error, workflow, line)


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    workflow = tmp_path / "w.yaml"
    workflow.write_bytes(b"\xef\xbb\xbf" + VALID.encode())
    loaded = load_workflow_from_yaml(workflow, write(tmp_path, "in.yaml", "value: 1\n"))
    assert loaded.workflow.name == "w"


def paths_of(data: object, prefix: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    """Every path to a value inside nested dicts and lists."""
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from paths_of(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from paths_of(value, (*prefix, index))


def replaced(data: object, path: tuple[object, ...], value: object) -> object:
    if not path:
        return value
    result = copy.deepcopy(data)
    holder: object = result
    for part in path[:-1]:
        holder = holder[part]  # type: ignore[index]
    holder[path[-1]] = value  # type: ignore[index]
    return result


WRONG_VALUES: list[object] = [None, 0, -1.5, True, "", "x.y", [], [1, [2]], {}, {"k": "v"}]


def test_a_wrong_type_at_any_level_is_a_config_load_error(tmp_path: Path) -> None:
    valid = yaml.safe_load(VALID)
    inputs = write(tmp_path, "in.yaml", "value: 1\n")
    loaded = 0
    refused: list[ConfigLoadError] = []
    for path in paths_of(valid):
        for wrong in WRONG_VALUES:
            workflow = tmp_path / "w.yaml"
            workflow.write_text(yaml.safe_dump(replaced(valid, path, wrong)))
            try:
                load_workflow_from_yaml(workflow, inputs)
            except ConfigLoadError as error:
                refused.append(error)
            else:
                loaded += 1
    assert len(refused) > 100
    assert [str(error) for error in refused if error.line is None] == []
    assert loaded > 0  # e.g. null for an optional key


def test_a_thousand_task_workflow_loads(tmp_path: Path) -> None:
    lines = ["workflow:", "  name: big", "  tasks:", f"    - task: {M}.AddOne", "      name: t0"]
    for index in range(1, 1000):
        lines += [
            f"    - task: {M}.AddOne",
            f"      name: t{index}",
            f"      depends_on: t{index - 1}",
        ]
    workflow = write(tmp_path, "big.yaml", "\n".join(lines) + "\n")
    loaded = load_workflow_from_yaml(workflow, write(tmp_path, "in.yaml", "value: 0\n"))
    assert len(loaded.workflow.task_names) == 1000
    job = loaded.run()
    assert job.status is JobStatus.COMPLETED
    assert job.result is not None
    assert job.result.value == 1000


def test_the_example_still_loads_after_all_of_this() -> None:
    loaded = load_workflow_from_yaml(EXAMPLE / "workflow.yaml", EXAMPLE / "input.yaml")
    assert loaded.workflow.name == "text_analysis"
