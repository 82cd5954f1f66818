"""The check-time hooks: each reads its call's arguments and returns a refined type.

* ``Workflow.builder(...)`` / ``WorkflowBuilder(...)``: a builder with an empty registry.
* ``.add_task(...)``: checks the new task (``graph.declare``) and registers it.
* ``.set_result_task(...)``: records the new result reference, as ``result_task`` does.
* ``.build()``: checks the whole chain (``graph.finish``); ``Workflow[I, O]``.
* ``Workflow(name, tasks=[...])``: the same, for a linear list (W1 is W2 per pair).
* ``Job(workflow, config)``: W13; the signature hook keeps ``config`` out of the
  inference of ``Job``'s type arguments, so the workflow alone decides them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from mypy.maptype import map_instance_to_supertype
from mypy.nodes import (
    ARG_POS,
    CallExpr,
    Context,
    DictExpr,
    Expression,
    FloatExpr,
    IndexExpr,
    IntExpr,
    ListExpr,
    MemberExpr,
    NameExpr,
    RefExpr,
    SetExpr,
    StarExpr,
    StrExpr,
    SymbolTableNode,
    TupleExpr,
    TypeApplication,
    TypeInfo,
    UnaryExpr,
)
from mypy.plugin import (
    CheckerPluginInterface,
    FunctionContext,
    FunctionSigContext,
    MethodContext,
    MethodSigContext,
)
from mypy.types import (
    AnyType,
    FunctionLike,
    Instance,
    Type,
    TypeOfAny,
    TypeVarType,
    UnionType,
    get_proper_type,
)

from taskmaestro import _contract as contract

from . import codes, names
from .calls import CallArgs, call_pos, literal, reporter, str_type
from .graph import Outcome, declare, finish
from .handles import output_field
from .models import Facts, default_task_name
from .rules import (
    ConfiguredTask,
    ConfiguredValue,
    Reporter,
    check_job_config,
    check_job_config_type,
    check_job_configuration,
)
from .state import BuilderState, Result, Span, read_roots, with_roots
from .values import NOT_LITERAL
from .wiring import (
    Declaration,
    Pos,
    Wire,
    is_none,
    parse_config_fields,
    parse_dependency,
    parse_name,
    parse_ref,
    task_class,
)

__all__ = [
    "Lookup",
    "add_task_hook",
    "build_hook",
    "builder_hook",
    "job_hook",
    "job_signature_hook",
    "set_result_hook",
    "set_result_signature_hook",
    "workflow_hook",
]

_NO_SPAN: Final[Span] = (-1, -1, -1, -1)

type _CallContext = FunctionContext | MethodContext

if TYPE_CHECKING:
    from .plugin import Chain, Consulted

type Lookup = Callable[[str], SymbolTableNode | None]
"""Finds a symbol by its full name (the plugin's ``lookup_fully_qualified``)."""


def builder_hook(ctx: _CallContext, chain: Chain) -> Type:
    """``Workflow.builder(name, result_task)``: a builder whose registry is empty.

    It starts the chain's ``Facts``, which the steps chained to it share.
    """
    chain.facts = Facts()
    default = get_proper_type(ctx.default_return_type)
    args = CallArgs(ctx)
    if not isinstance(default, Instance) or not args.visible:
        return ctx.default_return_type
    result = _result(args, "result_task", reporter(ctx.api))
    state = BuilderState.new(literal(args.expr("name")), result, _span(ctx.context))
    return state.attach(default, str_type(ctx.api))


def add_task_hook(ctx: MethodContext, consulted: Consulted, chain: Chain) -> Type:
    """Check the task being added against the registry and return the grown registry."""
    default = get_proper_type(ctx.default_return_type)
    if not isinstance(default, Instance):
        return ctx.default_return_type
    state = BuilderState.read(ctx.type)
    if state is None:  # a builder from elsewhere: what it holds is unknown
        state = BuilderState.new(None, None, _NO_SPAN, complete=False)
    complete = _chained(ctx.context, state)
    report = reporter(ctx.api, chain.facts if complete else None)
    declaration, models = declare(state, _declaration(ctx, report), report)
    if declaration.task is not None:
        consulted.record(ctx.api.path, declaration.task)
    text = str_type(ctx.api)
    grown = state.added(declaration, complete, _span(ctx.context), text, models)
    return grown.attach(default, text)


def set_result_signature_hook(ctx: MethodSigContext) -> FunctionLike:
    """Let ``set_result_task`` take a named ``OutputHandle`` as ``str`` (then ``Self``).

    The runtime refuses one at ``build()`` with its own message: so that the
    method hook says that instead of mypy's "No overload variant", the overload
    for names accepts it. A handle whose task is not known is left to mypy.
    """
    signature = ctx.default_signature
    if "task" not in signature.arg_names or len(ctx.args) != 1 or len(ctx.args[0]) != 1:
        return signature
    index = signature.arg_names.index("task")
    declared = get_proper_type(signature.arg_types[index])
    expr = ctx.args[0][0]
    if not isinstance(declared, Instance) or declared.type.fullname != "builtins.str":
        return signature
    if not isinstance(expr, NameExpr) and not _is_field_call(expr):
        return signature  # read again below: only what is cheap and harmless to check twice
    given = ctx.api.get_expression_type(expr)
    named = output_field(given)
    if named is None or named[0] is None:
        return signature
    arg_types = list(signature.arg_types)
    arg_types[index] = UnionType([declared, given])
    return signature.copy_modified(arg_types=arg_types)


def set_result_hook(ctx: MethodContext) -> Type:
    """``set_result_task(task)``: the builder type with ``task`` as the registry's result.

    The type stays the overloads' (``WorkflowBuilder[I, R]`` or ``Self``); what
    ``build()`` checks of the result is the same as for ``result_task=``.
    """
    args = CallArgs(ctx)
    given = args.expr("task") if args.visible else None
    # ``None`` clears the result, as at run time; what cannot be read (``*args``) is unknown.
    result = (
        Result(None, call_pos(ctx.context))
        if given is None
        else _result(args, "task", reporter(ctx.api))
    )
    default = get_proper_type(ctx.default_return_type)
    state = BuilderState.read(ctx.type)
    if state is None or not isinstance(default, Instance):
        return ctx.default_return_type
    updated = state.with_result(result, _chained(ctx.context, state), _span(ctx.context))
    return updated.attach(default, str_type(ctx.api))


def build_hook(ctx: MethodContext, lookup: Lookup, chain: Chain) -> Type:
    """Check the whole chain; a complete one gives ``Workflow[RootInput, ResultOutput]``."""
    default = get_proper_type(ctx.default_return_type)
    state = BuilderState.read(ctx.type)
    if state is None or not isinstance(default, Instance):
        return ctx.default_return_type
    complete = _chained(ctx.context, state)
    report = reporter(ctx.api, chain.facts if complete else None)
    outcome = finish(state, complete, report, call_pos(ctx.context))
    if outcome is None:
        return ctx.default_return_type
    return _workflow_type(ctx.api, lookup, default, state.header.workflow, outcome)


def workflow_hook(ctx: FunctionContext, lookup: Lookup, consulted: Consulted) -> Type:
    """``Workflow(name, tasks=[A, B, ...])``: each task depends on the one before it."""
    default = get_proper_type(ctx.default_return_type)
    args = CallArgs(ctx)
    tasks = args.expr("tasks")
    if (
        not isinstance(default, Instance)
        or not args.visible
        or not isinstance(tasks, ListExpr | TupleExpr)
        or any(isinstance(item, StarExpr) for item in tasks.items)
    ):
        return ctx.default_return_type
    report = reporter(ctx.api)
    text = str_type(ctx.api)
    span = _span(ctx.context)
    workflow = literal(args.expr("name"))
    state = BuilderState.new(workflow, _result(args, "result_task", report), span)
    taken: dict[str, int] = {}
    names_known = True
    previous: str | None = None
    for position, item in enumerate(tasks.items):
        _check_subscripted(item, report)
        info = task_class(item)
        if info is not None:
            consulted.record(ctx.api.path, info)
        base = default_task_name(info) if info is not None else None
        names_known = names_known and base is not None
        instance = contract.unique_name(base, taken) if names_known and base is not None else None
        wires = () if position == 0 else (Wire(previous, None, None, Pos.of(item)),)
        declaration, models = declare(
            state, Declaration(instance, info, (), wires, Pos.of(item)), report
        )
        state = state.added(declaration, True, span, text, models)
        previous = instance
    outcome = finish(state, True, report, Pos.of(ctx.context))
    if outcome is None:
        return ctx.default_return_type
    return _workflow_type(ctx.api, lookup, default, workflow, outcome)


def job_signature_hook(ctx: FunctionSigContext) -> FunctionLike:
    """Type ``config`` as ``object`` so that only the workflow decides ``Job[I, O]``.

    Otherwise a wrong config makes mypy say "Cannot infer value of type
    parameter" instead of what is wrong; ``job_hook`` then checks it (W13).
    """
    signature = ctx.default_signature
    if "config" not in signature.arg_names:
        return signature
    index = signature.arg_names.index("config")
    arg_types = list(signature.arg_types)
    arg_types[index] = ctx.api.named_generic_type("builtins.object", [])
    return signature.copy_modified(arg_types=arg_types)


def job_hook(ctx: FunctionContext) -> Type:
    """W13: the job config fits the input of every root task without config_fields."""
    args = CallArgs(ctx)
    workflow = get_proper_type(args.type("workflow") or AnyType(TypeOfAny.special_form))
    config = args.type("config")
    config_expr = args.expr("config")
    if (
        not args.visible
        or not isinstance(workflow, Instance)
        or config is None
        or config_expr is None
    ):
        return ctx.default_return_type
    workflows = (names.WORKFLOW, names.WORKFLOW_DEFINITION)  # Job(job.workflow, ...) too
    base = next((b for b in workflow.type.mro if b.fullname in workflows), None)
    if base is None:
        return ctx.default_return_type
    report = reporter(ctx.api)
    pos = Pos.of(config_expr)
    recorded = read_roots(workflow)
    if recorded is not None:
        bare = _bare_generic_call(config_expr)
        check_job_config(recorded.name, recorded.roots, config, report, pos, bare)
        given = args.expr("job_configuration")
        values = [] if _no_configuration(given) else _job_configuration(given)
        if values is not None:
            check_job_configuration(recorded, values, report, Pos.of(given or ctx.context))
        return ctx.default_return_type
    wanted = get_proper_type(map_instance_to_supertype(workflow, base).args[0])
    if not isinstance(wanted, AnyType | TypeVarType):  # generic code: mypy infers from context
        check_job_config_type(config, wanted, report, pos)
    return ctx.default_return_type


def _declaration(ctx: MethodContext, report: Reporter) -> Declaration:
    """Parse one ``add_task`` call; what it does not show literally is None."""
    args = CallArgs(ctx)
    pos = call_pos(ctx.context)
    if not args.visible:
        return Declaration(None, None, None, None, pos)
    task_expr = args.expr("task")
    info = task_class(task_expr) if task_expr is not None else None
    if task_expr is not None:
        _check_subscripted(task_expr, report)
    given, literal = parse_name(args.expr("name"))
    # Without name=, the class's default name (None when the class is unknown).
    name = literal if given or info is None else default_task_name(info)
    config = parse_config_fields(args.expr("config_fields"))
    if isinstance(config, str):
        report.fail(
            codes.CONFIG_FIELD,
            contract.CONFIG_FIELDS_NOT_A_LIST.format(task=name or "?", value=config),
            pos,
        )
        config = None
    name_expr = args.expr("name")
    name_pos = Pos.of(name_expr) if given and name_expr is not None else None
    mapped_over = args.expr("mapped_over")
    if mapped_over is not None and not (
        isinstance(mapped_over, NameExpr) and mapped_over.fullname == "builtins.None"
    ):
        # A mapped instance: its output is MappedOutput[O], its items fill two input
        # fields and its configuration holds the mapping. add_task's registry does not
        # model that (task() and map_task() do): its models and wiring stay unknown.
        return Declaration(name, None, None, None, pos, name_pos)
    return Declaration(name, info, config, parse_dependency(args.expr("depends_on")), pos, name_pos)


def _is_field_call(expr: Expression) -> bool:
    """``something.field(...)``."""
    return (
        isinstance(expr, CallExpr)
        and isinstance(expr.callee, MemberExpr)
        and expr.callee.name == "field"
    )


def _no_configuration(expr: Expression | None) -> bool:
    """``Job(...)`` without a ``job_configuration``, or with ``None``: no values at all."""
    return expr is None or (isinstance(expr, NameExpr) and expr.fullname == "builtins.None")


def _job_configuration(expr: Expression | None) -> list[ConfiguredTask] | None:
    """A literal ``JobConfiguration({...})`` (or dict): its tasks, fields and literal values."""
    if isinstance(expr, CallExpr) and isinstance(expr.callee, RefExpr):
        if expr.callee.fullname != names.JOB_CONFIGURATION or len(expr.args) != 1:
            return None
        if expr.arg_kinds != [ARG_POS]:
            return None
        expr = expr.args[0]
    if not isinstance(expr, DictExpr):
        return None
    tasks: list[ConfiguredTask] = []
    for key, value in expr.items:
        if not isinstance(key, StrExpr):
            return None
        fields: list[ConfiguredValue] | None = None
        if isinstance(value, DictExpr):
            fields = []
            for field, given in value.items:
                if not isinstance(field, StrExpr):
                    fields = None
                    break
                fields.append(ConfiguredValue(field.value, _literal_value(given), Pos.of(field)))
        tasks.append(ConfiguredTask(key.value, fields, Pos.of(key)))
    return tasks


def _literal_value(expr: Expression) -> object:
    """The value of a literal (``-1`` included; lists, tuples, sets and dicts of literals),
    ``NOT_LITERAL`` for anything else."""
    if isinstance(expr, ListExpr | TupleExpr | SetExpr):
        items = [_literal_value(item) for item in expr.items]
        if any(item is NOT_LITERAL for item in items):
            return NOT_LITERAL
        kind: type = {ListExpr: list, TupleExpr: tuple, SetExpr: set}[type(expr)]
        try:
            return kind(items)
        except TypeError:  # a set of lists: no value at run time either
            return NOT_LITERAL
    if isinstance(expr, DictExpr):
        pairs = [
            (NOT_LITERAL if key is None else _literal_value(key), _literal_value(value))
            for key, value in expr.items
        ]
        if any(NOT_LITERAL in pair for pair in pairs):
            return NOT_LITERAL
        try:
            return dict(pairs)
        except TypeError:
            return NOT_LITERAL
    if isinstance(expr, IntExpr | FloatExpr | StrExpr):
        return expr.value
    if (
        isinstance(expr, UnaryExpr)
        and expr.op == "-"
        and isinstance(expr.expr, IntExpr | FloatExpr)
    ):
        return -expr.expr.value
    if isinstance(expr, NameExpr):
        constants = {"builtins.True": True, "builtins.False": False, "builtins.None": None}
        return constants.get(expr.fullname, NOT_LITERAL)
    return NOT_LITERAL


def _bare_generic_call(expr: Expression) -> TypeInfo | None:
    """The generic model a config is made of without type arguments (``Batch(items=...)``).

    mypy infers ``Batch[Order]`` from the arguments, but at run time the object
    is an instance of plain ``Batch``, which is not ``Batch[Order]`` for Pydantic.
    """
    if not isinstance(expr, CallExpr) or not isinstance(expr.callee, RefExpr):
        return None
    node = expr.callee.node
    if isinstance(node, TypeInfo) and node.type_vars and node.has_base(names.BASE_MODEL):
        return node
    return None


def _check_subscripted(expr: Expression, report: Reporter) -> None:
    """A subscripted generic task (``Passthrough[Order]``) is refused, as the runtime does.

    At run time ``Passthrough[Order]`` is a typing alias, not a class: the
    builder says so in the words of this message, classes by their short names
    (no module: a program run as a script is ``__main__`` at run time).
    """
    if not isinstance(expr, IndexExpr) or not isinstance(expr.analyzed, TypeApplication):
        return
    info = task_class(expr.base)
    if info is None:
        return
    arguments = ", ".join(_owner_name(arg) for arg in expr.analyzed.types)
    report.fail(codes.TASK_MODEL, f"{info.name}[{arguments}] is not a Task subclass", Pos.of(expr))


def _owner_name(typ: Type) -> str:
    """A type argument by its owner-qualified name, without module (``list[Outer.Inner]``)."""
    proper = get_proper_type(typ)
    if isinstance(proper, Instance):
        info = proper.type
        name = info.fullname.removeprefix(f"{info.module_name}.")
        if not proper.args:
            return name
        return f"{name}[{', '.join(_owner_name(arg) for arg in proper.args)}]"
    if isinstance(proper, AnyType):
        return "Any"
    return str(proper)


def _workflow_type(
    api: CheckerPluginInterface,
    lookup: Lookup,
    default: Instance,
    workflow: str | None,
    outcome: Outcome,
) -> Type:
    if default.type.fullname != names.WORKFLOW or len(default.args) != 2:
        return default  # a subclass's build() may return anything: keep its type
    any_type = AnyType(TypeOfAny.special_form)
    config: Type = outcome.input if outcome.input is not None else any_type
    empty = lookup(names.EMPTY_CONFIG) if outcome.all_configured else None
    if empty is not None and isinstance(empty.node, TypeInfo):
        config = Instance(empty.node, [])
    output: Type = outcome.output if outcome.output is not None else any_type
    typed = default.copy_modified(args=[config, output])
    return with_roots(
        typed, workflow, outcome.roots, str_type(api), outcome.tasks, outcome.configured
    )


def _result(args: CallArgs, param: str, report: Reporter) -> Result | None:
    """A result reference (None: no result given; a ref of None: not readable).

    An ``OutputHandle`` is refused with the runtime's message; its result stays unknown.
    """
    expr = args.expr(param)
    if expr is None or is_none(expr):
        return None
    named = output_field(args.type(param) or AnyType(TypeOfAny.special_form))
    if named is not None and named[0] is not None:
        message = contract.RESULT_FIELD.format(task=named[0], field=named[1])
        report.fail(codes.RESULT, message, Pos.of(expr))
    return Result(parse_ref(expr), Pos.of(expr))


def _chained(context: Context, state: BuilderState) -> bool:
    """True when the receiver is the very call that produced ``state`` (one fluent chain)."""
    if not state.header.complete or not isinstance(context, CallExpr):
        return False
    callee = context.callee
    if not isinstance(callee, MemberExpr) or not isinstance(callee.expr, CallExpr):
        return False
    return _span(callee.expr) == state.header.span


def _span(context: Context) -> Span:
    return (context.line, context.column, context.end_line or -1, context.end_column or -1)
