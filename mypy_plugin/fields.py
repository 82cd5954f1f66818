"""Semantic analysis of Pydantic models: which declared fields pydantic makes required.

Runs for every model class while its body is still there (the check-time hooks
never see another module's syntax tree), from ``get_customize_class_mro_hook``:
``pydantic.mypy`` owns the base-class and metaclass hooks of models, and the
first plugin to claim a hook wins, so this one keeps out of their way.

Each field the class body declares gets one verdict, stored as an ordered
list in the class's metadata (mypy caches it, so cold, warm and daemon runs
read the same facts):

* ``required``: no default, as pydantic decides it: a bare annotation,
  ``= ...``, ``= Field(...)``, ``= Field(..., ge=0)``, ``= Field(ge=0)``;
* ``default``: ``= value``, ``Field(value)``, ``Field(default=value)``,
  ``Field(default_factory=f)``, the same inside ``Annotated[..., Field(...)]``;
* ``unknown``: what the source does not show (a ``**spread`` in ``Field``, a
  ``FieldInfo`` held in a variable, a type alias that may hide ``Annotated``
  metadata). The rules treat it as optional: the plugin never invents an error.

A field redeclared in a subclass takes the subclass's verdict, as in pydantic.
Aliases and ``model_config`` (``populate_by_name``, ``validate_by_name``...)
change which keys validation accepts, never whether a field is required; the
runtime fills inputs by field name, so the plugin keys on field names too.

``Annotated`` metadata is not kept by mypy's parser (a call there becomes an
opaque type), so the plugin reads that one statement from the module's source
file, which is the text mypy is analysing.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Final, Literal

from mypy.nodes import (
    ARG_NAMED,
    ARG_POS,
    AssignmentStmt,
    CallExpr,
    EllipsisExpr,
    Expression,
    MemberExpr,
    NameExpr,
    TempNode,
    TypeAlias,
    TypeInfo,
)
from mypy.plugin import ClassDefContext
from mypy.types import RawExpressionType, UnboundType
from mypy.types import UnionType as TypeUnion

from . import names

__all__ = ["FIELDS_KEY", "Verdict", "analyze_model_class", "is_plain_field", "recorded_verdicts"]

FIELDS_KEY: Final = "taskmaestro-fields"
"""``TypeInfo.metadata`` key: ``{"fields": [[name, verdict], ...], "plain": [name, ...]}``,
fields in declaration order."""

FIELD_FUNCTION: Final = "pydantic.fields.Field"
_FIELD_INFO: Final = "pydantic.fields.FieldInfo"
_ANNOTATED: Final = frozenset({"typing.Annotated", "typing_extensions.Annotated"})
_CLASS_VAR: Final = frozenset({"typing.ClassVar", "typing_extensions.ClassVar"})
_LITERAL: Final = frozenset({"typing.Literal", "typing_extensions.Literal"})

type Verdict = Literal["required", "default", "unknown"]


def analyze_model_class(ctx: ClassDefContext) -> None:
    """Record the verdict of each field the class body declares (idempotent)."""
    info = ctx.cls.info
    if not info.has_base(names.BASE_MODEL) or info.fullname == names.BASE_MODEL:
        return
    source = _Source(ctx)
    verdicts: list[list[str]] = []
    plain: list[str] = []
    for statement in ctx.cls.defs.body:
        if not isinstance(statement, AssignmentStmt) or len(statement.lvalues) != 1:
            continue
        target = statement.lvalues[0]
        annotation = statement.unanalyzed_type
        if (
            not isinstance(target, NameExpr)
            or target.name.startswith("_")
            or target.name == "model_config"
            or annotation is None
            or not statement.new_syntax
        ):
            continue
        if isinstance(annotation, UnboundType) and source.resolve(annotation.name) in _CLASS_VAR:
            continue
        verdicts.append([target.name, _verdict(statement, annotation, source)])
        if _is_plain(annotation, source):
            plain.append(target.name)
    info.metadata[FIELDS_KEY] = {"fields": verdicts, "plain": plain}


def is_plain_field(info: TypeInfo, name: str) -> bool:
    """True when field ``name`` (of ``info`` or the base class declaring it) is annotated
    without ``Annotated`` or an alias anywhere: then mypy's type is all pydantic validates
    against (no ``BeforeValidator`` hidden in metadata mypy drops)."""
    for cls in info.mro:
        metadata = cls.metadata.get(FIELDS_KEY)
        if isinstance(metadata, dict) and any(n == name for n, _ in metadata.get("fields", ())):
            return name in metadata.get("plain", ())
    return False


def _is_plain(annotation: object, source: _Source) -> bool:
    if isinstance(annotation, RawExpressionType):
        return True  # a Literal's value
    if isinstance(annotation, TypeUnion):
        return all(_is_plain(item, source) for item in annotation.items)
    if not isinstance(annotation, UnboundType):
        return False
    resolved = source.resolve(annotation.name)
    if resolved in _LITERAL:
        return True  # its arguments are values (strings parse as forward references)
    if resolved is None or resolved.startswith("alias:") or resolved in _ANNOTATED:
        return False
    return all(_is_plain(arg, source) for arg in annotation.args)


def recorded_verdicts(info: TypeInfo) -> dict[str, Verdict] | None:
    """The verdicts ``analyze_model_class`` recorded for a class, or None if it did not run."""
    metadata = info.metadata.get(FIELDS_KEY)
    if not isinstance(metadata, dict):
        return None
    recorded: dict[str, Verdict] = {}
    for name, verdict in metadata.get("fields", ()):
        recorded[name] = verdict if verdict in ("required", "default") else "unknown"
    return recorded


class _Source:
    """Name resolution in the class's scope, and the module's text, read once if needed."""

    def __init__(self, ctx: ClassDefContext) -> None:
        self._ctx = ctx
        self._lines: list[str] | None = None
        self._resolved: dict[str, str | None] = {}

    def resolve(self, dotted: str | None) -> str | None:
        """The full name a (dotted) name refers to here, or None if it is not known yet
        (each name looked up once per class: the fields' verdicts and plainness ask again)."""
        if not dotted:
            return None
        if dotted not in self._resolved:
            symbol = self._ctx.api.lookup_qualified(dotted, self._ctx.cls, suppress_errors=True)
            node = symbol.node if symbol is not None else None
            if isinstance(node, TypeAlias):
                self._resolved[dotted] = f"alias:{node.fullname}"
            else:
                self._resolved[dotted] = (
                    node.fullname if node is not None and node.fullname else None
                )
        return self._resolved[dotted]

    def expression(self, expr: Expression) -> str | None:
        return self.resolve(_dotted(expr))

    def statement(self, statement: AssignmentStmt) -> ast.AnnAssign | None:
        """The statement as Python parses it, from the module's file (None if unreadable)."""
        if self._lines is None:
            try:
                path = self._ctx.api.cur_mod_node.path  # type: ignore[attr-defined]
                self._lines = Path(path).read_text(encoding="utf-8").splitlines()
            except (AttributeError, OSError, UnicodeDecodeError):
                self._lines = []
        end = statement.end_line or statement.line
        text = "\n".join(self._lines[statement.line - 1 : end])
        try:
            parsed = ast.parse(text.strip())
        except SyntaxError:
            return None
        body = parsed.body
        if len(body) == 1 and isinstance(body[0], ast.AnnAssign):
            return body[0]
        return None

    def ast_name(self, node: ast.expr) -> str | None:
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        parts.append(node.id)
        return self.resolve(".".join(reversed(parts)))


def _verdict(statement: AssignmentStmt, annotation: object, source: _Source) -> Verdict:
    declared = _annotation_verdict(statement, annotation, source)
    rvalue = statement.rvalue
    if isinstance(rvalue, TempNode):  # no value: the annotation decides
        return declared
    if isinstance(rvalue, EllipsisExpr):
        return declared
    if isinstance(rvalue, CallExpr) and source.expression(rvalue.callee) == FIELD_FUNCTION:
        value = _field_call(rvalue)
        if value == "required":
            return declared
        return value
    return "default"


def _annotation_verdict(statement: AssignmentStmt, annotation: object, source: _Source) -> Verdict:
    """What the annotation alone says: ``Annotated`` metadata or an alias may hold a default."""
    if not isinstance(annotation, UnboundType):
        return "required"
    resolved = source.resolve(annotation.name)
    if resolved is None:
        return "unknown"
    if resolved.startswith("alias:"):
        return "unknown"  # the alias's own Annotated metadata is not visible here
    if resolved not in _ANNOTATED:
        return "required"
    if not any(isinstance(arg, RawExpressionType) for arg in annotation.args[1:]):
        return "required"  # only literal metadata (strings, numbers): no FieldInfo
    parsed = source.statement(statement)
    if parsed is None or not isinstance(parsed.annotation, ast.Subscript):
        return "unknown"
    index = parsed.annotation.slice
    metadata = index.elts[1:] if isinstance(index, ast.Tuple) else []
    verdict: Verdict = "required"
    for item in metadata:
        if isinstance(item, ast.Constant):
            continue
        if not isinstance(item, ast.Call):
            return "unknown"  # a name may hold a FieldInfo
        callee = source.ast_name(item.func)
        if callee is None:
            return "unknown"
        if callee == FIELD_FUNCTION:
            found = _ast_field_call(item)
            if found != "required":
                verdict = found
        elif callee == _FIELD_INFO or callee.startswith("alias:"):
            return "unknown"
    return verdict


def _field_call(call: CallExpr) -> Verdict:
    """``Field(...)``: a default when it has a non-Ellipsis default or a default factory."""
    verdict: Verdict = "required"
    for kind, name, arg in zip(call.arg_kinds, call.arg_names, call.args, strict=True):
        if kind not in (ARG_POS, ARG_NAMED):
            return "unknown"
        if (kind == ARG_POS or name == "default") and not isinstance(arg, EllipsisExpr):
            verdict = "default"
        if name == "default_factory" and not _is_none(arg):
            verdict = "default"
    return verdict


def _ast_field_call(call: ast.Call) -> Verdict:
    """``Field(...)`` as Python parses it, inside ``Annotated[...]``."""
    if any(isinstance(arg, ast.Starred) for arg in call.args):
        return "unknown"
    if call.args and not _ast_ellipsis(call.args[0]):
        return "default"
    for keyword in call.keywords:
        if keyword.arg is None:
            return "unknown"
        if keyword.arg == "default" and not _ast_ellipsis(keyword.value):
            return "default"
        if keyword.arg == "default_factory" and not (
            isinstance(keyword.value, ast.Constant) and keyword.value.value is None
        ):
            return "default"
    return "required"


def _ast_ellipsis(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is Ellipsis


def _is_none(expr: Expression) -> bool:
    return isinstance(expr, NameExpr) and expr.name == "None"


def _dotted(expr: Expression) -> str | None:
    parts: list[str] = []
    while isinstance(expr, MemberExpr):
        parts.append(expr.name)
        expr = expr.expr
    if not isinstance(expr, NameExpr):
        return None
    parts.append(expr.name)
    return ".".join(reversed(parts))
