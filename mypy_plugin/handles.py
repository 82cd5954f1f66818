"""The handle forms (issue 14.6): ``builder.task()``/``map_task()``, ``handle.field()``,
``collect()``.

Plain typing already gives ``task()`` its ``TaskHandle[O]``, ``set_result_task``
its ``WorkflowBuilder[I, O]`` and ``as_task`` its ``type[Task[I, O]]``. The
plugin adds what typing cannot say, with the runtime's messages:

* ``task(T, field=value, ...)``: each keyword names an input field of ``T``
  (W5), a handle's, output handle's or collection's value fits it (W5, the
  ``dict[str, O]`` of a mapped upstream included), and the required fields are
  covered (W6); ``depends_on=handle`` fits the whole input (W2);
* ``map_task`` (and ``mapped_over=TaskMap(...)``): the key and value fields
  exist and the key field accepts ``str``; dependencies fill named fields;
* ``handle.field("x")``: ``x`` is a field of the handle's output, and the
  ``OutputHandle`` is typed by it;
* ``collect(...)``: each member's type is recorded on the ``Collection`` type,
  so that the target field is checked to be ``list[T]``/``dict[str, T]`` and
  each member to fit ``T``.

A handle's instance name travels in its type (``extra_attrs``, as the builder
registry does), for messages. What the plugin cannot see (a task class, a
name or a route given to ``task()``: no registry is threaded through handles)
is left to the runtime.
"""

from __future__ import annotations

import json
from typing import Final, NamedTuple

from mypy.nodes import ARG_NAMED, ARG_POS, CallExpr, Expression, RefExpr, StrExpr, TupleExpr
from mypy.plugin import CheckerPluginInterface, FunctionContext, MethodContext
from mypy.types import (
    AnyType,
    ExtraAttrs,
    Instance,
    LiteralType,
    TupleType,
    Type,
    TypeOfAny,
    get_proper_type,
)

from taskmaestro import _contract as contract

from . import codes, names
from .calls import CallArgs, call_pos, literal, reporter, str_type
from .models import Slot, declared_models, default_task_name, model_fields
from .rules import Node, Reporter, Source, check_config_fields, check_node
from .wiring import (
    ConfigField,
    Pos,
    Wire,
    is_none,
    parse_config_fields,
    parse_dependency,
    task_class,
)

__all__ = ["collect_hook", "field_hook", "output_field", "task_hook"]

_HANDLE: Final = "taskmaestro handle"
"""On a ``TaskHandle``: the instance name (a literal)."""
_OUTPUT: Final = "taskmaestro output"
"""On an ``OutputHandle``: ``[instance name or null, field]`` (JSON)."""
_OUTPUT_MODEL: Final = "taskmaestro output model"
_COLLECTION: Final = "taskmaestro collection"
"""On a ``Collection``: ``{"kind", "members": [[label, source or null], ...]}`` (JSON)."""
_NO_IMMUTABLE: Final[set[str]] = set()


class _Member(NamedTuple):
    """One member of a ``collect()``: its label, source (for messages) and value type."""

    label: str
    source: str | None
    type: Type | None
    """None: not a handle, left to the runtime."""


class _Value(NamedTuple):
    """What a handle-typed dependency provides: its source and value type."""

    source: str | None
    field: str | None
    model: Instance
    """The upstream's output (for a whole output: the value itself)."""


def task_hook(ctx: MethodContext, mapped_method: bool) -> Type:
    """``task()``/``map_task()``: check the call, and name the returned handle."""
    default = get_proper_type(ctx.default_return_type)
    args = CallArgs(ctx)
    task_expr = args.expr("task")
    if not isinstance(default, Instance) or not args.visible or task_expr is None:
        return ctx.default_return_type
    info = task_class(task_expr)
    given = args.expr("name")
    if given is not None and not is_none(given):
        name = literal(given)
    else:
        name = default_task_name(info) if info is not None else None
    if info is not None:
        model, output = declared_models(info)
        _check(ctx, args, name or info.name, model, mapped_method)
        default = _typed_output(default, output)
    return _with(default, {_HANDLE: LiteralType(name, str_type(ctx.api))}) if name else default


def _typed_output(handle: Instance, output: Slot) -> Instance:
    """``TaskHandle[O]`` (or ``TaskHandle[MappedOutput[O]]``) for a task whose ``O`` is a
    nested ``Outputs`` class: the overloads see only ``Task``'s type arguments, which such
    a class leaves ``Any``, so its handle, ``field()`` and ``set_result_task`` were untyped."""
    if not isinstance(output, Instance) or not handle.args:
        return handle
    argument = get_proper_type(handle.args[0])
    if isinstance(argument, AnyType):
        return handle.copy_modified(args=[output])
    items = _mapped_items(argument)
    if isinstance(argument, Instance) and isinstance(get_proper_type(items), AnyType):
        return handle.copy_modified(args=[argument.copy_modified(args=[output])])
    return handle


def _check(ctx: MethodContext, args: CallArgs, name: str, model: Slot, mapped_method: bool) -> None:
    """The rules one call shows: keywords or depends_on, coverage, collections, mapping."""
    if not isinstance(model, Instance):
        return
    fields = model_fields(model)
    if fields is None:
        return
    report = reporter(ctx.api)
    pos = call_pos(ctx.context)
    config = parse_config_fields(args.expr("config_fields"))
    if isinstance(config, str):
        report.fail(
            codes.CONFIG_FIELD,
            contract.CONFIG_FIELDS_NOT_A_LIST.format(task=name, value=config),
            pos,
        )
    config_fields = None if isinstance(config, str) else config
    keywords = args.keywords("input_dependencies")
    depends_on = args.expr("depends_on")
    has_depends = depends_on is not None and not is_none(depends_on)
    if keywords and has_depends:
        report.fail(codes.FAN_IN_KEY, contract.KEYWORDS_AND_DEPENDS_ON.format(task=name), pos)
        return
    wires: tuple[Wire, ...] | None
    sources: dict[Wire, Source] = {}
    collections: list[tuple[str, Expression, Instance]] = []
    if keywords:
        built: list[Wire] = []
        for key, expr, typ in keywords:
            wire, value, collection = _keyword(key, expr, typ)
            built.append(wire)
            if value is not None and key in fields:
                sources[wire] = _source(ctx.api, value, fields[key].type)
            if collection is not None:
                collections.append((key, expr, collection))
        wires = tuple(built)
    elif has_depends and depends_on is not None:
        given = args.type("depends_on")
        value = _handle_value(given) or _routed_handle(depends_on, given)
        if value is not None:
            wire = Wire(value.source, value.field, None, Pos.of(depends_on))
            sources[wire] = Source(value.source or "?", value.model)
            wires = (wire,)
        else:
            wires = parse_dependency(depends_on)
    else:
        wires = ()
    over = args.expr("mapped_over")
    if mapped_method or (over is not None and not is_none(over)):
        mapping = _mapping(args, mapped_method)
        text = str_type(ctx.api)
        if mapping is not None and _check_mapping(
            name, model, mapping, wires, config_fields, report, pos, text
        ):
            return  # the runtime stops at the first mapping error too
        if config_fields is not None:
            check_config_fields(Node(name, model, fields, config_fields, (), pos), report)
        config_fields = None  # coverage: the mapping's own message, or unknown
    node = Node(name, model, fields, config_fields, wires, pos)
    check_node(node, sources.get, report, first_pass=True)
    for key, expr, collection in collections:
        if key in fields:
            _check_collection(name, key, fields[key].type, collection, Pos.of(expr), report)


def _keyword(key: str, expr: Expression, typ: Type) -> tuple[Wire, _Value | None, Instance | None]:
    """One keyword dependency as a fan-in wire; its handle value or collection, if any."""
    pos = Pos.of(expr)
    value = _handle_value(typ) or _routed_handle(expr, typ)
    if value is not None:
        return Wire(value.source, value.field, key, pos, False, pos), value, None
    proper = get_proper_type(typ)
    if isinstance(proper, Instance) and proper.type.has_base(names.COLLECTION):
        return Wire(None, None, key, pos, False, pos), None, proper
    return Wire(None, None, key, pos, False, pos), None, None


def _handle_value(typ: Type | None) -> _Value | None:
    """A ``TaskHandle[O]`` (the whole ``O``) or an ``OutputHandle`` (one field of a model)."""
    proper = get_proper_type(typ) if typ is not None else None
    if not isinstance(proper, Instance):
        return None
    attrs = proper.extra_attrs.attrs if proper.extra_attrs is not None else {}
    if proper.type.has_base(names.TASK_HANDLE) and proper.args:
        output = get_proper_type(proper.args[0])
        if not isinstance(output, Instance):
            return None
        return _Value(_literal(attrs.get(_HANDLE)), None, output)
    named = output_field(proper)
    model = get_proper_type(attrs.get(_OUTPUT_MODEL))
    if named is None or not isinstance(model, Instance):
        return None
    return _Value(*named, model)


def output_field(typ: Type) -> tuple[str | None, str] | None:
    """(instance name or None, field) of an ``OutputHandle`` type that ``field()`` named."""
    proper = get_proper_type(typ)
    if not isinstance(proper, Instance) or not proper.type.has_base(names.OUTPUT_HANDLE):
        return None
    attrs = proper.extra_attrs.attrs if proper.extra_attrs is not None else {}
    raw = _literal(attrs.get(_OUTPUT))
    if raw is None:
        return None
    task, field = json.loads(raw)
    return task, field


def _routed_handle(expr: Expression, typ: Type | None) -> _Value | None:
    """A ``(handle, "field")`` route: one field of the handle's output, as ``field()`` gives
    (the rules then check that the field exists, is no computed field, and fits)."""
    proper = get_proper_type(typ) if typ is not None else None
    if not (
        isinstance(expr, TupleExpr)
        and len(expr.items) == 2
        and isinstance(expr.items[1], StrExpr)
        and isinstance(proper, TupleType)
        and len(proper.items) == 2
    ):
        return None
    whole = _handle_value(proper.items[0])
    if whole is None or whole.field is not None or _mapped_items(whole.model) is not None:
        return None  # a mapped upstream's routes are the runtime's (``(m, "root")``)
    return _Value(whole.source, expr.items[1].value, whole.model)


def _source(api: CheckerPluginInterface, value: _Value, wanted: Type) -> Source:
    """The value a named field gets: a mapped upstream's ``dict[str, O]`` when the field
    takes that dict but not the ``MappedOutput[O]`` itself (the runtime unwraps it)."""
    output = value.model
    items = _mapped_items(output)
    if value.field is None and items is not None:
        report = reporter(api)
        unwrapped = api.named_generic_type("builtins.dict", [str_type(api), items])
        if not report.assignable(output, wanted) and report.assignable(unwrapped, wanted):
            output = unwrapped
    return Source(value.source or "?", output)


def _mapped_items(typ: Type) -> Type | None:
    """``O`` of a ``MappedOutput[O]``, else None."""
    proper = get_proper_type(typ)
    if isinstance(proper, Instance) and proper.type.fullname == names.MAPPED_OUTPUT:
        return proper.args[0] if proper.args else AnyType(TypeOfAny.special_form)
    return None


class _Mapping(NamedTuple):
    key_as: str
    value_as: str
    pos: Pos
    by_method: bool
    """Given to ``map_task(...)`` (its error names the task), not as ``TaskMap(...)``."""


_ERROR_MODES: Final = ("fail_fast", "collect_all")


def _mapping(args: CallArgs, mapped_method: bool) -> _Mapping | None:
    """The key and value fields of a mapped task, when literal and valid as a ``TaskMap``
    (else the runtime's own error, or an unknown mapping: nothing to check here)."""
    given: dict[str, Expression | None]
    if mapped_method:
        given = {name: args.expr(name) for name in ("key_as", "value_as", "error_mode")}
    else:
        expr = args.expr("mapped_over")
        if not isinstance(expr, CallExpr) or not isinstance(expr.callee, RefExpr):
            return None
        if expr.callee.fullname != names.TASK_MAP:
            return None
        given = {}
        slots = ("over", "key_as", "value_as", "error_mode")
        for index, (kind, arg_name) in enumerate(zip(expr.arg_kinds, expr.arg_names, strict=True)):
            if kind == ARG_POS and index < len(slots):
                given[slots[index]] = expr.args[index]
            elif kind == ARG_NAMED and arg_name is not None:
                given[arg_name] = expr.args[index]
            else:
                return None
    key_expr = given.get("key_as")
    key, value = literal(key_expr), literal(given.get("value_as"))
    mode = given.get("error_mode")
    if key_expr is None or not key or not value:
        return None
    if key != value and mode is not None and literal(mode) not in _ERROR_MODES:
        return None  # TaskMap checks the fields first, then the mode
    return _Mapping(key, value, Pos.of(key_expr), mapped_method)


def _check_mapping(
    name: str,
    model: Instance,
    mapping: _Mapping,
    wires: tuple[Wire, ...] | None,
    config_fields: tuple[ConfigField, ...] | None,
    report: Reporter,
    pos: Pos,
    text: Instance,
) -> bool:
    """The runtime's mapped-task checks that need no other task (its ``check_mapping``);
    True when one failed."""
    if mapping.key_as == mapping.value_as:
        problem = contract.MAP_SAME_FIELDS.format(field=mapping.key_as)
        if mapping.by_method:
            problem = contract.TASK_MAP_INVALID.format(task=name, problem=problem)
        report.fail(codes.MAPPING, problem, mapping.pos)
        return True
    fields = model_fields(model) or {}
    item_fields = [mapping.key_as, mapping.value_as]
    for field in item_fields:
        if field not in fields:
            report.fail(
                codes.MAPPING,
                contract.MAP_FIELD_NOT_FOUND.format(
                    field=field, model=report.type(model), task=name
                ),
                mapping.pos,
            )
            return True
    key_type = fields[mapping.key_as].type
    if not report.assignable(text, key_type):
        report.fail(
            codes.MAPPING,
            contract.MAP_KEY_NOT_STR.format(
                task=name, field=mapping.key_as, provided=report.type(key_type)
            ),
            mapping.pos,
        )
        return True
    if wires and any(wire.target_field is None for wire in wires):
        report.fail(codes.MAPPING, contract.MAP_NAMED_DEPS.format(task=name), pos)
        return True
    if wires is None or config_fields is None:
        return False
    covered = {wire.target_field for wire in wires} | {f.name for f in config_fields}
    covered |= set(item_fields)
    missing = [n for n, f in fields.items() if f.required and n not in covered]
    if missing:
        report.fail(
            codes.MISSING_INPUT,
            contract.MAP_REQUIRED.format(
                field=missing[0], model=report.type(model), task=name, missing=", ".join(missing)
            ),
            pos,
        )
    return False  # coverage: the runtime checks the fields' values first, and so do we


def _check_collection(
    name: str, key: str, wanted: Type, collection: Instance, pos: Pos, report: Reporter
) -> None:
    """The target of a ``collect()`` is ``list[T]``/``dict[str, T]``; each member fits ``T``."""
    recorded = _collection(collection)
    if recorded is None:
        return
    kind, members = recorded
    element = _element(wanted, kind, report)
    if element is None:
        template = (
            contract.COLLECTION_KEYED_TARGET
            if kind == "keyed"
            else contract.COLLECTION_POSITIONAL_TARGET
        )
        report.fail(
            codes.COLLECTION,
            template.format(task=name, field=key, provided=report.type(wanted)),
            pos,
        )
        return
    for member in members:
        if member.type is None or report.assignable(member.type, element):
            continue
        report.fail(
            codes.COLLECTION,
            contract.COLLECTION_MISMATCH.format(
                task=name,
                field=key,
                label=member.label,
                source=member.source or "?",
                provided=report.type(member.type),
                expected=report.type(element),
            ),
            pos,
        )
        return


def _element(wanted: Type, kind: str, report: Reporter) -> Type | None:
    """``T`` of a ``list[T]`` (positional) or ``dict[str, T]`` (keyed) field, else None."""
    proper = get_proper_type(wanted)
    if isinstance(proper, AnyType):
        return proper
    if not isinstance(proper, Instance):
        return None
    if kind == "positional" and proper.type.fullname == "builtins.list" and len(proper.args) == 1:
        return proper.args[0]
    if kind == "keyed" and proper.type.fullname == "builtins.dict" and len(proper.args) == 2:
        key = get_proper_type(proper.args[0])
        if isinstance(key, Instance) and key.type.fullname == "builtins.str":
            return proper.args[1]
    return None


def field_hook(ctx: MethodContext) -> Type:
    """``handle.field("x")``: ``x`` is a field of the output; ``OutputHandle[its type]``."""
    default = get_proper_type(ctx.default_return_type)
    handle = get_proper_type(ctx.type)
    if (
        not isinstance(default, Instance)
        or not isinstance(handle, Instance)
        or not handle.args
        or len(ctx.args) != 1
        or len(ctx.args[0]) != 1
        or not isinstance(ctx.args[0][0], StrExpr)
    ):
        return ctx.default_return_type
    output = get_proper_type(handle.args[0])
    if not isinstance(output, Instance) or _mapped_items(output) is not None:
        return ctx.default_return_type
    fields = model_fields(output)
    if fields is None:
        return ctx.default_return_type
    field = ctx.args[0][0].value
    attrs = handle.extra_attrs.attrs if handle.extra_attrs is not None else {}
    task = _literal(attrs.get(_HANDLE))
    report = reporter(ctx.api)
    if field not in fields:
        report.fail(
            codes.ROUTE,
            contract.HANDLE_FIELD_NOT_FOUND.format(
                field=field, model=report.type(output), task=task or "?"
            ),
            Pos.of(ctx.args[0][0]),
        )
        return ctx.default_return_type
    typed = default.copy_modified(args=[fields[field].type])
    recorded = LiteralType(json.dumps([task, field]), str_type(ctx.api))
    return _with(typed, {_OUTPUT: recorded, _OUTPUT_MODEL: output})


def collect_hook(ctx: FunctionContext) -> Type:
    """``collect(...)``: record each member's value type on the ``Collection``."""
    default = get_proper_type(ctx.default_return_type)
    if not isinstance(default, Instance):
        return ctx.default_return_type
    given: list[tuple[str, Type]] = []
    keyed = False
    for kinds, arg_names, types in zip(ctx.arg_kinds, ctx.arg_names, ctx.arg_types, strict=True):
        for kind, arg_name, typ in zip(kinds, arg_names, types, strict=True):
            if kind == ARG_POS:
                given.append((str(len(given)), typ))
            elif kind == ARG_NAMED and arg_name is not None:
                keyed = True
                given.append((arg_name, typ))
            else:
                return ctx.default_return_type  # *members, **spread: not visible
    keywords = sorted(label for label, _ in given if not label.isdigit())
    if keyed and len(keywords) < len(given):
        # The runtime's TypeError, at the call; no collection to check further.
        reporter(ctx.api).fail(
            codes.COLLECTION,
            contract.COLLECT_MIXED.format(positional=len(given) - len(keywords), keywords=keywords),
            Pos.of(ctx.context),
        )
        return ctx.default_return_type
    if len(given) == 1 and not keyed and _is_mapping(given[0][1]):
        return ctx.default_return_type  # collect({...}): one mapping, its members unseen
    members = [_member(label, typ) for label, typ in given]
    data = {
        "kind": "keyed" if keyed else "positional",
        "members": [[m.label, m.source] for m in members],
    }
    attrs: dict[str, Type] = {_COLLECTION: LiteralType(json.dumps(data), str_type(ctx.api))}
    for index, member in enumerate(members):
        if member.type is not None:
            attrs[f"taskmaestro member {index}"] = member.type
    return _with(default, attrs)


def _is_mapping(typ: Type) -> bool:
    proper = get_proper_type(typ)
    return isinstance(proper, Instance) and proper.type.has_base("typing.Mapping")


def _member(label: str, typ: Type) -> _Member:
    value = _handle_value(typ)
    if value is None:
        return _Member(label, None, None)
    if value.field is None:
        return _Member(label, value.source, value.model)
    fields = model_fields(value.model) or {}
    field = fields.get(value.field)
    source = f"{value.source}.{value.field}" if value.source is not None else None
    return _Member(label, source, field.type if field is not None else None)


def _collection(collection: Instance) -> tuple[str, list[_Member]] | None:
    attrs = collection.extra_attrs.attrs if collection.extra_attrs is not None else {}
    raw = _literal(attrs.get(_COLLECTION))
    if raw is None:
        return None
    data = json.loads(raw)
    members = [
        _Member(label, source, attrs.get(f"taskmaestro member {index}"))
        for index, (label, source) in enumerate(data["members"])
    ]
    return data["kind"], members


def _literal(typ: Type | None) -> str | None:
    proper = get_proper_type(typ) if typ is not None else None
    if isinstance(proper, LiteralType) and isinstance(proper.value, str):
        return proper.value
    return None


def _with(instance: Instance, attrs: dict[str, Type]) -> Instance:
    copy = instance.copy_modified()
    copy.extra_attrs = ExtraAttrs(attrs, _NO_IMMUTABLE)
    return copy
