"""File names for task results: ``{task_name}.json``, shortened when too long for a file system.

Most file systems limit a name to 255 bytes, and ``write_atomically`` first
writes a temporary file whose name adds 14 bytes to it. A task name whose
``.json`` file name would pass ``MAX_FILE_NAME_BYTES`` keeps its first bytes,
followed by ``.`` and 16 hex digits of the name's SHA-256:
``{prefix}.{hash}.json``. Task names never contain a dot, so a shortened name
can never be the file name of another task; two long names sharing a prefix
differ by their hash. A mapped item's name, ``task[key]`` with the key
percent-encoded, may hold dots, but unshortened it ends with ``]`` where a
shortened name ends with its hash.
"""

from __future__ import annotations

import hashlib

__all__ = ["MAX_FILE_NAME_BYTES", "result_file_name"]

MAX_FILE_NAME_BYTES = 200
"""The longest result file name written, in UTF-8 bytes (room left for the temporary file's)."""

_SUFFIX = ".json"
_HASH_DIGITS = 16


def result_file_name(task_name: str) -> str:
    """The name of the file holding ``task_name``'s output."""
    whole = f"{task_name}{_SUFFIX}"
    if len(whole.encode()) <= MAX_FILE_NAME_BYTES:
        return whole
    digest = hashlib.sha256(task_name.encode()).hexdigest()[:_HASH_DIGITS]
    room = MAX_FILE_NAME_BYTES - len(_SUFFIX) - 1 - _HASH_DIGITS
    prefix = task_name.encode()[:room].decode(errors="ignore")  # never half a character
    return f"{prefix}.{digest}{_SUFFIX}"
