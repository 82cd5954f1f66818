"""The mypy plugin entry point: ``plugins = ["pydantic.mypy", "taskmaestro.mypy"]``.

It imports only mypy and the plugin package (``mypy_plugin``), never the
runtime library, so that it adds little to every mypy start. mypy snapshots
this file and ``__version__`` to decide whether caches are still valid; the
version includes a digest of the plugin's sources.
"""

from __future__ import annotations

from mypy.plugin import Plugin

from mypy_plugin import __version__
from mypy_plugin.plugin import TaskmaestroPlugin

__all__ = ["__version__", "plugin"]


def plugin(version: str) -> type[Plugin]:
    """Called by mypy with its version; the plugin supports mypy 2.4 and 2.5."""
    return TaskmaestroPlugin
