"""The runtime's verdict on every wiring scenario, and its agreement with the static one."""

from __future__ import annotations

import sys
import textwrap
import types
from collections.abc import Iterator

import pytest

from taskmaestro import collect
from taskmaestro.exceptions import WorkflowDefinitionError
from tests.wiring_scenarios import ERROR_OF_CODE, PRELUDE, SCENARIOS, Scenario


@pytest.fixture(scope="module")
def prelude() -> Iterator[dict[str, object]]:
    """The prelude as a real module: Pydantic resolves annotations through sys.modules."""
    module = types.ModuleType("wiring_prelude")
    sys.modules[module.__name__] = module
    try:
        exec(compile(PRELUDE, "<wiring prelude>", "exec"), module.__dict__)
        yield dict(module.__dict__)
    finally:
        del sys.modules[module.__name__]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.id)
def test_runtime_verdict(scenario: Scenario, prelude: dict[str, object]) -> None:
    code = compile(scenario.code, f"<scenario {scenario.id}>", "exec")
    if scenario.runtime is None:
        exec(code, dict(prelude))
        return
    with pytest.raises(scenario.runtime) as raised:
        exec(code, dict(prelude))
    assert type(raised.value) is scenario.runtime


def test_table_agrees() -> None:
    """Where the plugin sees the wiring: invalid exactly when the runtime raises, same kind."""
    assert len({scenario.id for scenario in SCENARIOS}) == len(SCENARIOS)
    for scenario in SCENARIOS:
        assert set(scenario.static) <= set(ERROR_OF_CODE), scenario.id
        if not scenario.visible:
            assert not scenario.static, scenario.id
            assert scenario.runtime is not None, scenario.id
            continue
        assert bool(scenario.static) == (scenario.runtime is not None), scenario.id
        if scenario.runtime is not None:
            kinds = {ERROR_OF_CODE[code] for code in scenario.static}
            assert scenario.runtime in kinds, scenario.id


def test_subscripted_generic_task_reads_the_same_in_a_script() -> None:
    """Issue 17.2: the refusal names no module, so a program run as ``__main__`` says what
    the plugin says (typetests/test-generics.yml)."""
    script = textwrap.dedent(
        """
        from typing import Generic, TypeVar
        from pydantic import BaseModel
        from taskmaestro import ExecutionContext, Task, Workflow

        T = TypeVar("T")

        class Outer:
            class Inner(BaseModel):
                x: int

        class Batch(BaseModel, Generic[T]):
            items: list[T]

        class Passthrough(Task[Batch[T], Batch[T]], Generic[T]):
            def run(self, input: Batch[T], ctx: ExecutionContext) -> Batch[T]:
                return input

        Workflow(name="w", tasks=[Passthrough[dict[str, Outer.Inner]]])
        """
    )
    module = types.ModuleType("__main__")
    with pytest.raises(WorkflowDefinitionError) as raised:
        exec(compile(script, "<script>", "exec"), module.__dict__)
    assert str(raised.value) == "Passthrough[dict[str, Outer.Inner]] is not a Task subclass"


def test_mixed_collect_says_what_the_plugin_says() -> None:
    """typetests/test-handles.yml (collect_checked): ``collect()`` with positional and
    keyword members raises the text the plugin reports at the call."""
    with pytest.raises(TypeError) as raised:
        collect("a", "b", y="c", x="d")  # type: ignore[taskmaestro-collection]
    assert str(raised.value) == (
        "collect() accepts either positional members or keyword members, not both "
        "(got 2 positional and keywords ['x', 'y'])"
    )
