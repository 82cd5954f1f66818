"""Semantic analysis of Task subclasses: what only the class body shows.

Runs once per class (``get_base_class_hook``), while its body is still there:

* records the literal value of a ``name = "..."`` class attribute in the
  class's metadata (mypy caches it), for the default instance name;
* registers the dependencies that re-check its wirings when a class of its
  models changes (``deps.py``);
* checks that ``run`` agrees with nested ``Inputs``/``Outputs`` models. With
  generic arguments (``Task[I, O]``) mypy's own override check does that; a
  bare ``Task`` has ``Any`` there, so nothing else would.
"""

from __future__ import annotations

from mypy.maptype import map_instance_to_supertype
from mypy.nodes import (
    AssignmentStmt,
    ClassDef,
    Context,
    Decorator,
    FuncBase,
    FuncDef,
    NameExpr,
    StrExpr,
    TempNode,
    TypeInfo,
)
from mypy.plugin import ClassDefContext
from mypy.semanal_shared import has_placeholder
from mypy.subtypes import is_subtype
from mypy.types import (
    AnyType,
    CallableType,
    Instance,
    NoneType,
    ProperType,
    Type,
    TypeVarType,
    UnboundType,
    UnionType,
    get_proper_type,
)
from mypy.typevars import fill_typevars

from . import codes, names
from .deps import register_task_dependencies
from .models import OWNER_KEY, format_model, owner_display_name, task_models

__all__ = ["analyze_task_class"]


def analyze_task_class(ctx: ClassDefContext) -> None:
    info = ctx.cls.info
    metadata: dict[str, object] = dict(_recorded_name(ctx))
    task = next((base for base in info.mro if base.fullname == names.TASK), None)
    if task is not None and info is not task:
        metadata["modules"] = register_task_dependencies(ctx, task)
    info.metadata[names.METADATA_KEY] = metadata
    _record_owner(ctx)
    _check_run(ctx, info)


def _record_owner(ctx: ClassDefContext) -> None:
    """A task class made in a function: its nested classes are named by owner (17.6).

    mypy names such a class ``module.Inputs@12``, without ``Publish``: the owner's
    name is kept on it for ``format_model``, as the runtime reads ``__qualname__``.
    """
    owner = ctx.cls.info
    if "@" not in owner.fullname:
        return  # a module-level class: its nested classes' fullnames hold the owner
    owner_name = owner_display_name(owner)
    for statement in ctx.cls.defs.body:
        if isinstance(statement, ClassDef) and statement.info is not None:
            statement.info.metadata[OWNER_KEY] = {"owner": owner_name}


def _recorded_name(ctx: ClassDefContext) -> dict[str, str | None]:
    """``{"name": value}`` for ``name = "value"``, None for any other value, {} if unset."""
    recorded: dict[str, str | None] = {}
    for statement in ctx.cls.defs.body:
        if isinstance(statement, FuncBase | Decorator | ClassDef) and statement.name == "name":
            recorded["name"] = None  # a property, a method...: not a literal
        if not isinstance(statement, AssignmentStmt) or isinstance(statement.rvalue, TempNode):
            continue
        if any(isinstance(lv, NameExpr) and lv.name == "name" for lv in statement.lvalues):
            rvalue = statement.rvalue
            recorded["name"] = rvalue.value if isinstance(rvalue, StrExpr) else None
    return recorded


def _check_run(ctx: ClassDefContext, info: TypeInfo) -> None:
    task = next((base for base in info.mro if base.fullname == names.TASK), None)
    run = _run_signature(info)
    if task is None or run is None or len(run[1].arg_types) < 2:
        return
    context, signature = run
    arguments = _task_arguments(info, task)
    if not any(arguments):
        return
    taken_type = _analyzed(ctx, signature.arg_types[1])
    returned_type = _analyzed(ctx, signature.ret_type)
    if taken_type is None or returned_type is None:
        return  # not ready: mypy analyses the class again later
    if has_placeholder(taken_type) or has_placeholder(returned_type):
        return
    taken = get_proper_type(taken_type)
    returned = get_proper_type(returned_type)
    inputs, outputs = task_models(info, task)
    options = ctx.api.options
    if (
        arguments[0]
        and isinstance(inputs, Instance)
        and _comparable(taken)
        and not is_subtype(inputs, taken, options=options)
    ):
        ctx.api.fail(
            f"Task {info.name}: run() takes {format_model(taken, options)}, but its Inputs "
            f"model is {format_model(inputs, options)}",
            context,
            code=codes.RUN_SIGNATURE,
        )
    if (
        arguments[1]
        and isinstance(outputs, Instance)
        and _comparable(returned)
        and not is_subtype(returned, outputs, options=options)
    ):
        ctx.api.fail(
            f"Task {info.name}: run() returns {format_model(returned, options)}, but its "
            f"Outputs model is {format_model(outputs, options)}",
            context,
            code=codes.RUN_SIGNATURE,
        )


def _analyzed(ctx: ClassDefContext, typ: Type) -> Type | None:
    """A type of ``run``'s signature, analysed in the class's scope.

    Method signatures are analysed after the class hook runs, so the hook
    analyses the two it needs itself (mypy reports any error in them later).
    """
    if not isinstance(typ, UnboundType | UnionType):
        return typ
    return ctx.api.anal_type(typ, allow_unbound_tvars=True, report_invalid_types=False)


def _run_signature(info: TypeInfo) -> tuple[Context, CallableType] | None:
    """The class's own ``run`` and its declared signature, if it has one."""
    symbol = info.names.get("run")
    node = symbol.node if symbol is not None else None
    if isinstance(node, Decorator):
        node = node.func
    if isinstance(node, FuncDef) and isinstance(node.type, CallableType):
        return node, node.type
    return None


def _task_arguments(info: TypeInfo, task: TypeInfo) -> tuple[bool, bool]:
    """For each role, True when it comes from a nested class (no concrete Task argument)."""
    self_type = fill_typevars(info)
    if not isinstance(self_type, Instance):
        return False, False
    arguments = map_instance_to_supertype(self_type, task).args
    if len(arguments) != 2:
        return False, False
    return (
        not isinstance(get_proper_type(arguments[0]), Instance),
        not isinstance(get_proper_type(arguments[1]), Instance),
    )


def _comparable(typ: ProperType) -> bool:
    """Only compare what semantic analysis has finished: classes, None, unions of those."""
    if isinstance(typ, AnyType | TypeVarType):
        return False
    if isinstance(typ, NoneType):
        return True
    if isinstance(typ, Instance):
        return bool(typ.type.mro) and all(
            _comparable(get_proper_type(arg)) or isinstance(get_proper_type(arg), AnyType)
            for arg in typ.args
        )
    if isinstance(typ, UnionType):
        return all(_comparable(get_proper_type(item)) for item in typ.items)
    return False
