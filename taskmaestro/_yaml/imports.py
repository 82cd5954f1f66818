"""Dotted paths to classes: a module beside the YAML file first, then ``sys.path``.

``pipeline.PrepareText`` in ``/x/workflow.yaml`` imports ``/x/pipeline.py``
whatever the current directory is, as ``python /x/script.py`` would: the
file's folder is put first on ``sys.path`` while that module is imported (and
only then), so it can import its own neighbours too.

A module keeps its plain name (``pipeline``), so two workflow folders that each
hold a ``pipeline.py`` cannot both be imported at once. When the name was
imported earlier by this loader from another folder, that module (and the
neighbours that came with it) is dropped from ``sys.modules`` and the one beside
the current file is imported; objects already loaded keep working. A module of
that name imported any other way (an installed package, the standard library)
is never replaced: that is an error asking to rename the file.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import ModuleType

__all__ = ["ImportProblem", "import_object"]


class ImportProblem(Exception):
    """A dotted path could not be imported; the message says why."""


_lock = threading.Lock()
_imported_beside: dict[str, tuple[Path, tuple[str, ...]]] = {}
"""Top-level module name -> (its file, modules imported with it) for modules loaded here."""


def import_object(dotted: str, directory: Path) -> object:
    """The object at ``dotted`` (``package.module.Name``), looking beside ``directory`` first."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:cut])
        try:
            module = _import(module_name, directory)
        except ModuleNotFoundError as error:
            missing = error.name or ""
            if module_name == missing or module_name.startswith(missing + "."):
                continue  # this prefix is not a module: try a shorter one
            raise ImportProblem(_failed(module_name, error)) from error
        except ImportProblem:
            raise
        except Exception as error:  # the module itself raised while being imported
            raise ImportProblem(_failed(module_name, error)) from error
        found: object = module
        for depth, attribute in enumerate(parts[cut:], start=cut):
            try:
                found = getattr(found, attribute)
            except AttributeError:
                owner = ".".join(parts[:depth])
                if depth == cut and depth < len(parts) - 1:  # meant as a module: say so
                    missing = ".".join(parts[: depth + 1])
                    raise ImportProblem(f"no module named '{missing}'") from None
                raise ImportProblem(f"'{owner}' has no attribute '{attribute}'") from None
        return found
    raise ImportProblem(
        f"no module named '{parts[0]}' (looked beside the file, in {directory}, and on sys.path)"
    )


def _failed(module_name: str, error: BaseException) -> str:
    return f"importing module '{module_name}' failed: {type(error).__name__}: {error}"


def _import(module_name: str, directory: Path) -> ModuleType:
    top = module_name.partition(".")[0]
    beside = _file_beside(top, directory)
    if beside is None:
        return importlib.import_module(module_name)
    with _lock:
        if _is_file(sys.modules.get(top), beside):
            return importlib.import_module(module_name)
        _make_room(top, beside)
        before = set(sys.modules)
        with _first_on_path(directory):
            importlib.invalidate_caches()
            module = importlib.import_module(module_name)
        arrived = [name for name in sys.modules.keys() - before if _is_under(name, directory)]
        _imported_beside[top] = (beside, tuple(arrived))
    return module


def _file_beside(top: str, directory: Path) -> Path | None:
    for candidate in (directory / f"{top}.py", directory / top / "__init__.py"):
        if candidate.is_file():
            return candidate.resolve()
    return None


def _make_room(top: str, beside: Path) -> None:
    """Let ``top`` be imported from ``beside``, or explain why it cannot."""
    loaded = sys.modules.get(top)
    if loaded is None:
        return
    earlier = _imported_beside.pop(top, None)
    if earlier is not None:
        for name in (top, *earlier[1]):
            sys.modules.pop(name, None)
        return
    file = getattr(loaded, "__file__", None)
    raise ImportProblem(
        f"the module '{top}' beside the file ({beside}) cannot be imported: another module "
        f"named '{top}' is already imported (from {file or 'a built-in'}); rename the file"
    )


def _is_file(module: ModuleType | None, path: Path) -> bool:
    file = getattr(module, "__file__", None)
    return file is not None and Path(file).resolve() == path


def _is_under(module_name: str, directory: Path) -> bool:
    file = getattr(sys.modules.get(module_name), "__file__", None)
    return file is not None and Path(file).resolve().is_relative_to(directory.resolve())


@contextmanager
def _first_on_path(directory: Path) -> Iterator[None]:
    entry = str(directory)
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        with suppress(ValueError):  # someone else removed it meanwhile
            sys.path.remove(entry)
