"""Files the library writes: whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["write_atomically"]


def write_atomically(path: Path, text: str, *, sync: bool = True) -> None:
    """Write ``text`` to ``path`` so that the file is either complete or untouched.

    A temporary file in the same folder, then ``os.replace``: a concurrent
    reader sees the previous file or the complete new one, never half of one.
    ``sync``: flush it to the disk before it replaces the old file (so that it
    also survives a power loss, not only a crash of the process).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            if sync:
                os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
