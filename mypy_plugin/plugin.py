"""The plugin class: cheap dispatch to the hooks, each wrapped so that it never crashes mypy.

``get_*_hook`` methods run for every call, method and class mypy sees, so each
compares strings before it looks anything up. Every hook falls back to mypy's
own result on any exception; set ``TASKMAESTRO_MYPY_DEBUG=1`` to re-raise
instead (the test suite does).

The modules that implement the hooks are imported when a hook first runs: a
mypy run that finds every module fresh in its cache never runs one, and pays
only for importing this module.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Final

from mypy.nodes import MypyFile, SymbolTableNode, TypeInfo
from mypy.options import Options
from mypy.plugin import (
    ClassDefContext,
    FunctionContext,
    FunctionSigContext,
    MethodContext,
    MethodSigContext,
    Plugin,
    ReportConfigContext,
)
from mypy.types import FunctionLike, Type

from . import __version__, names

if TYPE_CHECKING:
    from .hooks import Lookup
    from .models import Facts

__all__ = ["DEBUG_ENV", "Chain", "Consulted", "TaskmaestroPlugin"]

DEBUG_ENV: Final = "TASKMAESTRO_MYPY_DEBUG"

_SKIPPED_PREFIXES: Final = ("builtins.", "typing.", "abc.", "pydantic.", "enum.", "collections.")


class TaskmaestroPlugin(Plugin):
    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self._reraise = os.environ.get(DEBUG_ENV, "") not in ("", "0")
        self._consulted = Consulted()
        self._chain = Chain()
        self._function_hook = self._guard_type(
            partial(_workflow, lookup=self._lookup, consulted=self._consulted)
        )
        self._builder_function_hook = self._guard_type(partial(_builder, chain=self._chain))
        self._job_hook = self._guard_type(_job)
        self._job_signature_hook = self._guard_signature(_job_signature)
        self._builder_hook = self._builder_function_hook
        self._add_task_hook = self._guard_type(
            partial(_add_task, consulted=self._consulted, chain=self._chain)
        )
        self._set_result_hook = self._guard_type(_set_result)
        self._set_result_signature_hook = self._guard_signature(_set_result_signature)
        self._build_hook = self._guard_type(partial(_build, lookup=self._lookup, chain=self._chain))
        self._task_hook = self._guard_type(partial(_task, mapped=False))
        self._map_task_hook = self._guard_type(partial(_task, mapped=True))
        self._field_hook = self._guard_type(_field)
        self._collect_hook = self._guard_type(_collect)
        self._task_class_hook = self._guard_semantic(_task_class)
        self._model_class_hook = self._guard_semantic(_model_class)

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        if fullname == names.WORKFLOW:
            return self._function_hook
        if fullname == names.BUILDER:
            return self._builder_function_hook
        if fullname == names.JOB:
            return self._job_hook
        if fullname == names.COLLECT:
            return self._collect_hook
        return None

    def get_function_signature_hook(
        self, fullname: str
    ) -> Callable[[FunctionSigContext], FunctionLike] | None:
        return self._job_signature_hook if fullname == names.JOB else None

    def get_method_signature_hook(
        self, fullname: str
    ) -> Callable[[MethodSigContext], FunctionLike] | None:
        owner, _, method = fullname.rpartition(".")
        if method == "set_result_task" and self._is_subclass(owner, names.BUILDER):
            return self._set_result_signature_hook
        return None

    def get_method_hook(self, fullname: str) -> Callable[[MethodContext], Type] | None:
        owner, _, method = fullname.rpartition(".")
        if method == "add_task":
            return self._add_task_hook if self._is_subclass(owner, names.BUILDER) else None
        if method == "set_result_task":
            return self._set_result_hook if self._is_subclass(owner, names.BUILDER) else None
        if method == "build":
            return self._build_hook if self._is_subclass(owner, names.BUILDER) else None
        if method == "builder":
            return self._builder_hook if self._is_subclass(owner, names.WORKFLOW) else None
        if method == "task":
            return self._task_hook if self._is_subclass(owner, names.BUILDER) else None
        if method == "map_task":
            return self._map_task_hook if self._is_subclass(owner, names.BUILDER) else None
        if method == "field":
            return self._field_hook if self._is_subclass(owner, names.TASK_HANDLE) else None
        return None

    def get_base_class_hook(self, fullname: str) -> Callable[[ClassDefContext], None] | None:
        if fullname == names.TASK or (
            not fullname.startswith(_SKIPPED_PREFIXES) and self._is_subclass(fullname, names.TASK)
        ):
            return self._task_class_hook
        return None

    def get_customize_class_mro_hook(
        self, fullname: str
    ) -> Callable[[ClassDefContext], None] | None:
        """Every class, to record its Pydantic fields: the model hooks are pydantic.mypy's."""
        return None if fullname.startswith(_SKIPPED_PREFIXES) else self._model_class_hook

    def get_additional_indirect_deps(self, file: MypyFile) -> set[str]:
        """The modules whose classes this file's wirings read (see ``deps.py``)."""
        return self._consulted.pop(file.path, file.fullname)

    def report_config_data(self, ctx: ReportConfigContext) -> str:
        """Part of each module's cache key: a new plugin version invalidates the caches."""
        return __version__

    def _lookup(self, fullname: str) -> SymbolTableNode | None:
        return self.lookup_fully_qualified(fullname)

    def _is_subclass(self, fullname: str, base: str) -> bool:
        if fullname == base:
            return True
        symbol = self.lookup_fully_qualified(fullname)
        return (
            symbol is not None and isinstance(symbol.node, TypeInfo) and symbol.node.has_base(base)
        )

    def _guard_type[C: FunctionContext | MethodContext](
        self, hook: Callable[[C], Type]
    ) -> Callable[[C], Type]:
        def guarded(ctx: C) -> Type:
            try:
                return hook(ctx)
            except Exception:
                if self._reraise:
                    raise
                return ctx.default_return_type

        return guarded

    def _guard_signature[C: FunctionSigContext | MethodSigContext](
        self, hook: Callable[[C], FunctionLike]
    ) -> Callable[[C], FunctionLike]:
        def guarded(ctx: C) -> FunctionLike:
            try:
                return hook(ctx)
            except Exception:
                if self._reraise:
                    raise
                return ctx.default_signature

        return guarded

    def _guard_semantic(
        self, hook: Callable[[ClassDefContext], None]
    ) -> Callable[[ClassDefContext], None]:
        def guarded(ctx: ClassDefContext) -> None:
            try:
                hook(ctx)
            except Exception:
                if self._reraise:
                    raise

        return guarded


class Consulted:
    """The modules each checked file's wirings read classes from (coarse dependencies).

    Keyed by file path and emptied when mypy asks for a file's dependencies,
    right after checking it, so a daemon's plugin keeps nothing stale.
    """

    def __init__(self) -> None:
        self._modules: dict[str, set[str]] = {}
        self._tasks: dict[str, set[str]] = {}

    def record(self, path: str, task: TypeInfo) -> None:
        seen = self._tasks.setdefault(path, set())
        if task.fullname not in seen:
            seen.add(task.fullname)
            from .deps import task_modules

            self._modules.setdefault(path, set()).update(task_modules(task))

    def pop(self, path: str, module: str) -> set[str]:
        self._tasks.pop(path, None)
        modules = self._modules.pop(path, set())
        modules.discard(module)
        return modules


class Chain:
    """The ``Facts`` of the fluent builder chain being checked (see ``models.Facts``).

    ``Workflow.builder(...)`` starts a new one; a step uses it only when it is
    chained to that call in the same expression (the registry's ``complete``),
    so what it holds was read during this check of that expression.
    """

    __slots__ = ("facts",)

    def __init__(self) -> None:
        self.facts: Facts | None = None


# The hooks, each importing its module on first use.


def _workflow(ctx: FunctionContext, lookup: Lookup, consulted: Consulted) -> Type:
    from .hooks import workflow_hook

    return workflow_hook(ctx, lookup, consulted)


def _builder(ctx: FunctionContext | MethodContext, chain: Chain) -> Type:
    from .hooks import builder_hook

    return builder_hook(ctx, chain)


def _add_task(ctx: MethodContext, consulted: Consulted, chain: Chain) -> Type:
    from .hooks import add_task_hook

    return add_task_hook(ctx, consulted, chain)


def _set_result(ctx: MethodContext) -> Type:
    from .hooks import set_result_hook

    return set_result_hook(ctx)


def _set_result_signature(ctx: MethodSigContext) -> FunctionLike:
    from .hooks import set_result_signature_hook

    return set_result_signature_hook(ctx)


def _build(ctx: MethodContext, lookup: Lookup, chain: Chain) -> Type:
    from .hooks import build_hook

    return build_hook(ctx, lookup, chain)


def _job(ctx: FunctionContext) -> Type:
    from .hooks import job_hook

    return job_hook(ctx)


def _job_signature(ctx: FunctionSigContext) -> FunctionLike:
    from .hooks import job_signature_hook

    return job_signature_hook(ctx)


def _task(ctx: MethodContext, mapped: bool) -> Type:
    from .handles import task_hook

    return task_hook(ctx, mapped)


def _field(ctx: MethodContext) -> Type:
    from .handles import field_hook

    return field_hook(ctx)


def _collect(ctx: FunctionContext) -> Type:
    from .handles import collect_hook

    return collect_hook(ctx)


def _task_class(ctx: ClassDefContext) -> None:
    from .tasks import analyze_task_class

    analyze_task_class(ctx)


def _model_class(ctx: ClassDefContext) -> None:
    from .fields import analyze_model_class

    analyze_model_class(ctx)
