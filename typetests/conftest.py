"""Settings for the pytest-mypy-plugins cases in this folder.

The cases run mypy in this process (``--mypy-same-process``): the plugin sees
``TASKMAESTRO_MYPY_DEBUG`` and re-raises instead of hiding its own errors. The
shared mypy cache (stdlib, pydantic, taskmaestro stay warm between cases and
runs) lives in ``.pytest_cache`` of the project, not in the machine's temp dir
that other checkouts share.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pytest_mypy_plugins import utils

os.environ["TASKMAESTRO_MYPY_DEBUG"] = "1"
# pytest-mypy-plugins looks for a `mypy` executable on PATH even in same-process
# mode: use the one installed next to this interpreter (the project's venv).
os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])


def pytest_configure(config: pytest.Config) -> None:
    base = Path(config.rootpath) / ".pytest_cache" / "typetests"
    base.mkdir(parents=True, exist_ok=True)
    config.option.mypy_testing_base = str(base)
    patch = pytest.MonkeyPatch()
    patch.setattr(utils, "temp_sys_modules", _keep_sys_modules)
    config.add_cleanup(patch.undo)


@contextmanager
def _keep_sys_modules() -> Iterator[None]:
    """Keep the modules a same-process mypy run imported (mypy imports no user code).

    pytest-mypy-plugins 4.1 rebinds ``sys.modules`` to a copy after each case,
    which the import machinery does not see: later imports (hypothesis's pytest
    plugin at the end of the session) then fail half-way through circular
    imports. Deleting the new entries in place breaks compiled mypy instead,
    which keeps references to modules it imported lazily (``sqlite3``).
    """
    yield
