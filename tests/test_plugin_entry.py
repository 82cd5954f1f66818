"""The plugin's entry point: what it imports, its version, and its crash guard."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import cast

import pytest
from mypy.nodes import Context
from mypy.options import Options
from mypy.plugin import CheckerPluginInterface, FunctionContext, ReportConfigContext
from mypy.types import AnyType, Type, TypeOfAny

import mypy_plugin
import taskmaestro.mypy
from mypy_plugin.plugin import DEBUG_ENV, TaskmaestroPlugin

# The source folder as a package of its own (above) serves the unit tests below;
# mypy loads the same sources through the entry, as taskmaestro._mypy_plugin.


def test_entry_imports_only_mypy_and_the_plugin_class() -> None:
    """mypy imports the entry on every start: no pydantic, no runtime, no hook modules."""
    code = (
        "import sys, taskmaestro.mypy; "
        "print(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('taskmaestro', 'mypy_plugin', 'pydantic', 'yaml')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == [
        "['taskmaestro',",
        "'taskmaestro._mypy_plugin',",
        "'taskmaestro._mypy_plugin.names',",
        "'taskmaestro._mypy_plugin.plugin',",
        "'taskmaestro.mypy']",
    ]


def test_plugin_function_registers_the_error_codes() -> None:
    """A warm run prints cached errors without running a hook: their codes must be known."""
    code = (
        "import taskmaestro.mypy; from mypy.errorcodes import error_codes; "
        "print('taskmaestro-type' in error_codes); taskmaestro.mypy.plugin('2.4.1'); "
        "print('taskmaestro-type' in error_codes)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"]


def test_plugin_function_and_version() -> None:
    plugin_class = taskmaestro.mypy.plugin("2.4.1")
    assert plugin_class.__module__ == f"{taskmaestro.mypy.PLUGIN_PACKAGE}.plugin"
    assert plugin_class.__qualname__ == TaskmaestroPlugin.__qualname__
    assert taskmaestro.mypy.__version__ == mypy_plugin.__version__
    plugin = plugin_class(Options())
    context = ReportConfigContext("module", "module.py", is_check=True)
    assert plugin.report_config_data(context) == mypy_plugin.__version__


def test_version_changes_with_any_plugin_source(tmp_path: Path) -> None:
    copy = tmp_path / "mypy_plugin"
    shutil.copytree(Path(mypy_plugin.__file__).parent, copy)
    shared = tmp_path / "shared.py"
    shared.write_text('"""A runtime module the plugin reads."""\n')
    before = mypy_plugin.source_digest(copy, shared)
    assert mypy_plugin.source_digest(copy, shared) == before
    assert mypy_plugin.__version__.endswith(
        mypy_plugin.source_digest(copy, *mypy_plugin.shared_sources())
    )
    rules = copy / "rules.py"
    rules.write_text(rules.read_text() + "\n# edited\n")
    edited = mypy_plugin.source_digest(copy, shared)
    assert edited != before
    shared.write_text(shared.read_text() + "# edited\n")
    assert mypy_plugin.source_digest(copy, shared) != edited


def _context() -> FunctionContext:
    return FunctionContext(
        arg_types=[],
        arg_kinds=[],
        callee_arg_names=[],
        arg_names=[],
        default_return_type=AnyType(TypeOfAny.special_form),
        args=[],
        context=Context(),
        api=cast("CheckerPluginInterface", None),
    )


def _broken(ctx: FunctionContext) -> Type:
    raise RuntimeError("a bug in a hook")


def test_a_failing_hook_falls_back_to_mypy_result(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DEBUG_ENV, raising=False)
    guarded = TaskmaestroPlugin(Options())._guard_type(_broken)
    ctx = _context()
    assert guarded(ctx) is ctx.default_return_type


def test_a_failing_hook_raises_in_debug_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DEBUG_ENV, "1")
    guarded = TaskmaestroPlugin(Options())._guard_type(_broken)
    with pytest.raises(RuntimeError, match="a bug in a hook"):
        guarded(_context())


def test_hook_modules_share_the_contract_without_the_runtime() -> None:
    """The hooks use ``taskmaestro._contract`` (names, cycles, messages), and nothing heavier."""
    code = (
        "import sys, mypy.plugin, mypy_plugin.hooks, mypy_plugin.fields, mypy_plugin.tasks; "
        "print(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('taskmaestro', 'pydantic', 'yaml')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["['taskmaestro',", "'taskmaestro._contract']"]
