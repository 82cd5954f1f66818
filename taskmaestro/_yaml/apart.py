"""Every wiring problem of a file, though the core stops at the first.

``WorkflowBuilder.build()`` raises its first violation only. Once it has, the
file's tasks are judged again here, each kind of problem on its own, always by
the core's own rules and in its words:

- references (W9): each reference to no task, or to a class registered under
  several names, is built apart with that reference alone;
- the rules of each task (W1-W8): the core's ``check_node`` over the file's
  graph, with a report that collects (every config field, fan-in entry and
  shared field, then the coverage);
- cycles (W11): one per group of tasks that depend on each other (a strongly
  connected component), named by the core's topological order of the group;
- the result (W12): an unknown ``result_task``, or the sinks of the graph.

What cannot be judged is not: a task with a reference to no task is not
judged for coverage (the field the reference was to fill would be reported
missing too), nor for its single dependency's type; the sinks of a graph
with a cycle or an unknown reference are not looked for (its edges are not
the workflow's).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from .._graph import Edge, Node, successors, topological_order
from .._rules import check_config_fields, check_node, check_result, unwrap_mapped
from .._wiring import Dependency, Owner, Parsed, Wire, parse_dependency
from ..exceptions import (
    ConfigLoadError,
    CycleDetectedError,
    IncompleteInputError,
    WorkflowDefinitionError,
)
from ..task import Task
from ..workflow import WorkflowBuilder
from .format import WorkflowSection
from .locate import ResolvedTask, TaskRef, blame
from .problems import Code, wiring_code
from .source import Source

__all__ = ["VALIDATION_FAILED", "every_problem", "located_problems", "problem_code"]

type Problems = list[WorkflowDefinitionError]

VALIDATION_FAILED = "Workflow validation failed"
"""0.1.0's key phrase before a wiring rule's message."""


def located_problems(
    first: WorkflowDefinitionError,
    tasks: Sequence[ResolvedTask],
    result_ref: TaskRef | None,
    source: Source,
    section: WorkflowSection,
    refused: Sequence[ResolvedTask],
) -> list[tuple[ConfigLoadError, str]]:
    """Every wiring problem of the tasks, each at its node with its code: the core's
    first one (the one the Python API raises) first, then by position.

    ``refused`` are the entries the builder did not add (their own problems are
    reported): a reference to one of them is not a problem of its own.
    """
    found = [first, *every_problem(section.name.value, tasks, result_ref, first)]
    listed = list(tasks)
    by_name = {task.name: task for task in reversed(listed)}
    if refused:
        gone = _Refused(refused)
        found = [p for p in found if not gone.referred_to_by(p, by_name, result_ref)]
    classes = Counter(task.task for task in listed)
    located: list[tuple[ConfigLoadError, str]] = []
    for problem in found:
        where, node = blame(problem, listed, source, section, by_name)
        message = f"{_not_found(problem, by_name, classes, section, result_ref)}{problem}"
        one = where.error(
            node,
            f"{VALIDATION_FAILED}: {message}",
            task_name=problem.task_name,
            fields=problem.fields,
        )
        one.__cause__ = problem
        referrer = by_name.get(problem.task_name) if problem.task_name is not None else None
        located.append((one, problem_code(problem, referrer, result_ref, classes)))
    rest = sorted(
        located[1:],
        key=lambda pair: (pair[0].path or "", pair[0].line or 0, pair[0].column or 0),
    )
    return located[:1] + rest


def problem_code(
    problem: WorkflowDefinitionError,
    referrer: ResolvedTask | None,
    result_ref: TaskRef | None,
    classes: Mapping[type[Task[Any, Any]], int],
) -> str:
    """The mypy plugin's code for a wiring problem of ``referrer`` (the task at fault):
    a reference to a class that several entries add is ambiguous rather than unknown.
    ``classes`` counts the entries of each class."""
    code = wiring_code(problem)
    if code != Code.REFERENCE:
        return code
    ref: object = result_ref if problem.part == ("result_task", None) else None
    if referrer is not None:
        ref = next(
            (c.refers_to for c in referrer.clues if c.part == problem.part and c.refers_to),
            None,
        )
    if isinstance(ref, type) and classes.get(ref, 0) > 1:
        return Code.AMBIGUOUS
    return code


class _Refused:
    """The entries the builder refused, by name and class."""

    def __init__(self, refused: Sequence[ResolvedTask]) -> None:
        self.names = {task.name for task in refused}
        self.classes = {task.task for task in refused}

    def gone(self, ref: object) -> bool:
        return ref in self.names if isinstance(ref, str) else ref in self.classes

    def referred_to_by(
        self,
        problem: WorkflowDefinitionError,
        by_name: Mapping[str, ResolvedTask],
        result_ref: TaskRef | None,
    ) -> bool:
        """Whether a problem is about a reference to a refused entry."""
        if problem.part == ("result_task", None):
            return result_ref is not None and self.gone(result_ref)
        if problem.part is None or problem.part[0] != "reference":
            return False
        task = by_name.get(problem.task_name) if problem.task_name is not None else None
        return task is not None and any(
            clue.part == problem.part and clue.refers_to is not None and self.gone(clue.refers_to)
            for clue in task.clues
        )


def every_problem(
    workflow: str,
    tasks: Sequence[ResolvedTask],
    result_task: TaskRef | None,
    first: WorkflowDefinitionError,
) -> Problems:
    """Every wiring problem of the tasks (each added to a builder without a problem,
    names unique), except ``first``, the one ``build()`` raised."""
    graph = _Graph(workflow, tasks)
    if graph.nodes is None:  # not even the tasks alone make a workflow: nothing to judge
        return []
    found: Problems = []
    for task in tasks:
        found.extend(graph.reference_problems(task))
    for task in tasks:
        found.extend(graph.task_problems(task))
    cycles = graph.cycle_problems()
    found.extend(cycles)
    found.extend(graph.result_problems(result_task, judge_sinks=not cycles))
    seen = {_key(first)}
    covered = set(first.cycle) if isinstance(first, CycleDetectedError) else set()
    unique: Problems = []
    for problem in found:
        if _key(problem) in seen:
            continue
        if isinstance(problem, CycleDetectedError) and covered & set(problem.cycle):
            continue  # the same group of tasks as the core's cycle
        seen.add(_key(problem))
        unique.append(problem)
    return unique


def _key(error: WorkflowDefinitionError) -> tuple[object, ...]:
    return (error.task_name, error.part, str(error))


class _Graph:
    """The file's tasks as the core's nodes, with the edges whose references resolve."""

    def __init__(self, workflow: str, tasks: Sequence[ResolvedTask]) -> None:
        self.workflow = workflow
        self.tasks = tasks
        self.by_name = {task.name: task for task in tasks}
        self.position = {task.name: index for index, task in enumerate(tasks)}
        self.by_class: dict[type[Task[Any, Any]], list[ResolvedTask]] = {}
        for task in tasks:
            self.by_class.setdefault(task.task, []).append(task)
        self.unresolved: dict[str, list[Wire]] = {}
        self.nodes = self._nodes()

    def _nodes(self) -> dict[str, Node] | None:
        """Each task's node: the core's, from the tasks added alone, given its edges."""
        if not self.tasks:
            return None
        alone: WorkflowBuilder[Any, Any] = WorkflowBuilder(
            self.workflow, result_task=self.tasks[0].name
        )
        try:
            for task in self.tasks:
                alone.add_task(task.task, name=task.name)
            bare = alone.build().graph.nodes
        except WorkflowDefinitionError:
            return None
        nodes: dict[str, Node] = {}
        for task in self.tasks:
            edges: list[Edge] = []
            parsed = _parsed(task)
            for wire in parsed.wires:
                source = self._resolve(wire.ref, task)
                if source is None:
                    self.unresolved.setdefault(task.name, []).append(wire)
                else:
                    edges.append(Edge(source, wire.source_field, wire.target_field, wire.member))
            nodes[task.name] = replace(
                bare[task.name],
                edges=tuple(edges),
                config_fields=tuple(task.config_fields),
                mapping=task.mapping,
                collections=parsed.collections,
            )
        for node in tuple(nodes.values()):  # as the builder does: a mapped upstream's dict
            nodes[node.name] = unwrap_mapped(node, nodes)
        return nodes

    def _resolve(self, ref: TaskRef, referrer: ResolvedTask | None) -> str | None:
        """The instance a reference names, if exactly one; as in the core, a class names
        its only instance, which a task refers to only once it is added before it."""
        if isinstance(ref, str):
            return ref if ref in self.by_name else None
        found = self.by_class.get(ref, [])
        if len(found) != 1:
            return None
        if referrer is not None and self.position[found[0].name] >= self.position[referrer.name]:
            return None
        return found[0].name

    def reference_problems(self, task: ResolvedTask) -> Problems:
        """W9: each reference of the task that names no one task, built apart with that
        reference alone (next to the instances that make a class reference ambiguous)."""
        found: Problems = []
        for wire in self.unresolved.get(task.name, ()):
            builder: WorkflowBuilder[Any, Any] = WorkflowBuilder(self.workflow)
            # a collect() member is judged as the field's only value: its reference is at fault
            value: Any = wire.ref if wire.source_field is None else (wire.ref, wire.source_field)
            dependency: Dependency = (
                value if wire.target_field is None else {wire.target_field: value}
            )
            found.extend(self._apart(builder, wire.ref, [(task, dependency)]))
        return found

    def _apart(
        self,
        builder: WorkflowBuilder[Any, Any],
        ref: TaskRef,
        adding: Sequence[tuple[ResolvedTask, Dependency | None]],
    ) -> Problems:
        """The core's problem with ``builder`` once the instances of the class ``ref``
        names (if it names a class) and ``adding`` are added in the file's order."""
        given = dict(adding)
        if isinstance(ref, type):
            for other in self.by_class.get(ref, ()):
                given.setdefault(other, None)
        try:
            for task in sorted(given, key=lambda task: self.position[task.name]):
                builder.add_task(task.task, name=task.name, depends_on=given[task])
            builder.build()
        except WorkflowDefinitionError as error:
            return [error]
        return []

    def task_problems(self, task: ResolvedTask) -> Problems:
        """W1-W8 of one task, every violation (see the module for what is left out)."""
        assert self.nodes is not None
        node = self.nodes[task.name]
        found: Problems = []
        unresolved = self.unresolved.get(task.name)
        try:  # a rule that raises rather than reports stops the task's rules there
            if not unresolved or node.fans_in:
                check_node(node, self.nodes, found.append)
            else:  # its one dependency names no task: only its config fields can be judged
                check_config_fields(node, found.append)
        except WorkflowDefinitionError as error:
            found.append(error.at(task.name))
        if unresolved:
            found = [p for p in found if not isinstance(p, IncompleteInputError)]
        return found

    def cycle_problems(self) -> Problems:
        """W11: one cycle per group of tasks that depend on one another."""
        assert self.nodes is not None
        found: Problems = []
        for group in _strongly_connected(self.nodes):
            members = set(group)
            if len(group) == 1 and not any(e.source in members for e in self.nodes[group[0]].edges):
                continue
            sub = {
                name: replace(
                    self.nodes[name],
                    edges=tuple(e for e in self.nodes[name].edges if e.source in members),
                )
                for name in group
            }
            try:
                topological_order(self.workflow, sub, successors(sub))
            except CycleDetectedError as error:
                found.append(error)
        return found

    def result_problems(self, result_task: TaskRef | None, *, judge_sinks: bool) -> Problems:
        """W12: the result task names one task; without one, the graph has one sink."""
        assert self.nodes is not None
        if result_task is not None:
            if self._resolve(result_task, None) is not None:
                return []
            builder: WorkflowBuilder[Any, Any] = WorkflowBuilder(
                self.workflow, result_task=result_task
            )
            first = self.tasks[0]
            if isinstance(result_task, type):  # its instances, if any, make it ambiguous
                return self._apart(builder, result_task, [])
            return self._apart(builder, result_task, [(first, None)])
        if not judge_sinks or self.unresolved:
            return []
        try:
            check_result(self.workflow, self.nodes, successors(self.nodes))
        except WorkflowDefinitionError as error:
            return [error]
        return []


_NO_HANDLES = Owner(object(), ())
"""A YAML file names tasks, it holds no handles."""


def _parsed(task: ResolvedTask) -> Parsed:
    return parse_dependency(task.name, task.dependency, _NO_HANDLES)


def _strongly_connected(nodes: Mapping[str, Node]) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively (no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for start in nodes:
        if start in index:
            continue
        work: list[tuple[str, int]] = [(start, 0)]
        while work:
            name, position = work.pop()
            if position == 0:
                index[name] = low[name] = len(index)
                stack.append(name)
                on_stack.add(name)
            edges = nodes[name].edges
            if position < len(edges):
                work.append((name, position + 1))
                upstream = edges[position].source
                if upstream not in index:
                    work.append((upstream, 0))
                elif upstream in on_stack:
                    low[name] = min(low[name], index[upstream])
                continue
            if low[name] == index[name]:
                group: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == name:
                        break
                groups.append(group)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[name])
    return groups


def _not_found(
    error: WorkflowDefinitionError,
    by_name: Mapping[str, ResolvedTask],
    classes: Mapping[type[Task[Any, Any]], int],
    section: WorkflowSection,
    result_ref: TaskRef | None,
) -> str:
    """0.1.0's key phrase for a reference to no task, to put before the core's message
    (``by_name`` and ``classes`` index the entries by name and class)."""
    part = error.part

    def unknown(ref: object) -> bool:
        return ref not in by_name if isinstance(ref, str) else ref not in classes

    if part == ("result_task", None) and section.result_task is not None:
        if result_ref is not None and unknown(result_ref):
            return f"result_task '{section.result_task.value}' not found: "
        return ""
    if part is None or part[0] != "reference":
        return ""
    task = by_name.get(error.task_name) if error.task_name is not None else None
    if task is None:
        return ""
    for clue in task.clues:
        if clue.part == part and clue.refers_to is not None and unknown(clue.refers_to):
            written = str(getattr(clue.node, "value", clue.refers_to))
            entry = task.entry.name.value if task.entry.name is not None else _written(task)
            return f"Dependency '{written}' for task '{entry}' not found: "
    return ""


def _written(task: ResolvedTask) -> str:
    """The entry's ``task:`` or ``workflow:`` value, as written."""
    return str(getattr(task.key_node, "value", task.name))
