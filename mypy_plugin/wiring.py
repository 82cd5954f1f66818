"""From the spellings users write to declarations: the static ``_wiring.py``.

``depends_on`` may be a task class, a task instance name, a ``(task, "field")``
route, or a fan-in dict whose values are any of those. ``parse_dependency``
turns each literal spelling into ``Wire``s once, when the task is added; what
is not literal (a variable, a ``**spread``, a computed name) becomes unknown,
and every rule that would need it stays silent.
"""

from __future__ import annotations

from typing import NamedTuple

from mypy.nodes import (
    Context,
    DictExpr,
    Expression,
    ListExpr,
    NameExpr,
    RefExpr,
    StrExpr,
    TupleExpr,
    TypeAlias,
    TypeInfo,
)
from mypy.types import Instance, get_proper_type

from taskmaestro import _contract as contract

from .models import is_task_class

__all__ = [
    "ClassRef",
    "ConfigField",
    "Declaration",
    "Pos",
    "TaskRef",
    "Wire",
    "describe",
    "is_none",
    "is_valid_name",
    "parse_config_fields",
    "parse_dependency",
    "parse_name",
    "parse_ref",
    "task_class",
]


class Pos(NamedTuple):
    """Where to report: the span of the offending expression in the file being checked.

    mypy shows the end with ``--show-error-end``, and an editor underlines the span.
    """

    line: int
    column: int
    end_line: int = -1
    end_column: int = -1

    @classmethod
    def of(cls, node: Context) -> Pos:
        end_line = node.end_line if node.end_line is not None else node.line
        end_column = node.end_column if node.end_column is not None else node.column
        return cls(node.line, node.column, end_line, end_column)

    @classmethod
    def between(cls, first: Context, last: Context) -> Pos:
        """From the start of ``first`` to the end of ``last`` (a dict item: key to value)."""
        end = cls.of(last)
        return cls(first.line, first.column, end.end_line, end.end_column)

    def context(self) -> Context:
        context = Context(self.line, self.column)
        if self.end_line >= 0:
            context.end_line = self.end_line
            context.end_column = self.end_column
        return context

    def as_list(self) -> list[int]:
        return [self.line, self.column, self.end_line, self.end_column]


class ClassRef(NamedTuple):
    """A task given by its class: ``fullname`` identifies it, ``name`` is for messages."""

    fullname: str
    name: str


type TaskRef = ClassRef | str
"""A task given by its class or by its instance name."""


class Wire(NamedTuple):
    """One ``depends_on`` entry: a reference (None: not literal) and the fields it joins."""

    ref: TaskRef | None
    source_field: str | None
    target_field: str | None
    pos: Pos
    """The whole entry: the dependency, or a fan-in item from its key to its value."""
    pending: bool = False
    """True when the reference could not be resolved when its task was added."""
    key_pos: Pos | None = None
    """A fan-in entry's key."""
    ref_pos: Pos | None = None
    """The reference to the upstream task (the task or name, without a routed field)."""
    field_pos: Pos | None = None
    """The routed field's name, in a ``(task, "field")`` route."""


class ConfigField(NamedTuple):
    name: str
    pos: Pos


class Declaration(NamedTuple):
    """One ``add_task`` call (or one item of a linear ``tasks`` list), parsed once.

    ``None`` marks what the source does not show: an unknown ``name``, a task
    that is not a literal class, ``config_fields`` or ``depends_on`` held in
    variables.
    """

    name: str | None
    task: TypeInfo | None
    config_fields: tuple[ConfigField, ...] | None
    wires: tuple[Wire, ...] | None
    pos: Pos
    name_pos: Pos | None = None
    """Where ``name=`` is given (checked when the task is added; not kept in the registry)."""


def describe(ref: TaskRef) -> str:
    """How a reference reads in messages: a name as is, a class by its name."""
    return ref.name if isinstance(ref, ClassRef) else ref


def is_valid_name(name: str) -> bool:
    """W10: instance names are identifiers (letters, digits, ``_``, ``-``): the contract's rule."""
    return contract.INSTANCE_NAME.fullmatch(name) is not None


def task_class(expr: Expression) -> TypeInfo | None:
    """The Task subclass a literal reference denotes (a class, or an alias of one)."""
    if not isinstance(expr, RefExpr):
        return None
    node = expr.node
    if isinstance(node, TypeAlias):
        target = get_proper_type(node.target)
        node = target.type if isinstance(target, Instance) else None
    if isinstance(node, TypeInfo) and is_task_class(node):
        return node
    return None


def parse_name(expr: Expression | None) -> tuple[bool, str | None]:
    """``name=``: (given, literal value or None when not literal)."""
    if expr is None or is_none(expr):
        return False, None
    if isinstance(expr, StrExpr):
        return True, expr.value
    return True, None


def parse_config_fields(expr: Expression | None) -> tuple[ConfigField, ...] | str | None:
    """``config_fields=``: the literal names, a bare string (an error), or None if unknown."""
    if expr is None or is_none(expr):
        return ()
    if isinstance(expr, StrExpr):
        return expr.value
    if not isinstance(expr, ListExpr | TupleExpr):
        return None
    fields: list[ConfigField] = []
    for item in expr.items:
        if not isinstance(item, StrExpr):
            return None
        fields.append(ConfigField(item.value, Pos.of(item)))
    return tuple(fields)


def parse_dependency(expr: Expression | None) -> tuple[Wire, ...] | None:
    """Normalize one literal ``depends_on`` into wires; None when it is not literal."""
    if expr is None or is_none(expr):
        return ()
    if isinstance(expr, DictExpr):
        wires: list[Wire] = []
        for key, value in expr.items:
            if not isinstance(key, StrExpr):
                return None  # a **spread or a computed key: the fan-in is not visible
            wires.append(_wire(value, key.value, Pos.between(key, value), Pos.of(key)))
        return tuple(wires)
    if isinstance(expr, StrExpr | TupleExpr) or task_class(expr) is not None:
        return (_wire(expr, None, Pos.of(expr), None),)
    return None  # a variable or a call: it may hold anything, None included


def _wire(value: Expression, key: str | None, pos: Pos, key_pos: Pos | None) -> Wire:
    if isinstance(value, TupleExpr) and len(value.items) == 2:
        first, second = value.items
        if isinstance(second, StrExpr):
            ref = parse_ref(first)
            return Wire(ref, second.value, key, pos, False, key_pos, Pos.of(first), Pos.of(second))
    return Wire(parse_ref(value), None, key, pos, False, key_pos, Pos.of(value))


def parse_ref(expr: Expression) -> TaskRef | None:
    if isinstance(expr, StrExpr):
        return expr.value
    info = task_class(expr)
    if info is not None:
        return ClassRef(info.fullname, info.name)
    return None


def is_none(expr: Expression) -> bool:
    """True for the literal ``None``."""
    return isinstance(expr, NameExpr) and expr.fullname == "builtins.None"
