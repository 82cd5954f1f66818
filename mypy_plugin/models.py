"""From a Task class to its input and output models, and from a model to its fields.

The static counterpart of ``taskmaestro.task.task_models`` and of Pydantic's
``model_fields``, read from mypy's symbol tables only (never from another
module's syntax tree, which mypy frees after checking it). ``None`` always
means "cannot be seen statically": the callers then stay silent.
"""

from __future__ import annotations

import enum
from typing import Final, NamedTuple

from mypy.expandtype import expand_type_by_instance
from mypy.maptype import map_instance_to_supertype
from mypy.messages import format_type
from mypy.nodes import (
    CallExpr,
    Decorator,
    OverloadedFuncDef,
    RefExpr,
    TypeAlias,
    TypeInfo,
    Var,
)
from mypy.options import Options
from mypy.types import (
    AnyType,
    CallableType,
    Instance,
    ProperType,
    Type,
    TypeOfAny,
    TypeVarType,
    get_proper_type,
)
from mypy.typevars import fill_typevars, fill_typevars_with_any

from taskmaestro import _contract as contract

from . import names
from .fields import Verdict, recorded_verdicts

__all__ = [
    "MISSING",
    "OWNER_KEY",
    "Facts",
    "Missing",
    "ModelField",
    "Slot",
    "declared_models",
    "default_task_name",
    "format_model",
    "is_computed_field",
    "is_model",
    "is_task_class",
    "model_fields",
    "owner_display_name",
    "task_models",
]


class Missing(enum.Enum):
    """The task declares no model for a role: the runtime rejects it when added."""

    MISSING = "missing"


MISSING: Final = Missing.MISSING

type Slot = Instance | Missing | None
"""A task's model for one role: known, declared missing, or unknown (``None``)."""

# An Any that stands for "not given" (bare ``Task``, ``Task[Any, Any]``), as opposed
# to an Any that hides a real class (an unresolved import, an error).
_NOT_GIVEN: Final = frozenset(
    {TypeOfAny.explicit, TypeOfAny.from_omitted_generics, TypeOfAny.special_form}
)

_COMPUTED_FIELD: Final = "pydantic.fields.computed_field"
OWNER_KEY: Final = "taskmaestro owner"
"""``TypeInfo.metadata`` key of a class nested in a task class made in a function."""


class ModelField(NamedTuple):
    """A Pydantic field: its type as seen from the model instance, and if it is required."""

    name: str
    type: Type
    required: bool


def is_task_class(info: TypeInfo) -> bool:
    return info.has_base(names.TASK) and info.fullname != names.TASK


def is_model(typ: ProperType) -> bool:
    return isinstance(typ, Instance) and typ.type.has_base(names.BASE_MODEL)


def task_models(info: TypeInfo, task: TypeInfo) -> tuple[Slot, Slot]:
    """The (input, output) models of a Task subclass, as the runtime resolves them.

    ``Task`` type arguments come first; an argument that is not a concrete class
    (omitted, ``Any``, a type variable) falls back to the nested ``Inputs`` or
    ``Outputs`` class, found through the MRO as ``getattr`` would.
    """
    self_type = fill_typevars(info)
    if not isinstance(self_type, Instance):
        return None, None
    arguments = map_instance_to_supertype(self_type, task).args
    if len(arguments) != 2:
        return None, None
    unknown_bases = any(base.fallback_to_any for base in info.mro)
    return (
        _slot(info, arguments[0], "Inputs", unknown_bases),
        _slot(info, arguments[1], "Outputs", unknown_bases),
    )


def declared_models(info: TypeInfo) -> tuple[Slot, Slot]:
    """``task_models`` of a class that may not be a Task subclass: (None, None) then."""
    for base in info.mro:
        if base.fullname == names.TASK:
            return task_models(info, base)
    return None, None


def _slot(info: TypeInfo, argument: Type, nested: str, unknown_bases: bool) -> Slot:
    proper = get_proper_type(argument)
    if isinstance(proper, Instance):
        return proper if is_model(proper) else None
    given = not isinstance(proper, TypeVarType) and not (
        isinstance(proper, AnyType) and proper.type_of_any in _NOT_GIVEN
    )
    if given:
        return None
    symbol = info.get(nested)
    if symbol is None:
        return None if unknown_bases else MISSING
    node = symbol.node
    model: ProperType | None = None
    if isinstance(node, TypeInfo):
        filled = fill_typevars_with_any(node)
        model = filled if isinstance(filled, Instance) else None
    elif isinstance(node, TypeAlias):
        model = get_proper_type(node.target)
    elif isinstance(node, Var) and node.type is not None:
        model = _class_object(get_proper_type(node.type))
    if model is not None and is_model(model):
        assert isinstance(model, Instance)
        return model
    return None


def _class_object(typ: ProperType) -> Instance | None:
    """The class an unannotated ``Inputs = SomeModel`` names (its type is the class object)."""
    if isinstance(typ, CallableType) and typ.is_type_obj():
        filled = fill_typevars_with_any(typ.type_object())
        return filled if isinstance(filled, Instance) else None
    return None


def model_fields(model: Instance) -> dict[str, ModelField] | None:
    """The Pydantic fields of a model instance, inherited ones included, or None if unknown.

    Required-ness is pydantic's: the class that declares a field last decides
    it, from the verdict ``fields.analyze_model_class`` recorded for that class
    at semantic analysis (a field it could not judge counts as optional). A
    class analysed without this plugin falls back on ``Var.has_explicit_value``
    (any value counts as a default), which can hide an error but never invent one.
    """
    info = model.type
    if not info.has_base(names.BASE_MODEL) or any(base.fallback_to_any for base in info.mro):
        return None
    fields: dict[str, ModelField] = {}
    required: dict[str, bool] = {}
    for base in reversed(info.mro):
        if base.fullname == names.BASE_MODEL or not base.has_base(names.BASE_MODEL):
            continue
        verdicts = recorded_verdicts(base)
        mapped: Instance | None = None
        for name in _declaration_order(base, verdicts):
            symbol = base.names[name]
            node = symbol.node
            if (
                not isinstance(node, Var)
                or name.startswith("_")
                or symbol.implicit
                or node.is_classvar
                or node.is_inferred
                or node.type is None
            ):
                continue
            if mapped is None:
                mapped = map_instance_to_supertype(model, base)
            if verdicts is None:
                required[name] = required.get(name, True) and not node.has_explicit_value
            elif name in verdicts:
                required[name] = verdicts[name] == "required"
            field_type = expand_type_by_instance(node.type, mapped)
            fields[name] = ModelField(name, field_type, required.get(name, False))
    return fields


class Facts:
    """``declared_models`` and ``model_fields`` of each class, read once per fluent chain.

    A chain of 200 ``add_task`` calls asks for the same few models again and
    again. A ``Facts`` lives while one ``Workflow.builder(...)...build()``
    expression is checked (the hooks make a new one at each
    ``Workflow.builder``, and a fresh one for any step not chained to it), so
    nothing is kept from one mypy run to the next: under dmypy a class's
    ``TypeInfo`` keeps its identity but not its contents across runs, and its
    fields are read again by the next check of the chain. Within one check,
    semantic analysis is over, so a class's models and fields cannot change.
    Generic models are read every time (their fields depend on the arguments).
    """

    __slots__ = ("_fields", "_models")

    def __init__(self) -> None:
        self._models: dict[str, tuple[Slot, Slot]] = {}
        self._fields: dict[str, dict[str, ModelField] | None] = {}

    def models(self, info: TypeInfo) -> tuple[Slot, Slot]:
        """``declared_models(info)``; callers do not change the result."""
        found = self._models.get(info.fullname)
        if found is None:
            found = self._models[info.fullname] = declared_models(info)
        return found

    def fields(self, model: Instance) -> dict[str, ModelField] | None:
        """``model_fields(model)``; callers do not change the result."""
        if model.args:
            return model_fields(model)
        key = model.type.fullname
        if key in self._fields:
            return self._fields[key]
        found = self._fields[key] = model_fields(model)
        return found


def _declaration_order(info: TypeInfo, verdicts: dict[str, Verdict] | None) -> list[str]:
    """The class's names, its fields in declaration order first (as pydantic orders them).

    The symbol table comes back from mypy's cache sorted; the verdicts keep the order.
    """
    declared = [name for name in verdicts or () if name in info.names]
    return declared + sorted(set(info.names) - set(declared))


def format_model(typ: Type, options: Options) -> str:
    """A type the mypy way, but a nested model by its owner (``"Publish.Inputs"``)."""
    proper = get_proper_type(typ)
    if isinstance(proper, Instance) and not proper.args:
        info = proper.type
        qualified = info.fullname.removeprefix(f"{info.module_name}.")
        if "@" in qualified:  # made in a function: its owner, if any, was recorded
            recorded = info.metadata.get(OWNER_KEY, {}).get("owner")
            if isinstance(recorded, str):
                return f'"{recorded}.{owner_display_name(info)}"'
        elif "." in qualified:
            return f'"{qualified}"'
    return format_type(typ, options)


def owner_display_name(info: TypeInfo) -> str:
    """A class's own name without mypy's ``@line`` mark for classes made in functions."""
    return info.name.partition("@")[0]


def is_computed_field(model: Instance, name: str) -> bool:
    """True when ``name`` is a ``@computed_field`` of the model (serialized, not a field)."""
    symbol = model.type.get(name)
    node = symbol.node if symbol is not None else None
    if isinstance(node, OverloadedFuncDef) and node.items:
        node = node.items[0]
    if not isinstance(node, Decorator):
        return False
    return any(
        (isinstance(decorator, RefExpr) and decorator.fullname == _COMPUTED_FIELD)
        or (
            isinstance(decorator, CallExpr)
            and isinstance(decorator.callee, RefExpr)
            and decorator.callee.fullname == _COMPUTED_FIELD
        )
        for decorator in node.original_decorators
    )


def default_task_name(info: TypeInfo) -> str | None:
    """The instance name a task class gets by default, or None if it cannot be known.

    The runtime uses the class's own ``name`` attribute, else the snake_case class
    name. The literal value of ``name`` is recorded at semantic analysis (the class
    body is gone at check time); a ``name`` set to anything but a string literal is
    unknown.
    """
    metadata = info.metadata.get(names.METADATA_KEY)
    if metadata is not None and "name" in metadata:
        recorded = metadata["name"]
        return recorded if isinstance(recorded, str) else None
    if metadata is None and "name" in info.names:
        return None  # set in a class the plugin did not analyse
    return contract.snake_case(info.name)
