"""Dependencies that mypy cannot see: the wiring's verdict depends on model fields.

A statement ``wf = Workflow.builder(...).add_task(...).build()`` names task
classes only, but its errors change when a field of their models changes,
maybe in a module the wiring file never imports. mypy's daemon re-checks a
target only when something it depends on fires, and a field change fires only
triggers of the model class itself. So, at semantic analysis, the assignment
registers a dependency on every class the checks will read: the task classes,
their models, the models' bases, and the classes in the models' field types.

The same triggers, kept by mypy in the module's ``plugin_deps``, give the
modules those classes live in; ``indirect_modules`` reports them so the
cache-based (non-daemon) run re-checks the wiring module too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Final

from mypy.nodes import (
    AssignmentStmt,
    CallExpr,
    DictExpr,
    Expression,
    ListExpr,
    MemberExpr,
    MypyFile,
    SymbolTableNode,
    TupleExpr,
    TypeInfo,
)
from mypy.plugin import DynamicClassDefContext
from mypy.server.trigger import make_trigger, make_wildcard_trigger
from mypy.types import Instance, TupleType, Type, TypeType, UnionType, get_proper_type

from . import names
from .models import model_fields, task_models
from .wiring import task_class

__all__ = ["indirect_modules", "register_dependencies"]

_MAX_NODES: Final = 2000
_SKIPPED_MODULES: Final = frozenset({"builtins", "abc", "typing", "pydantic.main"})


def register_dependencies(ctx: DynamicClassDefContext) -> None:
    """Make the current target depend on every class its wiring checks read."""
    statement = getattr(ctx.api, "statement", None)  # internal: the statement being analysed
    rvalue = statement.rvalue if isinstance(statement, AssignmentStmt) else ctx.call
    classes: dict[str, TypeInfo] = {}
    for info in _task_classes(rvalue):
        _collect(info, classes)
    for fullname in sorted(classes):
        ctx.api.add_plugin_dependency(make_trigger(fullname))
        ctx.api.add_plugin_dependency(make_wildcard_trigger(fullname))


def indirect_modules(file: MypyFile, lookup: Callable[[str], SymbolTableNode | None]) -> set[str]:
    """The modules of the classes a module's wiring registered dependencies on."""
    modules: set[str] = set()
    for trigger in file.plugin_deps:
        fullname = trigger.removeprefix("<").removesuffix(">").removesuffix("[wildcard]")
        symbol = lookup(fullname)
        if symbol is not None and isinstance(symbol.node, TypeInfo):
            modules.add(symbol.node.module_name)
    modules.discard(file.fullname)
    return modules


def _task_classes(expr: Expression) -> Iterator[TypeInfo]:
    """Task classes referenced anywhere in a wiring expression (bounded walk)."""
    pending = [expr]
    seen = 0
    while pending and seen < _MAX_NODES:
        node = pending.pop()
        seen += 1
        info = task_class(node)
        if info is not None:
            yield info
        elif isinstance(node, CallExpr):
            pending.append(node.callee)
            pending.extend(node.args)
        elif isinstance(node, MemberExpr):
            pending.append(node.expr)
        elif isinstance(node, ListExpr | TupleExpr):
            pending.extend(node.items)
        elif isinstance(node, DictExpr):
            pending.extend(value for _, value in node.items)


def _collect(task: TypeInfo, classes: dict[str, TypeInfo]) -> None:
    _add_with_bases(task, classes)
    base = next((b for b in task.mro if b.fullname == names.TASK), None)
    if base is None:
        return
    for model in task_models(task, base):
        if not isinstance(model, Instance):
            continue
        _add_with_bases(model.type, classes)
        for field in (model_fields(model) or {}).values():
            for info in _classes_in(field.type):
                _add_with_bases(info, classes)


def _add_with_bases(info: TypeInfo, classes: dict[str, TypeInfo]) -> None:
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
