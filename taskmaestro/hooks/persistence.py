"""ResultPersistenceHook: each completed task's output as ``{task_name}.json``."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._filenames import result_file_name
from .base import BaseHook

if TYPE_CHECKING:
    from ..context import ExecutionContext
    from ..job import Job, TaskResult

__all__ = ["ResultPersistenceHook"]


class ResultPersistenceHook(BaseHook):
    """Writes ``output_dir/{task_name}.json`` for every completed task.

    Files are written atomically (a temporary file in the same folder, then
    ``os.replace``): a reader sees the previous file or the complete new one,
    never half of one. Task names are validated identifiers, so they are safe
    file names; one too long for a file name is shortened to ``{prefix}.{hash}.json``
    (see ``_filenames``). An output that cannot be serialized to JSON is reported as a
    hook warning and leaves no file behind.
    """

    def __init__(self, output_dir: str | Path) -> None:
        self.output_dir = Path(output_dir)

    def on_task_complete(
        self, job: Job[Any, Any], result: TaskResult, ctx: ExecutionContext
    ) -> None:
        if result.output is None:
            return
        data = result.output.model_dump_json(indent=2)
        write_atomically(self.output_dir / result_file_name(result.task_name), data)


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that the file is either complete or untouched."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
