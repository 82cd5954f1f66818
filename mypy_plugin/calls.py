"""Reading a call's arguments, and the small helpers every check-time hook shares."""

from __future__ import annotations

from mypy.nodes import ARG_NAMED, ARG_POS, CallExpr, Context, Expression, MemberExpr, StrExpr
from mypy.plugin import CheckerPluginInterface, FunctionContext, MethodContext
from mypy.types import Instance, Type

from .models import Facts
from .rules import Reporter
from .wiring import Pos

__all__ = ["CallArgs", "call_pos", "literal", "reporter", "str_type"]

type _CallContext = FunctionContext | MethodContext


class CallArgs:
    """The arguments of a call by parameter name; nothing is visible with ``*``/``**``."""

    def __init__(self, ctx: _CallContext) -> None:
        self._ctx = ctx
        self.visible = all(
            kind in (ARG_POS, ARG_NAMED) for kinds in ctx.arg_kinds for kind in kinds
        )

    def expr(self, name: str) -> Expression | None:
        index = self._index(name)
        if index is None or len(self._ctx.args[index]) != 1:
            return None
        return self._ctx.args[index][0]

    def type(self, name: str) -> Type | None:
        index = self._index(name)
        if index is None or len(self._ctx.arg_types[index]) != 1:
            return None
        return self._ctx.arg_types[index][0]

    def keywords(self, name: str) -> list[tuple[str, Expression, Type]]:
        """What the ``**name`` parameter received: (keyword, value, its type), in call order."""
        index = self._index(name)
        if index is None:
            return []
        ctx = self._ctx
        return [
            (keyword, expr, typ)
            for keyword, expr, typ in zip(
                ctx.arg_names[index], ctx.args[index], ctx.arg_types[index], strict=True
            )
            if keyword is not None
        ]

    def _index(self, name: str) -> int | None:
        try:
            return self._ctx.callee_arg_names.index(name)
        except ValueError:
            return None


def call_pos(context: Context) -> Pos:
    """Where a method call reads in the source: the method name, not the chain's start."""
    whole = Pos.of(context)
    if isinstance(context, CallExpr) and isinstance(context.callee, MemberExpr):
        callee = context.callee
        if callee.end_line is not None and callee.end_column is not None:
            start = max(callee.end_column - len(callee.name), 0)
            return Pos(callee.end_line, start, whole.end_line, whole.end_column)
    return whole


def literal(expr: Expression | None) -> str | None:
    return expr.value if isinstance(expr, StrExpr) else None


def reporter(api: CheckerPluginInterface, facts: Facts | None = None) -> Reporter:
    return Reporter(api.fail, api.options, facts)


def str_type(api: CheckerPluginInterface) -> Instance:
    return api.named_generic_type("builtins.str", [])
