"""The plugin class: cheap dispatch to the hooks, each wrapped so that it never crashes mypy.

``get_*_hook`` methods run for every call, method and class mypy sees, so each
compares strings before it looks anything up. Every hook falls back to mypy's
own result on any exception; set ``TASKMAESTRO_MYPY_DEBUG=1`` to re-raise
instead (the test suite does).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from typing import Final

from mypy.nodes import MypyFile, SymbolTableNode, TypeInfo
from mypy.options import Options
from mypy.plugin import (
    ClassDefContext,
    DynamicClassDefContext,
    FunctionContext,
    FunctionSigContext,
    MethodContext,
    Plugin,
    ReportConfigContext,
)
from mypy.types import FunctionLike, Type

from . import __version__, names
from .deps import indirect_modules, register_dependencies
from .hooks import (
    add_task_hook,
    build_hook,
    builder_hook,
    job_hook,
    job_signature_hook,
    workflow_hook,
)
from .tasks import analyze_task_class

__all__ = ["DEBUG_ENV", "TaskmaestroPlugin"]

DEBUG_ENV: Final = "TASKMAESTRO_MYPY_DEBUG"

_DEPENDENCY_ROOTS: Final = frozenset({names.BUILDER_FACTORY, names.WORKFLOW, names.BUILDER})
_SKIPPED_PREFIXES: Final = ("builtins.", "typing.", "abc.", "pydantic.", "enum.", "collections.")


class TaskmaestroPlugin(Plugin):
    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self._reraise = os.environ.get(DEBUG_ENV, "") not in ("", "0")
        self._function_hook = self._guard_type(partial(workflow_hook, lookup=self._lookup))
        self._builder_function_hook = self._guard_type(builder_hook)
        self._job_hook = self._guard_type(job_hook)
        self._job_signature_hook = self._guard_signature(job_signature_hook)
        self._builder_hook = self._guard_type(builder_hook)
        self._add_task_hook = self._guard_type(add_task_hook)
        self._build_hook = self._guard_type(partial(build_hook, lookup=self._lookup))
        self._task_class_hook = self._guard_semantic(analyze_task_class)
        self._dependency_hook = self._guard_semantic(register_dependencies)

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        if fullname == names.WORKFLOW:
            return self._function_hook
        if fullname == names.BUILDER:
            return self._builder_function_hook
        if fullname == names.JOB:
            return self._job_hook
        return None

    def get_function_signature_hook(
        self, fullname: str
    ) -> Callable[[FunctionSigContext], FunctionLike] | None:
        return self._job_signature_hook if fullname == names.JOB else None

    def get_method_hook(self, fullname: str) -> Callable[[MethodContext], Type] | None:
        owner, _, method = fullname.rpartition(".")
        if method == "add_task":
            return self._add_task_hook if self._is_subclass(owner, names.BUILDER) else None
        if method == "build":
            return self._build_hook if self._is_subclass(owner, names.BUILDER) else None
        if method == "builder":
            return self._builder_hook if self._is_subclass(owner, names.WORKFLOW) else None
        return None

    def get_base_class_hook(self, fullname: str) -> Callable[[ClassDefContext], None] | None:
        if fullname == names.TASK or (
            not fullname.startswith(_SKIPPED_PREFIXES) and self._is_subclass(fullname, names.TASK)
        ):
            return self._task_class_hook
        return None

    def get_dynamic_class_hook(
        self, fullname: str
    ) -> Callable[[DynamicClassDefContext], None] | None:
        return self._dependency_hook if fullname in _DEPENDENCY_ROOTS else None

    def get_additional_indirect_deps(self, file: MypyFile) -> set[str]:
        try:
            return indirect_modules(file, self.lookup_fully_qualified)
        except Exception:
            if self._reraise:
                raise
            return set()

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

    def _guard_signature(
        self, hook: Callable[[FunctionSigContext], FunctionLike]
    ) -> Callable[[FunctionSigContext], FunctionLike]:
        def guarded(ctx: FunctionSigContext) -> FunctionLike:
            try:
                return hook(ctx)
            except Exception:
                if self._reraise:
                    raise
                return ctx.default_signature

        return guarded

    def _guard_semantic[C: ClassDefContext | DynamicClassDefContext](
        self, hook: Callable[[C], None]
    ) -> Callable[[C], None]:
        def guarded(ctx: C) -> None:
            try:
                hook(ctx)
            except Exception:
                if self._reraise:
                    raise

        return guarded
