"""The mypy plugin entry point: ``plugins = ["pydantic.mypy", "taskmaestro.mypy"]``.

It imports only mypy and the plugin package, never the runtime library, so
that it adds little to every mypy start. mypy snapshots this file and
``__version__`` to decide whether caches are still valid; the version includes
a digest of the plugin's sources.

The plugin package has one name in every install, ``taskmaestro._mypy_plugin``
(:data:`PLUGIN_PACKAGE`). A wheel ships it there, built from the repository's
``mypy_plugin/`` folder. A source tree (an editable install, which puts the
repository root on ``sys.path``) has only that folder, beside this package:
it is loaded from there by path, under the same private name. The top-level
name ``mypy_plugin`` is never imported, so a user's own ``mypy_plugin.py``
cannot stand in for the plugin.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Final

from mypy.plugin import Plugin

__all__ = ["PLUGIN_PACKAGE", "__version__", "plugin"]

PLUGIN_PACKAGE: Final = "taskmaestro._mypy_plugin"
_SOURCE_FOLDER: Final = Path(__file__).resolve().parent.parent / "mypy_plugin"


def _load_from_source_tree() -> None:
    """Register the repository's ``mypy_plugin/`` folder as :data:`PLUGIN_PACKAGE`."""
    spec = importlib.util.spec_from_file_location(
        PLUGIN_PACKAGE,
        _SOURCE_FOLDER / "__init__.py",
        submodule_search_locations=[str(_SOURCE_FOLDER)],
    )
    if spec is None or spec.loader is None or not (_SOURCE_FOLDER / "plugin.py").is_file():
        raise ImportError(
            f"taskmaestro's mypy plugin is missing: no {PLUGIN_PACKAGE} in the installed "
            f"package and no plugin sources in {_SOURCE_FOLDER}",
            name=PLUGIN_PACKAGE,
        )
    package = importlib.util.module_from_spec(spec)
    sys.modules[PLUGIN_PACKAGE] = package
    try:
        spec.loader.exec_module(package)
    except BaseException:
        del sys.modules[PLUGIN_PACKAGE]
        raise


def _plugin_module(name: str) -> ModuleType:
    """``taskmaestro._mypy_plugin.<name>`` (the package itself for ``""``), from a wheel or not."""
    if PLUGIN_PACKAGE not in sys.modules and importlib.util.find_spec(PLUGIN_PACKAGE) is None:
        _load_from_source_tree()
    return importlib.import_module(f"{PLUGIN_PACKAGE}.{name}" if name else PLUGIN_PACKAGE)


def _plugin_class() -> type[Plugin]:
    found: object = getattr(_plugin_module("plugin"), "TaskmaestroPlugin", None)
    if not (isinstance(found, type) and issubclass(found, Plugin)):
        raise ImportError(f"{PLUGIN_PACKAGE}.plugin defines no TaskmaestroPlugin class")
    return found


__version__: Final[str] = str(_plugin_module("").__version__)
_PLUGIN_CLASS: Final = _plugin_class()


def plugin(version: str) -> type[Plugin]:
    """Called by mypy with its version; the supported range is the ``mypy`` extra's pin.

    The error codes are registered here, before mypy reads its cache: a warm run
    reports cached errors without running a hook, and mypy prints an error's code
    only when the code is registered.
    """
    _plugin_module("codes")
    return _PLUGIN_CLASS
