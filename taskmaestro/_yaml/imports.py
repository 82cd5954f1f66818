"""Dotted paths to classes: a module beside the YAML file first, then ``sys.path``.

``pipeline.PrepareText`` in ``/x/workflow.yaml`` imports ``/x/pipeline.py``
whatever the current directory is. Only that one module is loaded from the
file's folder by its path; the folder is then *appended* to ``sys.path``, so
that the module's own imports find its neighbours but never in place of the
standard library or an installed package (a ``json.py`` beside the file does
not replace ``json``, for the process or for the task modules), and so that
``spawn`` and ``forkserver`` process pools, whose workers start with the
parent's ``sys.path``, can import the task classes too. The modules imported
from the folder are also registered to travel by value (``_transport``), so
that workers that cannot import them (a Dask worker started in another folder)
receive them with the work.

A module beside the file whose name is taken by the standard library or an
installed package is an error asking to rename it, never a silent shadow. A
module keeps its plain name (``pipeline``), so two workflow folders that each
hold a ``pipeline.py`` cannot both be imported at once: when the name was
imported earlier by this loader from another folder, that module (and the
neighbours that came with it) is dropped from ``sys.modules`` and the one
beside the current file is imported; objects already loaded keep working.

Whatever a module raises while it is imported (``SystemExit`` included, only
``KeyboardInterrupt`` excepted) is a problem of the file that names it.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
import threading
from pathlib import Path
from types import ModuleType

from .._transport import travel_by_value

__all__ = ["CANNOT_IMPORT", "ImportProblem", "import_object"]

CANNOT_IMPORT = "Cannot import module"
"""0.1.0's key phrase for a module that cannot be imported."""


class ImportProblem(Exception):
    """A dotted path could not be imported; the message says why."""


_lock = threading.RLock()
_imported_beside: dict[str, tuple[Path, tuple[str, ...]]] = {}
"""Top-level module name -> (its file, modules imported with it) for modules loaded here."""
_registered: set[str] = set()
"""Folders this loader appended to ``sys.path``."""


def import_object(dotted: str, directory: Path | None) -> object:
    """The object at ``dotted`` (``package.module.Name``), looking beside ``directory``
    first (``None``: on ``sys.path`` only)."""
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
        except (ImportProblem, KeyboardInterrupt):
            raise
        except BaseException as error:  # the module raised (or exited) while imported
            raise ImportProblem(_failed(module_name, error)) from error
        found: object = module
        for depth, attribute in enumerate(parts[cut:], start=cut):
            try:
                found = getattr(found, attribute)
            except AttributeError:
                owner = ".".join(parts[:depth])
                if depth == cut and depth < len(parts) - 1:  # meant as a module: say so
                    missing = ".".join(parts[: depth + 1])
                    raise ImportProblem(
                        f"{CANNOT_IMPORT} '{missing}': no module named '{missing}'"
                    ) from None
                raise ImportProblem(f"Module '{owner}' has no attribute '{attribute}'") from None
        return found
    looked = f"looked beside the file, in {directory}, and on sys.path" if directory else "sys.path"
    raise ImportProblem(
        f"{CANNOT_IMPORT} '{'.'.join(parts[:-1])}': no module named '{parts[0]}' ({looked})"
    )


def _failed(module_name: str, error: BaseException) -> str:
    return f"{CANNOT_IMPORT} '{module_name}': importing it raised {type(error).__name__}: {error}"


def _import(module_name: str, directory: Path | None) -> ModuleType:
    top = module_name.partition(".")[0]
    beside = _file_beside(top, directory) if directory is not None else None
    if beside is None or directory is None:
        return importlib.import_module(module_name)
    with _lock:
        if _is_file(sys.modules.get(top), beside):
            return importlib.import_module(module_name)
        _refuse_shadowing(top, beside)
        _make_room(top, beside)
        _register(directory)
        before = set(sys.modules)
        importlib.invalidate_caches()
        module = _load_beside(top, beside)
        if module_name != top:
            module = importlib.import_module(module_name)
        arrived = [name for name in sys.modules.keys() - before if _is_under(name, directory)]
        _imported_beside[top] = (beside, tuple(arrived))
        for name in arrived:  # a worker elsewhere cannot import them: they travel by value
            travel_by_value(sys.modules[name])
    return module


def _file_beside(top: str, directory: Path) -> Path | None:
    for candidate in (directory / f"{top}.py", directory / top / "__init__.py"):
        if candidate.is_file():
            return candidate.resolve()
    return None


def _refuse_shadowing(top: str, beside: Path) -> None:
    """Refuse a module beside the file named like a standard or installed module."""
    if top in sys.stdlib_module_names or top in sys.builtin_module_names:
        other = "a module of the standard library"
    else:
        found = _found_elsewhere(top)
        if found is None or found == beside:
            return
        other = f"another module ({found})"
    raise ImportProblem(
        f"{CANNOT_IMPORT} '{top}' beside the file ({beside}): '{top}' is already the name of "
        f"{other}, which a file beside a workflow must not shadow; rename the file"
    )


def _found_elsewhere(top: str) -> Path | None:
    """Where ``import top`` would find a module, leaving out the folders appended here."""
    loaded = sys.modules.get(top)
    if loaded is not None and top not in _imported_beside:
        file = getattr(loaded, "__file__", None)
        return Path(file).resolve() if file else Path(f"<built-in {top}>")
    search = [entry for entry in sys.path if entry not in _registered]
    for finder in sys.meta_path:
        find_spec = getattr(finder, "find_spec", None)
        if find_spec is None:
            continue
        path = search if finder is importlib.machinery.PathFinder else None
        try:
            spec = find_spec(top, path)
        except Exception:  # a broken finder says nothing about this name
            continue
        if spec is not None:
            origin = spec.origin
            return Path(origin).resolve() if origin and origin != "built-in" else Path(top)
    return None


def _make_room(top: str, beside: Path) -> None:
    """Drop a module of the same name that this loader imported from another folder."""
    earlier = _imported_beside.pop(top, None)
    if earlier is not None:
        for name in (top, *earlier[1]):
            sys.modules.pop(name, None)


def _register(directory: Path) -> None:
    """Put the folder on ``sys.path`` after every other entry but the folders registered
    before it: the standard library and installed packages win over its modules, and
    its modules over those of workflow folders loaded earlier."""
    entry = str(directory)
    if entry in sys.path:
        if entry not in _registered:
            return  # the user's own entry: leave it where it is
        sys.path.remove(entry)
    _registered.add(entry)
    earlier = [index for index, path in enumerate(sys.path) if path in _registered]
    sys.path.insert(earlier[0] if earlier else len(sys.path), entry)


def _load_beside(top: str, beside: Path) -> ModuleType:
    """Import the module or package at ``beside`` under the name ``top``."""
    locations = [str(beside.parent)] if beside.name == "__init__.py" else None
    spec = importlib.util.spec_from_file_location(top, beside, submodule_search_locations=locations)
    if spec is None or spec.loader is None:
        raise ImportProblem(f"{CANNOT_IMPORT} '{top}': {beside} cannot be loaded")
    module = importlib.util.module_from_spec(spec)
    sys.modules[top] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(top, None)
        raise
    return module


def _is_file(module: ModuleType | None, path: Path) -> bool:
    file = getattr(module, "__file__", None)
    return file is not None and Path(file).resolve() == path


def _is_under(module_name: str, directory: Path) -> bool:
    file = getattr(sys.modules.get(module_name), "__file__", None)
    return file is not None and Path(file).resolve().is_relative_to(directory.resolve())
