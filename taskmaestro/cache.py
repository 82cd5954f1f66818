"""The result cache: task outputs kept in a folder, keyed by everything that determines them.

A task opts in with the class attribute ``cache = True`` (or a ``CachePolicy``)
and runs with a ``Runner(cache=...)``. Its entry's key is a SHA-256 digest of

- the task's identity: its class's ``module.qualname`` (not the instance name:
  two instances of one class given the same input compute the same output);
- its code version: ``cache_version`` when the class sets one; else a digest of
  the class's source (``inspect.getsource``); when the source cannot be read
  (a class made by ``exec`` or typed into a REPL), a digest of its methods'
  compiled code;
- its output model (``module.qualname``);
- the canonical JSON of its input (``to_canonical_json``).

An entry is one JSON file, written atomically (a temporary file, then
``os.replace``), so concurrent runs sharing a folder see a whole entry or
none; an unreadable, foreign or stale entry is a miss. ``Cache`` bounds the
folder by age and by total size (the least recently used entries go first),
and ``clear`` empties it (``taskmaestro cache clear DIR``).
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import marshal
import math
import os
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from numbers import Real
from pathlib import Path
from types import FunctionType
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from ._files import write_atomically
from .models import ObjectModel

__all__ = [
    "CACHE_TAG",
    "Cache",
    "CacheDirectoryError",
    "CachePolicy",
    "SerializationError",
    "cache_key",
    "cache_policy",
    "cache_policy_problem",
    "code_version",
    "from_canonical_json",
    "open_cache",
    "to_canonical_json",
    "to_stored_json",
]

M = TypeVar("M", bound=BaseModel)

ENTRY_FORMAT = 1
"""The layout of an entry file; entries of another format are misses."""

CACHE_TAG = "CACHEDIR.TAG"
"""The file that marks a folder as a cache (https://bford.info/cachedir/): backup tools skip it,
and ``Cache.clear`` removes files only from a folder that has it."""

_TAG_TEXT = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by taskmaestro's result cache.\n"
)


class SerializationError(ValueError):
    """A model that has no faithful canonical JSON form; the message says why."""


class CacheDirectoryError(OSError):
    """A cache folder that cannot be used or cleared (not a folder, or not a cache)."""


# -- canonical JSON ---------------------------------------------------------------------


def to_canonical_json(model: BaseModel) -> str:
    """``model`` as canonical JSON: sorted keys, no spaces, read back equal to ``model``.

    Raises ``SerializationError`` for an ``ObjectModel`` (it carries an arbitrary
    object), a value pydantic cannot serialize, and a model that JSON changes
    (a NaN, a tuple in an ``Any`` field...): such a value can be neither a cache
    key nor a cached output.
    """
    return _checked_json(model, sort_keys=True)


def to_stored_json(model: BaseModel) -> str:
    """``model`` as JSON in its own key order (a dict field keeps its order), checked as
    ``to_canonical_json`` checks it: what the cache stores as an output, so that a hit
    gives back the value the task returned, not a reordered one."""
    return _checked_json(model, sort_keys=False)


def _checked_json(model: BaseModel, *, sort_keys: bool) -> str:
    kind = type(model)
    if isinstance(model, ObjectModel):
        raise SerializationError(
            f"{kind.__qualname__} is an ObjectModel: it carries an arbitrary object, not data"
        )
    try:
        data = model.model_dump(mode="json")
        text = json.dumps(
            data, sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
        same = kind.model_validate_json(text) == model
    except (ValueError, TypeError) as error:  # pydantic's serialization and validation errors
        reason = " ".join(str(error).split())
        raise SerializationError(f"{kind.__qualname__} cannot be JSON: {reason}") from error
    if not same:
        raise SerializationError(
            f"{kind.__qualname__} does not survive a JSON round trip (read back, it differs)"
        )
    return text


def from_canonical_json(model: type[M], text: str) -> M:
    """The ``model`` instance that ``to_canonical_json`` wrote; pydantic's ``ValidationError``
    if ``text`` does not fit ``model``."""
    return model.model_validate_json(text)


# -- keys -------------------------------------------------------------------------------


def code_version(task: type, explicit: str | None) -> str | None:
    """The version of ``task``'s code in a cache key; ``None`` when it cannot be told.

    ``explicit`` (the class's ``cache_version``) wins; else a digest of the
    class's source; else of its methods' compiled code. Only the class itself is
    read: set ``cache_version`` when ``run`` depends on code outside it.
    """
    if explicit is not None:
        return f"explicit:{explicit}"
    return _code_digest(task)


@lru_cache(maxsize=4096)
def _code_digest(task: type) -> str | None:
    try:
        return "source:" + _digest(inspect.getsource(task).encode())
    except (OSError, TypeError):
        pass
    codes = [
        marshal.dumps(value.__code__)
        for _, value in sorted(vars(task).items())
        if isinstance(value, FunctionType)
    ]
    return "code:" + _digest(b"\0".join(codes)) if codes else None


def cache_key(identity: str, version: str, output_model: type[BaseModel], task_input: str) -> str:
    """The key of a task's entry: a digest of its identity, code version, output model and
    the canonical JSON of its input (``to_canonical_json``)."""
    output = f"{output_model.__module__}.{output_model.__qualname__}"
    parts = json.dumps([ENTRY_FORMAT, identity, version, output, task_input])
    return _digest(parts.encode())


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- policies ---------------------------------------------------------------------------


def _age_problem(value: object, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, Real) and not isinstance(value, bool) and 0 < float(value) < math.inf:
        return None
    return f"{name} must be a positive, finite number of seconds or None; got {value!r}"


@dataclass(frozen=True, slots=True)
class CachePolicy:
    """How one task class is cached: ``cache = CachePolicy(max_age_seconds=3600)``.

    ``max_age_seconds``: an entry older than this is a miss for this task
    (``None``: as old as the cache allows). ``cache = True`` is ``CachePolicy()``.
    """

    max_age_seconds: float | None = None

    def __post_init__(self) -> None:
        problem = _age_problem(self.max_age_seconds, "max_age_seconds")
        if problem is not None:
            raise ValueError(problem)


def cache_policy_problem(value: object) -> str | None:
    """Why ``value`` is no task ``cache`` setting (a bool or a ``CachePolicy``), or ``None``."""
    if isinstance(value, bool | CachePolicy):
        return None
    return f"cache must be True, False or a CachePolicy; got {value!r}"


def cache_policy(value: bool | CachePolicy) -> CachePolicy | None:
    """The policy of a task's ``cache`` setting; ``None`` when the task is not cached."""
    if isinstance(value, CachePolicy):
        return value
    return CachePolicy() if value else None


# -- the store --------------------------------------------------------------------------


class Cache:
    """A folder of cached task outputs, shared safely by concurrent runs.

    ``max_age_seconds``: entries older than this are misses, and are removed.
    ``max_bytes``: when the entries grow beyond it, the least recently used
    (written or hit) are removed until they fit. The folder is created, with a
    ``CACHEDIR.TAG``, at the first write.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        max_age_seconds: float | None = None,
        max_bytes: int | None = None,
    ) -> None:
        problem = _age_problem(max_age_seconds, "max_age_seconds")
        if max_bytes is not None and (
            isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1
        ):
            problem = f"max_bytes must be a positive integer or None; got {max_bytes!r}"
        if problem is not None:
            raise ValueError(f"Cache: {problem}")
        self.directory: Path = Path(directory)
        self.max_age_seconds: float | None = max_age_seconds
        self.max_bytes: int | None = max_bytes
        self._lock = threading.Lock()
        self._bytes: int | None = None
        """The entries' total size as this object counts it; ``None``: not counted yet."""

    def __repr__(self) -> str:
        return f"Cache({str(self.directory)!r})"

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str, model: type[M], max_age_seconds: float | None = None) -> M | None:
        """The output stored under ``key``, or ``None`` (absent, expired, unreadable, foreign).

        ``max_age_seconds`` (a task's policy) bounds the entry's age further.
        """
        path = self._path(key)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            if entry["format"] != ENTRY_FORMAT or entry["key"] != key:
                return None
            created = float(entry["created"])
            # in JSON mode, as to_canonical_json checked the round trip (strict models differ)
            output = model.model_validate_json(json.dumps(entry["output"]))
        except (OSError, ValueError, TypeError, KeyError, ValidationError):
            return None
        age = time.time() - created
        if self.max_age_seconds is not None and age > self.max_age_seconds:
            path.unlink(missing_ok=True)
            return None
        if max_age_seconds is not None and age > max_age_seconds:
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: the last to go when the size bound prunes
        return output

    def put(self, key: str, task: str, output: str) -> None:
        """Store ``output`` (its canonical JSON) under ``key``, for the task named ``task``.

        Raises ``OSError`` when the folder cannot be written.
        """
        self._tag()
        entry = (
            f'{{"format":{ENTRY_FORMAT},"key":{json.dumps(key)},"task":{json.dumps(task)},'
            f'"created":{time.time()!r},"output":{output}}}'
        )
        write_atomically(self._path(key), entry)
        if self.max_bytes is not None:
            self._grow(len(entry.encode()))

    def _tag(self) -> None:
        tag = self.directory / CACHE_TAG
        if tag.is_file():
            return
        if self.directory.exists() and not self.directory.is_dir():
            raise CacheDirectoryError(f"The cache folder {self.directory} is not a folder")
        write_atomically(tag, _TAG_TEXT)

    def _grow(self, size: int) -> None:
        with self._lock:
            if self._bytes is None:
                self._bytes = sum(size for _, _, size in self._entries())
            else:
                self._bytes += size
            if self.max_bytes is not None and self._bytes > self.max_bytes:
                self._bytes = self._prune(self.max_bytes)

    def prune(self) -> int:
        """Remove expired entries, then the least recently used beyond ``max_bytes``;
        returns how many were removed."""
        with self._lock:
            before = len(self._entries())
            self._bytes = self._prune(self.max_bytes)
            return before - len(self._entries())

    def _prune(self, limit: int | None) -> int:
        """Prune (see ``prune``) and return the size of what is left."""
        oldest = time.time() - self.max_age_seconds if self.max_age_seconds is not None else None
        kept: list[tuple[float, Path, int]] = []
        for used, path, size in sorted(self._entries(), key=lambda entry: entry[0]):
            if oldest is not None and used < oldest:
                path.unlink(missing_ok=True)
            else:
                kept.append((used, path, size))
        total = sum(size for _, _, size in kept)
        for _, path, size in kept:
            if limit is None or total <= limit:
                break
            path.unlink(missing_ok=True)
            total -= size
        return total

    def _entries(self) -> list[tuple[float, Path, int]]:
        """(last used, path, size) of every entry file; vanished ones are left out."""
        found: list[tuple[float, Path, int]] = []
        for path in self.directory.glob("[0-9a-f][0-9a-f]/*.json"):
            try:
                status = path.stat()
            except OSError:
                continue  # removed by a concurrent run
            found.append((status.st_mtime, path, status.st_size))
        return found

    def clear(self) -> int:
        """Remove every entry (and leftover temporary file); returns how many entries.

        Refuses (``CacheDirectoryError``) a folder with other files in it that has
        no ``CACHEDIR.TAG``: it is not a cache, and nothing in it is removed.
        """
        directory = self.directory
        if not directory.exists():
            return 0
        if not directory.is_dir():
            raise CacheDirectoryError(f"The cache folder {directory} is not a folder")
        if not (directory / CACHE_TAG).is_file() and any(directory.iterdir()):
            raise CacheDirectoryError(
                f"{directory} is not a taskmaestro cache (it has no {CACHE_TAG}); nothing removed"
            )
        removed = 0
        with self._lock:
            for sub in directory.glob("[0-9a-f][0-9a-f]"):
                for path in sub.iterdir():
                    if path.suffix in (".json", ".tmp") and path.is_file():
                        path.unlink(missing_ok=True)
                        removed += path.suffix == ".json"
                with contextlib.suppress(OSError):  # not empty: a concurrent run writes there
                    sub.rmdir()
            self._bytes = 0
        return removed


def open_cache(value: Cache | str | os.PathLike[str] | None) -> Cache | None:
    """What ``Runner(cache=...)`` takes: a ``Cache``, a folder path, or ``None``."""
    if value is None or isinstance(value, Cache):
        return value
    if isinstance(value, str | os.PathLike):
        return Cache(value)
    raise TypeError(
        f"Runner(cache=...) takes a Cache or a folder path, got {type(value).__name__} {value!r}"
    )
