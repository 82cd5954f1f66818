"""Tasks, hooks and helpers for the YAML loader tests (dotted path: ``tests.yaml_support``)."""

from __future__ import annotations

import textwrap
from abc import abstractmethod
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Field

from taskmaestro import BaseHook, ConfigLoadError, ExecutionContext, Job, Task

# Shared with the runtime tests; workflow files name them as tests.yaml_support.X.
from .helpers import AddOne, Double, Number, Pair, Sum, Text, Total, ToText

__all__ = ["AddOne", "Double", "Number", "Pair", "Sum", "Text", "ToText", "Total"]

M = "tests.yaml_support"
"""The dotted module path of this module, for use in workflow files."""


class Scaled(BaseModel):
    value: int
    factor: int = Field(default=1, ge=1)


class Offset(BaseModel):
    value: int
    offset: int


class ContextEcho(BaseModel):
    correlation_id: str
    greeting: str
    scratch_dir: str


class Scale(Task[Scaled, Number]):
    def run(self, input: Scaled, ctx: ExecutionContext) -> Number:
        return Number(value=input.value * input.factor)


class AddOffset(Task[Offset, Number]):
    def run(self, input: Offset, ctx: ExecutionContext) -> Number:
        return Number(value=input.value + input.offset)


class Split(Task):
    """Two named outputs, for [task, field] routing."""

    class Inputs(BaseModel):
        value: int

    class Outputs(BaseModel):
        low: Number
        high: Number
        label: str

    def run(self, input: Inputs, ctx: ExecutionContext) -> Outputs:
        return self.Outputs(
            low=Number(value=input.value - 1), high=Number(value=input.value + 1), label="x"
        )


class EchoContext(Task[Number, ContextEcho]):
    """Shows what the ExecutionContext holds; writes a file into the scratch folder."""

    def run(self, input: Number, ctx: ExecutionContext) -> ContextEcho:
        (ctx.scratch_dir / "touched.txt").write_text("yes", encoding="utf-8")
        return ContextEcho(
            correlation_id=ctx.correlation_id,
            greeting=ctx.resolve("greeting"),
            scratch_dir=str(ctx.scratch_dir),
        )


class Unfinished(Task[Number, Number]):
    """Abstract: ``helper`` is left unimplemented."""

    @abstractmethod
    def helper(self) -> None: ...

    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        return input


class NoModels(Task):
    """Neither type arguments nor nested Inputs/Outputs."""

    def run(self, input: Any, ctx: ExecutionContext) -> Any:
        return input


class NotATask:
    """A class that is neither a Task nor a hook."""


def not_a_class() -> None:
    """A function, where a class is expected."""


class RecordingHook(BaseHook):
    """A hook with typed parameters, recording the events it sees."""

    def __init__(self, folder: Path, label: str = "hook", repeat: int = 1) -> None:
        self.folder = folder
        self.label = label
        self.repeat = repeat
        self.events: list[str] = []

    def on_task_complete(self, job: Job[Any, Any], task: Task[Any, Any], output: BaseModel) -> None:
        self.events.append(task.name)


class ExplodingHook(BaseHook):
    """Its constructor refuses every value."""

    def __init__(self, limit: int) -> None:
        raise ValueError(f"limit {limit} is too small")


class DuckHook:
    """A hook by protocol: every event method, no BaseHook."""

    def on_job_start(self, job: Any) -> None: ...
    def on_job_complete(self, job: Any) -> None: ...
    def on_job_fail(self, job: Any) -> None: ...
    def on_task_start(self, job: Any, task: Any) -> None: ...
    def on_task_complete(self, job: Any, task: Any, output: Any) -> None: ...
    def on_task_fail(self, job: Any, task: Any, error: Any) -> None: ...


def write(folder: Path, name: str, text: str) -> Path:
    """Write ``text`` (dedented) to ``folder/name`` and return the path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def line_of(path: Path, fragment: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th line of ``path`` containing ``fragment``."""
    found = [n for n, line in enumerate(path.read_text().splitlines(), 1) if fragment in line]
    return found[occurrence - 1]


def load_error(
    workflow: Path, inputs: Path | None = None, *, match: str | None = None
) -> ConfigLoadError:
    """The ConfigLoadError that loading raises (the test fails if it loads)."""
    from taskmaestro import load_workflow_from_yaml

    with pytest.raises(ConfigLoadError, match=match) as caught:
        load_workflow_from_yaml(workflow, inputs)
    error = caught.value
    assert str(error).startswith(f"{error.path}:")
    return error


def assert_at(error: ConfigLoadError, path: Path, line: int) -> None:
    """The error points at ``path``, line ``line`` (and says so in its message)."""
    assert error.path is not None
    assert Path(error.path).resolve() == path.resolve(), str(error)
    assert error.line == line, str(error)
    assert error.column is not None
    assert error.column >= 1
    assert str(error).startswith(f"{error.path}:{line}:{error.column}: ")
