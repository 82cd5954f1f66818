"""The mypy plugin of taskmaestro: wiring mistakes become type errors.

Enable it with ``plugins = ["pydantic.mypy", "taskmaestro.mypy"]`` (either
order, with or without pydantic's plugin). ``taskmaestro.mypy`` is the entry
module mypy imports; the plugin itself lives here and imports only mypy.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path
from typing import Final

__all__ = ["PLUGIN_VERSION", "SHARED_MODULES", "__version__", "shared_sources", "source_digest"]

PLUGIN_VERSION = "1"
"""Bump on a change of behaviour; the source digest below catches every other edit."""

SHARED_MODULES: Final = ("taskmaestro._contract",)
"""Dependency-free runtime modules the plugin may import: their sources count in the digest."""


def shared_sources() -> list[Path]:
    """The files of :data:`SHARED_MODULES` that exist, found without importing them."""
    found = (importlib.util.find_spec(name) for name in SHARED_MODULES)
    return [Path(spec.origin) for spec in found if spec is not None and spec.origin]


def source_digest(folder: Path, *shared: Path) -> str:
    """A digest of the plugin's sources, so that any edit invalidates mypy's caches.

    mypy snapshots only the entry module's file and its ``__version__``; the
    plugin's own modules (and the ``shared`` runtime files it reads) would
    otherwise change unnoticed behind a warm cache.
    """
    digest = hashlib.sha256()
    try:
        for path in [*sorted(folder.glob("*.py")), *shared]:
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    except OSError:  # pragma: no cover - sources unreadable (zipped): the version alone
        return "unknown"
    return digest.hexdigest()[:16]


__version__ = f"{PLUGIN_VERSION}+{source_digest(Path(__file__).parent, *shared_sources())}"
