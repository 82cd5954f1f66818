"""ResultPersistenceHook: each completed task's output as ``<instance name>.json``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .._contract import INSTANCE_NAME
from .._files import write_atomically
from ._filenames import result_file_name
from .base import BaseHook

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ..job import Job
    from ..task import Task

__all__ = ["ResultPersistenceHook", "write_atomically"]


class ResultPersistenceHook(BaseHook):
    """Writes ``output_dir/<instance name>.json`` (``output.model_dump_json(indent=2)``).

    Files are written atomically (a temporary file in the same folder, then
    ``os.replace``): a reader sees the previous file or the complete new one,
    never half of one. A name that is not a valid instance name (a path
    separator, ``..``) is refused rather than written outside ``output_dir``;
    one too long for a file name is shortened to ``{prefix}.{hash}.json`` (see
    ``_filenames``). An output that cannot be serialized is reported as a hook
    warning and leaves no file behind.

    Each completed item of a mapped task is written as ``<instance>[<key>].json``,
    the key percent-encoded (only ASCII letters, digits and ``_.-~`` kept), so
    that no key can leave ``output_dir`` or name another file; the whole
    ``MappedOutput`` is ``<instance>.json``, as for any task.
    """

    def __init__(self, output_dir: str | Path) -> None:
        self.output_dir: Path = Path(output_dir)

    def on_task_complete(self, job: Job[Any, Any], task: Task[Any, Any], output: BaseModel) -> None:
        self._write(task.name, "", output)

    def on_map_item_complete(
        self, job: Job[Any, Any], task: Task[Any, Any], key: str, output: BaseModel
    ) -> None:
        self._write(task.name, f"[{quote(key, safe='')}]", output)

    def _write(self, name: str, item: str, output: BaseModel) -> None:
        if not INSTANCE_NAME.fullmatch(name):
            raise ValueError(f"Task name {name!r} is not a safe file name; nothing written")
        data = output.model_dump_json(indent=2)
        write_atomically(self.output_dir / result_file_name(name + item), data)
