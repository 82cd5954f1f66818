"""Dependencies that mypy cannot see: a wiring's verdict depends on model fields.

A wiring names task classes only, but its errors change when a field of their
models changes, maybe in a module the wiring file never imports. Wherever the
wiring stands (an assignment, a ``return``, a method, a closure, a builder
grown over several statements, ``Job(Workflow(...))``) it refers to its task
classes by name, so mypy already records that it depends on them. The plugin
adds the missing link once, on the task class:

* fine-grained (``dmypy``): at semantic analysis of each Task subclass, every
  class its models are made of (the models, their bases, the classes in their
  field types) gets a dependency from its triggers to the task's
  ``<Task.__init__>`` trigger, which every reference to the task class as a
  value depends on. A model edit then fires the task's trigger, and mypy
  re-checks every wiring that mentions the task, wherever it is;
* coarse (the cache): each module records, while its wirings are checked, the
  modules of those classes (``task_modules``, kept by the plugin's
  ``Consulted``); mypy stores them as the module's
  indirect dependencies, so an edit in any of them re-checks the module.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from mypy.nodes import TypeInfo, Var
from mypy.plugin import ClassDefContext
from mypy.server.trigger import make_trigger, make_wildcard_trigger
from mypy.types import Instance, TupleType, Type, TypeType, UnionType, get_proper_type

from . import names
from .models import task_models

__all__ = ["model_classes", "register_task_dependencies", "task_modules"]

_MAX_NODES: Final = 2000
_SKIPPED_MODULES: Final = frozenset({"builtins", "abc", "typing", "pydantic.main"})


def register_task_dependencies(ctx: ClassDefContext, task: TypeInfo) -> list[str]:
    """Make the task's ``__init__`` trigger fire when a class of its models changes.

    Returns the modules of those classes, sorted, for the coarse dependencies.
    """
    info = ctx.cls.info
    classes = model_classes(info, task)
    options = ctx.api.options
    if options.fine_grained_incremental or options.cache_fine_grained:
        # Only these modes read a module's plugin dependencies (dmypy, or a cache
        # written for it); any other run would collect them for nothing.
        target = make_trigger(f"{info.fullname}.__init__")
        for fullname in sorted(classes):
            if fullname == info.fullname:
                continue
            ctx.api.add_plugin_dependency(make_trigger(fullname), target)
            ctx.api.add_plugin_dependency(make_wildcard_trigger(fullname), target)
    return sorted({found.module_name for found in classes.values()})


def task_modules(task: TypeInfo) -> list[str]:
    """The modules of every class a wiring reads through ``task`` (coarse dependencies).

    Recorded on the class at semantic analysis; computed again for a class
    analysed without this plugin version.
    """
    recorded = task.metadata.get(names.METADATA_KEY, {}).get("modules")
    if isinstance(recorded, list):
        return [str(module) for module in recorded]
    base = next((b for b in task.mro if b.fullname == names.TASK), None)
    if base is None:
        return []
    return sorted({info.module_name for info in model_classes(task, base).values()})


def model_classes(task: TypeInfo, base: TypeInfo) -> dict[str, TypeInfo]:
    """The task class, its models, their bases and the classes in their field types.

    Runs at semantic analysis too, so it reads field types as they are (no
    expansion), and skips what is not analysed yet.
    """
    classes: dict[str, TypeInfo] = {}
    _add_with_bases(task, classes)
    scanned: set[str] = set()
    for model in task_models(task, base):
        if not isinstance(model, Instance):
            continue
        _add_with_bases(model.type, classes)
        for owner in model.type.mro:
            if owner.module_name in _SKIPPED_MODULES or owner.fullname in scanned:
                continue
            scanned.add(owner.fullname)
            for symbol in owner.names.values():
                node = symbol.node
                if isinstance(node, Var) and node.type is not None:
                    for info in _classes_in(node.type):
                        _add_with_bases(info, classes)
    return classes


def _add_with_bases(info: TypeInfo, classes: dict[str, TypeInfo]) -> None:
    """``info`` and its bases; a class already there brought its bases along with it."""
    if info.fullname in classes:
        return
    for base in info.mro:
        if base.module_name not in _SKIPPED_MODULES:
            classes.setdefault(base.fullname, base)


def _classes_in(typ: Type) -> Iterator[TypeInfo]:
    pending = [typ]
    seen = 0
    while pending and seen < _MAX_NODES:  # bounded: type aliases may be recursive
        seen += 1
        proper = get_proper_type(pending.pop())
        if isinstance(proper, Instance):
            yield proper.type
            pending.extend(proper.args)
        elif isinstance(proper, UnionType | TupleType):
            pending.extend(proper.items)
        elif isinstance(proper, TypeType):
            pending.append(proper.item)
