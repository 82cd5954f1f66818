"""The mypy plugin of taskmaestro: wiring mistakes become type errors.

Enable it with ``plugins = ["pydantic.mypy", "taskmaestro.mypy"]`` (either
order, with or without pydantic's plugin). ``taskmaestro.mypy`` is the entry
module mypy imports; the plugin itself lives here and imports only mypy.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["PLUGIN_VERSION", "__version__", "source_digest"]

PLUGIN_VERSION = "1"
"""Bump on a change of behaviour; the source digest below catches every other edit."""


def source_digest(folder: Path) -> str:
    """A digest of the plugin's sources, so that any edit invalidates mypy's caches.

    mypy snapshots only the entry module's file and its ``__version__``; the
    plugin's own modules would otherwise change unnoticed behind a warm cache.
    """
    digest = hashlib.sha256()
    try:
        for path in sorted(folder.glob("*.py")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    except OSError:  # pragma: no cover - sources unreadable (zipped): the version alone
        return "unknown"
    return digest.hexdigest()[:16]


__version__ = f"{PLUGIN_VERSION}+{source_digest(Path(__file__).parent)}"
