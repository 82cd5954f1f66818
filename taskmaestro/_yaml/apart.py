"""Every wiring problem of a file, though the core stops at the first.

``WorkflowBuilder.build()`` raises its first violation only. The rules W1-W8
of a task read only its own declaration and its upstream tasks' output
models, so each task is built apart, its upstream tasks added as plain roots;
a fan-in entry or config field found at fault is left out and the task built
again, so that one task's several problems are each found.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..dependencies import Collection
from ..exceptions import IncompleteInputError, WorkflowDefinitionError
from ..task import task_models
from ..workflow import WorkflowBuilder
from .locate import CoreDependency, ResolvedTask

__all__ = ["each_task_problem"]


def each_task_problem(
    workflow: str, tasks: list[ResolvedTask], first: WorkflowDefinitionError
) -> list[WorkflowDefinitionError]:
    """The wiring problems of each task, found by building it apart with its upstream
    tasks as plain roots (the rules W1-W8 of a task read only its own declaration and
    its upstream tasks' output models), except the ``first`` one already found.

    After a problem with one fan-in entry or one config field, that part is left
    out and the task built again, so a task with several such problems reports
    each. (A required field then left uncovered is not reported: leaving the part
    out caused it.) A task whose references do not resolve to one entry is
    skipped: the problem of the whole workflow (``first``) is about it.
    """
    by_name = {task.name: task for task in tasks}
    found: list[WorkflowDefinitionError] = []
    seen = {(first.task, first.part, str(first))}
    for task in tasks:
        upstream = _upstream(task, tasks, by_name)
        if upstream is None:
            continue
        dependency = task.dependency
        config_fields = list(task.config_fields)
        trimmed = False
        for _ in range(
            len(config_fields) + (len(dependency) if isinstance(dependency, dict) else 0) + 1
        ):
            error = _build_apart(workflow, task, upstream, dependency, config_fields)
            if error is None or error.task != task.name:
                break
            if trimmed and isinstance(error, IncompleteInputError):
                break
            key = (error.task, error.part, str(error))
            if key not in seen:
                seen.add(key)
                found.append(error)
            part = error.part
            if part is not None and part[0] == "config_fields" and part[1] in config_fields:
                config_fields.remove(part[1])
            elif (
                part is not None
                and part[0] in ("depends_on", "key", "route", "reference")
                and isinstance(dependency, dict)
                and part[1] in dependency
                and len(dependency) > 1
            ):
                dependency = {k: v for k, v in dependency.items() if k != part[1]}
            else:
                break
            trimmed = True
    return found


def _build_apart(
    workflow: str,
    task: ResolvedTask,
    upstream: list[ResolvedTask],
    dependency: CoreDependency | None,
    config_fields: list[str],
) -> WorkflowDefinitionError | None:
    """Build one task with its upstream tasks as plain roots; the problem, if any."""
    builder: WorkflowBuilder[Any, Any] = WorkflowBuilder(workflow, result_task=task.name)
    try:
        for up in upstream:  # a mapped upstream keeps its MappedOutput
            if up.mapping is None:
                builder.add_task(up.task, name=up.name)
            else:
                mapping = up.mapping
                item_fields = (mapping.key_as, mapping.value_as)
                others = [f for f in task_models(up.task)[0].model_fields if f not in item_fields]
                builder.add_task(up.task, name=up.name, config_fields=others, mapped_over=mapping)
        builder.add_task(
            task.task,
            name=task.name,
            depends_on=dependency,
            config_fields=config_fields,
            mapped_over=task.mapping,
        )
        builder.build()
    except WorkflowDefinitionError as error:
        return error
    return None


def _members(values: Iterable[object]) -> Iterator[object]:
    """The values, each collection replaced by its members."""
    for value in values:
        if isinstance(value, Collection):
            yield from (member for _, member in value.members())
        else:
            yield value


def _upstream(
    task: ResolvedTask, tasks: list[ResolvedTask], by_name: Mapping[str, ResolvedTask]
) -> list[ResolvedTask] | None:
    """The entries a task's dependency names, each once; ``None`` if one is unclear."""
    dependency = task.dependency
    if dependency is None:
        return []
    values = list(dependency.values()) if isinstance(dependency, dict) else [dependency]
    upstream: list[ResolvedTask] = []
    for value in _members(values):
        ref = value[0] if isinstance(value, tuple) else value
        if isinstance(ref, str):
            match = [by_name[ref]] if ref in by_name else []
        else:
            match = [other for other in tasks if other.task is ref]
        if len(match) != 1 or match[0] is task:
            return None
        if match[0] not in upstream:
            upstream.append(match[0])
    return upstream
