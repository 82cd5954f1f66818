"""From checked workflow records to builder calls, job, runner and context.

The wiring rules are the core's: this module only translates the file into
``WorkflowBuilder.add_task`` calls and, when the core refuses them, points at
the YAML node the refusal concerns (``WorkflowDefinitionError.task`` names the
task; the message's quoted names pick the key within its entry).
"""

from __future__ import annotations

import inspect
import itertools
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode

from ..context import ExecutionContext
from ..dependencies import Collection as Collected
from ..dependencies import collect
from ..discovery import PluginLoadError, get_registered_task, registered_task_names
from ..exceptions import ConfigLoadError, WorkflowDefinitionError
from ..executors import (
    EXECUTOR_KINDS,
    ExecutorChoice,
    ExecutorKind,
    choice_problem,
    dask_problem,
)
from ..hooks.base import Hook
from ..job import Job, JobConfiguration
from ..mapping import TaskMap
from ..retry import Retry
from ..runner import Runner
from ..task import Task, retry_of, task_models
from ..workflow import Workflow, WorkflowBuilder
from ..workflow_task import workflow_task
from .apart import VALIDATION_FAILED, located_problems, problem_code
from .core import check_configuration, task_input_model
from .format import (
    WORKFLOW_FILE,
    CollectEntry,
    ContextSection,
    Dependency,
    MapEntry,
    NestedEntry,
    Route,
    RunnerSection,
    TaskEntry,
    WorkflowFile,
    WorkflowSection,
)
from .hooks import check_hook_class, make_hook
from .imports import ImportProblem, import_object
from .inputs import (
    INPUT_INVALID,
    PER_TASK_HINT,
    InputFile,
    check_task_values,
    flat_config,
    read_input_file,
    root_task,
)
from .locate import (
    Clue,
    CoreDependency,
    ResolvedTask,
    TaskRef,
    blame,
    blame_job,
)
from .overrides import Override, apply_flat, apply_per_task
from .problems import (
    HOOK,
    IMPORT,
    INPUT,
    PLUGIN,
    SCHEMA,
    Code,
    ConfigProblems,
    coded,
    collecting,
    independent,
    job_code,
    note,
    skip,
)
from .shapes import SCHEMA_ERROR, Marked
from .source import FlagMark, Source, read_source

__all__ = [
    "MAX_INCLUDE_DEPTH",
    "Definition",
    "Loaded",
    "load",
    "load_definition",
    "load_for_workflow",
]

MAX_INCLUDE_DEPTH = 32
"""Most workflow files nested inside one another."""


@dataclass(frozen=True, eq=False)
class Loaded:
    """Everything a workflow file and its input file make."""

    workflow: Workflow[Any, Any]
    runner: Runner
    job: Job[Any, Any]
    context: ExecutionContext
    timeout_seconds: float | None
    executor: ExecutorChoice = field(default_factory=ExecutorChoice)


@dataclass(frozen=True, eq=False)
class Definition:
    """What a workflow file makes on its own, with no input bound to it (no job)."""

    workflow: Workflow[Any, Any]
    runner: Runner
    timeout_seconds: float | None


def load(
    workflow_path: Path,
    input_path: Path | None,
    extra_hooks: Sequence[Hook] = (),
    overrides: Sequence[Override] = (),
) -> Loaded:
    """Load a workflow file and its input file (``None``: no input).

    ``extra_hooks`` follow the file's hooks on the runner (the command line's
    progress display); ``overrides`` (``--set``) are set over the input file's values.
    """
    return _Loading().top(workflow_path, input_path, extra_hooks, overrides)


def load_definition(workflow_path: Path) -> Definition:
    """Check a workflow file alone, as ``load`` would, without reading any input.

    The input is what the file cannot say: whether the root task gets its
    fields, and the fields a per-task input file adds to ``config_fields``.
    """
    return _Loading().definition(workflow_path)


class _Loading:
    """One load: imports and nested workflows cached, and the chain of files being read."""

    def __init__(self) -> None:
        self._objects: dict[tuple[Path | None, str], object] = {}
        self._task_ids: set[str] | None = None
        self._including: list[tuple[Path, str]] = []
        self._nested: dict[
            tuple[Path, Path | None], tuple[Workflow[Any, Any], JobConfiguration]
        ] = {}

    # -- the top-level file -------------------------------------------------------------

    def top(
        self,
        workflow_path: Path,
        input_path: Path | None,
        extra_hooks: Sequence[Hook] = (),
        overrides: Sequence[Override] = (),
    ) -> Loaded:
        source = read_source(workflow_path, label="workflow file")
        with named(declared_name(source)):
            return self._top(source, workflow_path, input_path, extra_hooks, overrides)

    def _top(
        self,
        source: Source,
        workflow_path: Path,
        input_path: Path | None,
        extra_hooks: Sequence[Hook],
        overrides: Sequence[Override],
    ) -> Loaded:
        file = read_workflow_file(source)
        section = file.workflow

        def read_inputs(names: Collection[str]) -> InputFile | None:
            inputs = None
            if input_path is not None:
                input_source = read_source(input_path, label="input file", input_file=True)
                inputs = read_input_file(input_source, names, per_task_only=False)
            return apply_per_task(inputs, overrides, names)

        self._including.append((workflow_path.resolve(), source.path))

        def workflow_and_job() -> tuple[Workflow[Any, Any], Job[Any, Any]]:
            workflow, inputs, tasks = self._compile(source, section, read_inputs)
            if inputs is not None and inputs.per_task is None:
                inputs = _flat_overrides(workflow, inputs, overrides)
            return workflow, self._job(workflow, inputs, tasks, source, section)

        (workflow, job), (runner, timeout) = independent(
            workflow_and_job, lambda: self._runner(file.runner, source, extra_hooks)
        )
        context = _context(file.context, source)
        return Loaded(workflow, runner, job, context, timeout, _executor(file.runner, source))

    def definition(self, workflow_path: Path) -> Definition:
        source = read_source(workflow_path, label="workflow file")
        with named(declared_name(source)):
            file = read_workflow_file(source)
            self._including.append((workflow_path.resolve(), source.path))
            (workflow, _, _), (runner, timeout) = independent(
                lambda: self._compile(source, file.workflow, lambda names: None),
                lambda: self._runner(file.runner, source),
            )
        return Definition(workflow, runner, timeout)

    # -- a workflow section, nested or not -------------------------------------------------

    def _compile(
        self,
        source: Source,
        section: WorkflowSection,
        read_inputs: Callable[[Collection[str]], InputFile | None],
    ) -> tuple[Workflow[Any, Any], InputFile | None, list[ResolvedTask]]:
        tasks: list[ResolvedTask] = []
        with collecting():  # every entry's import problems, not only the first
            for index, entry in enumerate(section.tasks):
                try:
                    tasks.append(self._resolve(entry, source, f"workflow.tasks[{index}]"))
                except ConfigLoadError as error:
                    note(error, _resolve_code(error))
        _chain_if_linear(tasks, source)
        inputs = read_inputs({task.name for task in tasks})
        if inputs is not None and inputs.per_task is not None:
            for task in tasks:
                source_key = task.mapping.over if task.mapping is not None else None
                for name, _ in inputs.per_task.get(task.name, (None, ()))[1]:
                    if name.value != source_key:  # a map's items are no config field
                        task.config_fields.setdefault(name.value, (inputs.source, name.node))
        result = section.result_task
        result_ref = self._ref(result, source, "workflow.result_task") if result else None
        builder: WorkflowBuilder[Any, Any] = WorkflowBuilder(
            section.name.value, result_task=result_ref
        )
        added: list[ResolvedTask] = []
        classes: Counter[type[Task[Any, Any]]] = Counter()
        first_named: dict[str, ResolvedTask] = {}  # the entries so far, the first of a name
        with collecting():  # every entry the builder refuses (a bad or taken name, ...)
            for task in tasks:
                entry = task.entry
                classes[task.task] += 1
                first_named.setdefault(task.name, task)
                try:
                    builder.add_task(
                        task.task,
                        name=entry.name.value if entry.name is not None else None,
                        depends_on=task.dependency,
                        config_fields=list(task.config_fields),
                        mapped_over=task.mapping,
                        retry=_retry(task) if isinstance(entry, TaskEntry) else None,
                    )
                except WorkflowDefinitionError as error:
                    # a taken name (this entry's), a class reference (the part at fault
                    # among the entries so far), else a name that is not one
                    if error.part == ("name", None) and error.task_name is not None:
                        where, node = task.node_of(error.part, source)
                        problem = where.error(node, f"{task.at}: {error}")
                    elif error.part is not None and error.task_name is not None:
                        where, node = blame(error, tasks, source, section, first_named)
                        problem = where.error(node, f"{task.at}: {error}")
                    else:
                        node = entry.name.node if entry.name is not None else task.key_node
                        message = f"{VALIDATION_FAILED}: {task.at}: {error}"
                        problem = source.error(node, message)
                    problem.__cause__ = error
                    note(problem, problem_code(error, task, result_ref, classes))
                else:
                    added.append(task)
            if len(added) < len(tasks):  # the others' wiring is judged as it stands
                kept = set(added)
                refused = [task for task in tasks if task not in kept]
                try:
                    builder.build()
                except WorkflowDefinitionError as error:
                    for one, code in located_problems(
                        error, added, result_ref, source, section, refused
                    ):
                        note(one, code)
                raise skip()
        try:
            workflow = builder.build()
        except WorkflowDefinitionError as error:
            found = located_problems(error, tasks, result_ref, source, section, [])
            if len(found) == 1:
                raise found[0][0] from error
            with collecting():
                for one, code in found:
                    note(one, code)
            raise  # not reached: the core's own problem is among those noted
        return workflow, inputs, tasks

    def _resolve(self, entry: TaskEntry | NestedEntry, source: Source, at: str) -> ResolvedTask:
        if isinstance(entry, TaskEntry):
            task = self._task_class(entry.task, source, f"{at}.task")
        else:
            task = self._nested_task(entry, source, at)
        name = entry.name.value if entry.name is not None else task.name
        clues: list[Clue] = []
        dependency = self._dependency(entry.depends_on, source, f"{at}.depends_on", clues)
        resolved = ResolvedTask(entry, at, task, name, dependency, clues)
        if isinstance(entry, TaskEntry) and entry.map is not None:
            resolved.mapping = _task_map(entry.map, source, f"{at}.map", clues)
        for field_name in entry.config_fields:
            resolved.config_fields.setdefault(field_name.value, (source, field_name.node))
        return resolved

    # -- references --------------------------------------------------------------------

    def _import(self, path: Marked[str], source: Source, at: str) -> object:
        key = (source.directory, path.value)
        if key not in self._objects:
            try:
                self._objects[key] = import_object(path.value, source.directory)
            except ImportProblem as problem:
                raise source.error(
                    path.node, f"{at}: cannot import '{path.value}': {problem}"
                ) from (problem.__cause__ or problem)
        return self._objects[key]

    def _task_class(self, path: Marked[str], source: Source, at: str) -> type[Task[Any, Any]]:
        if path.value in self._registered_names():
            return self._registered_task(path, source, at)
        found = self._import(path, source, at)
        if not (isinstance(found, type) and issubclass(found, Task)):
            raise source.error(
                path.node,
                f"{at}: '{path.value}' is not a Task subclass (it is {_kind(found)}); "
                "expected a subclass of taskmaestro.Task",
            )
        if inspect.isabstract(found):
            missing = ", ".join(sorted(getattr(found, "__abstractmethods__", ())))
            raise source.error(
                path.node, f"{at}: Task class '{path.value}' is abstract (it lacks: {missing})"
            )
        try:
            task_models(found)
        except WorkflowDefinitionError as error:
            raise source.error(path.node, f"{at}: {error}") from error
        return found

    def _registered_names(self) -> set[str]:
        """The installed packages' task identifiers, read once per load (nothing imported)."""
        if self._task_ids is None:
            self._task_ids = registered_task_names()
        return self._task_ids

    def _registered_task(self, path: Marked[str], source: Source, at: str) -> type[Task[Any, Any]]:
        """The task an installed package registers as ``path`` (only that plugin imported)."""
        key = (None, path.value)
        if key not in self._objects:
            try:
                self._objects[key] = get_registered_task(path.value)
            except PluginLoadError as error:
                raise source.error(path.node, f"{at}: {error}") from error
        found = self._objects[key]
        assert isinstance(found, type)
        assert issubclass(found, Task)
        try:
            task_models(found)
        except WorkflowDefinitionError as error:
            raise source.error(path.node, f"{at}: {error}") from error
        return found

    def _ref(self, ref: Marked[str], source: Source, at: str) -> TaskRef:
        """A registered task identifier or a dotted path is a Task class; anything else is
        an instance name."""
        if "." in ref.value or ref.value in self._registered_names():
            return self._task_class(ref, source, at)
        return ref.value

    def _dependency(
        self, dependency: Dependency | None, source: Source, at: str, clues: list[Clue]
    ) -> CoreDependency | None:
        if dependency is None:
            return None
        if isinstance(dependency, Marked | Route):
            return self._source(dependency, None, source, at, clues)
        fan_in: dict[str, TaskRef | tuple[TaskRef, str] | Collected[Any]] = {}
        for key, value in dependency:
            clues.append(Clue(("key", key.value), source, key.node))
            at_key = f"{at}.{key.value}"
            if isinstance(value, CollectEntry):
                fan_in[key.value] = self._collection(value, key.value, source, at_key, clues)
            else:
                fan_in[key.value] = self._source(value, key.value, source, at_key, clues)
        return fan_in

    def _collection(
        self, entry: CollectEntry, key: str, source: Source, at: str, clues: list[Clue]
    ) -> Collected[Any]:
        """``{collect: ...}``: each member read as a fan-in value of field ``key``."""
        clues.append(Clue(("depends_on", key), source, entry.node))
        members = [
            (label, self._source(member, key, source, f"{at}.collect[{index}]", clues))
            for index, (label, member) in enumerate(entry.collect.members)
        ]
        if entry.collect.keyed:
            return collect({str(label.value if label else ""): ref for label, ref in members})
        return collect(*(ref for _, ref in members))

    def _source(
        self,
        value: Marked[str] | Route,
        key: str | None,
        source: Source,
        at: str,
        clues: list[Clue],
    ) -> TaskRef | tuple[TaskRef, str]:
        """One upstream value; ``key`` is its fan-in key (``None``: the single dependency)."""
        if isinstance(value, Route):
            task = self._ref(value.task, source, f"{at}[0]")
            clues.append(Clue(("reference", key), source, value.task.node, refers_to=task))
            clues.append(Clue(("route", key), source, value.field.node))
            clues.append(Clue(("depends_on", key), source, value.task.node))
            return task, value.field.value
        task = self._ref(value, source, at)
        clues.append(Clue(("reference", key), source, value.node, refers_to=task))
        clues.append(Clue(("depends_on", key), source, value.node))
        return task

    # -- nested workflow files -----------------------------------------------------------

    def _nested_task(self, entry: NestedEntry, source: Source, at: str) -> type[Task[Any, Any]]:
        path = source.directory / entry.workflow.value
        shown = str(Path(source.path).parent / entry.workflow.value)
        real = path.resolve()
        chain = [real_path for real_path, _ in self._including]
        if real in chain:
            cycle = [name for _, name in self._including[chain.index(real) :]] + [shown]
            raise source.error(
                entry.workflow.node,
                f"{at}.workflow: include cycle: {' -> '.join(cycle)}",
            )
        if len(self._including) >= MAX_INCLUDE_DEPTH:
            raise source.error(
                entry.workflow.node,
                f"{at}.workflow: workflow files are nested more than {MAX_INCLUDE_DEPTH} deep",
            )
        given_input = entry.workflow_input
        input_path = source.directory / given_input.value if given_input is not None else None
        key = (real, input_path.resolve() if input_path is not None else None)
        if key not in self._nested:
            self._including.append((real, shown))
            try:
                self._nested[key] = self._load_nested(entry, source, path, shown, input_path)
            finally:
                self._including.pop()
        workflow, configuration = self._nested[key]
        try:
            return workflow_task(
                workflow,
                name=entry.name.value if entry.name is not None else None,
                job_configuration=configuration,
            )
        except Exception as error:  # the core refused the wrapping: say where
            raise source.error(entry.workflow.node, f"{at}.workflow: {error}") from error

    def _load_nested(
        self,
        entry: NestedEntry,
        outer: Source,
        path: Path,
        shown: str,
        input_path: Path | None,
    ) -> tuple[Workflow[Any, Any], JobConfiguration]:
        source = read_source(
            path,
            label="nested workflow file",
            shown_as=shown,
            included_from=(outer, entry.workflow.node),
        )
        file = read_workflow_file(source)

        def read_inputs(names: Collection[str]) -> InputFile | None:
            if input_path is None or entry.workflow_input is None:
                return None
            input_source = read_source(
                input_path,
                label="nested workflow input file",
                input_file=True,
                shown_as=str(Path(outer.path).parent / entry.workflow_input.value),
                included_from=(outer, entry.workflow_input.node),
            )
            return read_input_file(input_source, names, per_task_only=True)

        workflow, inputs, tasks = self._compile(source, file.workflow, read_inputs)
        configuration = _configuration(workflow, inputs)
        try:
            check_configuration(workflow, configuration)
        except WorkflowDefinitionError as error:
            where_source, node = blame_job(error, inputs, tasks, source, file.workflow)
            raise where_source.error(node, str(error)) from error
        return workflow, configuration

    # -- job, runner, context ------------------------------------------------------------

    def _job(
        self,
        workflow: Workflow[Any, Any],
        inputs: InputFile | None,
        tasks: list[ResolvedTask],
        source: Source,
        section: WorkflowSection,
    ) -> Job[Any, Any]:
        try:
            if inputs is not None and inputs.per_task is not None:
                config = _empty_config(workflow, inputs)
            elif inputs is not None:
                config = flat_config(workflow, inputs)
            else:
                config = _no_input_config(workflow, source, section)
        except ConfigProblems:
            raise
        except ConfigLoadError as error:
            raise coded(error, INPUT) from error.__cause__
        configuration = _configuration(workflow, inputs)
        try:
            return Job(workflow, config, job_configuration=configuration)
        except WorkflowDefinitionError as error:
            where_source, node = blame_job(error, inputs, tasks, source, section)
            hint = ""
            if inputs is not None and inputs.per_task is None:
                hint = (
                    " (the input file is flat: its keys are the root task's input fields; to "
                    "configure tasks, key it by task names)"
                )
            problem = where_source.error(node, f"{error}{hint}")
            problem.__cause__ = error
            raise coded(problem, job_code(error)) from error

    def _runner(
        self, section: RunnerSection | None, source: Source, extra_hooks: Sequence[Hook] = ()
    ) -> tuple[Runner, float | None]:
        if section is None:
            return Runner(hooks=extra_hooks), None
        hooks: list[Hook] = []
        with collecting():
            for index, entry in enumerate(section.hooks):
                at = f"runner.hooks[{index}]"
                try:
                    found = self._import(entry.hook, source, f"{at}.hook")
                    hook_class = check_hook_class(found, entry.hook, source, at)
                    hooks.append(make_hook(hook_class, entry, source, at))
                except ConfigLoadError as error:
                    note(error, HOOK)
        timeout = section.timeout_seconds.value if section.timeout_seconds is not None else None
        cache = source.directory / section.cache.value if section.cache is not None else None
        return Runner(hooks=[*hooks, *extra_hooks], cache=cache), timeout


def _retry(task: ResolvedTask) -> Retry | None:
    """The entry's retry keys over its class's policy; ``None`` when it has none."""
    entry = task.entry
    assert isinstance(entry, TaskEntry)
    given = (entry.retries, entry.retry_delay_seconds, entry.retry_backoff)
    if all(value is None for value in given):
        return None
    base = retry_of(task.task)  # raises WorkflowDefinitionError for invalid class attributes
    retries, delay, backoff = given
    return Retry(
        int(retries.value) if retries is not None else base.retries,
        delay.value if delay is not None else base.delay_seconds,
        backoff.value if backoff is not None else base.backoff,
        base.on,
    )


@contextmanager
def named(name: str | None) -> Iterator[None]:
    """Give the problems raised inside the workflow's name (where none is given yet)."""
    try:
        yield
    except ConfigLoadError as error:
        if error.workflow_name is None:
            error.workflow_name = name
        raise


def declared_name(source: Source) -> str | None:
    """The ``workflow: name:`` a workflow file declares, read before anything is checked,
    so that a problem anywhere later can name its workflow (``None``: none is there)."""
    try:
        section = _value_of(source, source.root, "workflow")
        name = _value_of(source, section, "name") if section is not None else None
    except ConfigLoadError:  # a bad merge key: the file's check reports it
        return None
    if isinstance(name, ScalarNode) and name.tag == "tag:yaml.org,2002:str":
        return str(name.value)
    return None


def _value_of(source: Source, node: Node, key: str) -> Node | None:
    if not isinstance(node, MappingNode):
        return None
    return next((value for k, value in source.pairs(node) if k.value == key), None)


def _flat_overrides(
    workflow: Workflow[Any, Any], inputs: InputFile, overrides: Sequence[Override]
) -> InputFile:
    """A flat input file with the ``--set`` values of its root task."""
    try:
        return apply_flat(inputs, overrides, root_task(workflow), workflow.input_model)
    except ConfigLoadError as error:
        raise coded(error, INPUT) from error.__cause__


def _executor(section: RunnerSection | None, source: Source) -> ExecutorChoice:
    """``runner.executor``, ``max_workers`` and ``scheduler``, checked where they are written."""
    if section is None:
        return ExecutorChoice()
    kind, workers, scheduler = section.executor, section.max_workers, section.scheduler
    chosen = kind.value if kind is not None else "sequential"
    found = choice_problem(
        chosen,
        workers.value if workers is not None else None,
        scheduler.value if scheduler is not None else None,
    )
    if found is None and chosen == "dask":
        problem = dask_problem()
        found = ("executor", problem) if problem is not None else None
    if found is not None:
        at, problem = found
        marked = {"executor": kind, "max_workers": workers, "scheduler": scheduler}[at] or kind
        node = marked.node if marked is not None else section.node
        raise coded(source.error(node, f"{SCHEMA_ERROR}: runner.{at}: {problem}"), SCHEMA)
    return ExecutorChoice(
        _KINDS[chosen],
        workers.value if workers is not None else None,
        scheduler.value if scheduler is not None else None,
    )


_KINDS: dict[str, ExecutorKind] = {kind: kind for kind in EXECUTOR_KINDS}
"""The executor named by a checked word, typed."""


def _context(section: ContextSection | None, source: Source) -> ExecutionContext:
    if section is None:
        return ExecutionContext()
    scratch = section.scratch_dir
    return ExecutionContext(
        correlation_id=section.correlation_id.value if section.correlation_id else None,
        scratch_dir=source.directory / scratch.value if scratch is not None else None,
        services={name.value: value.value for name, value in section.services},
    )


def _configuration(workflow: Workflow[Any, Any], inputs: InputFile | None) -> JobConfiguration:
    """The per-task values of the input file, each checked where it is written."""
    if inputs is None or inputs.per_task is None:
        return JobConfiguration()
    values: dict[str, Mapping[str, object]] = {}
    with collecting():
        for task, (_, fields) in inputs.per_task.items():
            try:
                check_task_values(task_input_model(workflow, task), task, fields, inputs.source)
            except ConfigLoadError as error:
                note(error, INPUT)
            values[task] = {name.value: value.value for name, value in fields}
    return JobConfiguration(values)


def _empty_config(workflow: Workflow[Any, Any], inputs: InputFile) -> Any:
    """Per-task mode: no flat input, so the job config is the input model with no values."""
    model = workflow.input_model
    try:
        return model.model_validate({})
    except Exception:
        root = root_task(workflow)
        where = inputs.source.root
        if isinstance(where.start_mark, FlagMark):  # no input file: only --set values
            hint = f"no --set gives it; give its fields with --set {root}.FIELD=VALUE"
        else:
            hint = f"{PER_TASK_HINT}; give its fields under '{root}:'"
        raise inputs.source.error(
            where,
            f"{INPUT_INVALID}: root task '{root}' needs its input ({model.__name__}), but {hint}",
        ) from None


def _no_input_config(workflow: Workflow[Any, Any], source: Source, section: WorkflowSection) -> Any:
    model = workflow.input_model
    try:
        return model.model_validate({})
    except Exception:
        root = root_task(workflow)
        raise source.error(
            section.node,
            f"root task '{root}' needs its input ({model.__name__}: "
            f"{', '.join(model.model_fields)}); give an input file",
        ) from None


def read_workflow_file(source: Source) -> WorkflowFile:
    """The file's records; every problem of its keys and shapes is reported at once."""
    read: WorkflowFile | None = None
    with collecting():
        read = WORKFLOW_FILE.read(source.root, "", source)
    assert read is not None  # collecting() raised otherwise
    return read


def _resolve_code(error: ConfigLoadError) -> str:
    if isinstance(error.__cause__, PluginLoadError):
        return PLUGIN
    if isinstance(error.__cause__, WorkflowDefinitionError):
        return Code.TASK_MODEL
    return IMPORT


def _task_map(entry: MapEntry, source: Source, at: str, clues: list[Clue]) -> TaskMap:
    """A ``map:`` entry's TaskMap; a bad one is a ConfigLoadError at the entry."""
    clues.append(Clue(("map", entry.key_as.value), source, entry.key_as.node))
    clues.append(Clue(("map", entry.value_as.value), source, entry.value_as.node))
    mode = entry.error_mode.value if entry.error_mode is not None else "fail_fast"
    try:
        return TaskMap(
            entry.over.value,
            entry.key_as.value,
            entry.value_as.value,
            "collect_all" if mode == "collect_all" else "fail_fast",
        )
    except ValueError as error:
        raise source.error(entry.node, f"{VALIDATION_FAILED}: {at}: {error}") from error


def _chain_if_linear(tasks: list[ResolvedTask], source: Source) -> None:
    """Linear mode (as in 0.1.0): when no entry has ``depends_on`` or ``map``, each task
    takes the whole output of the entry before it. Names and ``config_fields`` work as
    anywhere."""
    if any(task.entry.depends_on is not None or task.mapping is not None for task in tasks):
        return
    for previous, task in itertools.pairwise(tasks):
        task.dependency = previous.name
        task.clues.append(Clue(("reference", None), source, task.key_node, previous.name))
        task.clues.append(Clue(("depends_on", None), source, task.key_node))


def _kind(found: object) -> str:
    if isinstance(found, type):
        return f"the class {found.__qualname__}"
    return f"a {type(found).__name__}"


def load_for_workflow(
    workflow: Workflow[Any, Any], input_path: Path | None, overrides: Sequence[Override] = ()
) -> Loaded:
    """Bind an input file to a workflow that is already built (a registered one).

    The input file reads as for a YAML workflow (per task or flat), except that
    the workflow's ``config_fields`` are fixed: a per-task key that is not one
    of its task's ``config_fields`` is an error rather than a new config field.
    ``overrides`` (``--set``) are set over the file's values, under the same rules.
    The runner and context are the defaults (no hooks, no timeout).
    """
    with named(workflow.name):
        return _load_for_workflow(workflow, input_path, overrides)


def _load_for_workflow(
    workflow: Workflow[Any, Any], input_path: Path | None, overrides: Sequence[Override]
) -> Loaded:
    inputs: InputFile | None = None
    if input_path is not None:
        source = read_source(input_path, label="input file", input_file=True)
        inputs = read_input_file(source, set(workflow.task_names), per_task_only=False)
    inputs = apply_per_task(inputs, overrides, set(workflow.task_names))
    if inputs is not None and inputs.per_task is None:
        inputs = _flat_overrides(workflow, inputs, overrides)
    config: object
    values: dict[str, Mapping[str, object]] = {}
    if inputs is not None and inputs.per_task is not None:
        with collecting():
            for task, (_, fields) in inputs.per_task.items():
                declared = workflow.get_config_fields(task)
                mapping = workflow.get_task_map(task)
                for name, _ in fields:
                    if name.value not in declared and (
                        mapping is None or name.value != mapping.over
                    ):
                        listed = ", ".join(sorted(declared)) or "none"
                        note(
                            inputs.source.error(
                                name.node,
                                f"{INPUT_INVALID}: '{name.value}' is not a config field of "
                                f"task '{task}' (its config_fields: {listed})",
                                task_name=task,
                                fields=[name.value],
                            ),
                            INPUT,
                        )
                try:
                    model = task_input_model(workflow, task)
                    check_task_values(model, task, fields, inputs.source)
                except ConfigLoadError as error:
                    note(error, INPUT)
                values[task] = {name.value: value.value for name, value in fields}
        config = _empty_config(workflow, inputs)
    elif inputs is not None:
        try:
            config = flat_config(workflow, inputs)
        except ConfigLoadError as error:
            raise coded(error, INPUT) from error.__cause__
    else:
        try:
            config = workflow.input_model.model_validate({})
        except Exception:
            root = root_task(workflow)
            raise coded(
                ConfigLoadError(
                    f"workflow '{workflow.name}': root task '{root}' needs its input "
                    f"({workflow.input_model.__name__}); give an input file"
                ),
                INPUT,
            ) from None
    try:
        job: Job[Any, Any] = Job(workflow, config, job_configuration=JobConfiguration(values))
    except WorkflowDefinitionError as error:
        if inputs is not None:
            node = inputs.task_key(error.task) if error.task else inputs.source.root
            problem = inputs.source.error(node, str(error))
        else:
            problem = ConfigLoadError(f"workflow '{workflow.name}': {error}")
        problem.__cause__ = error
        raise coded(problem, job_code(error)) from error
    return Loaded(workflow, Runner(), job, ExecutionContext(), None)


type GivenValues = dict[str, dict[str, object]]
"""Task name -> the values an input file gives it."""


def load_partial(
    workflow_path: Path, input_path: Path | None
) -> tuple[Workflow[Any, Any], GivenValues | None]:
    """The workflow of a file and the values its input file gives, without a job.

    For describing: the given values are checked against their fields, but a
    missing configured value is not an error (nothing runs). A flat input
    file's values count as given to the root task.
    """
    loading = _Loading()
    source = read_source(workflow_path, label="workflow file")
    with named(declared_name(source)):
        return _load_partial(loading, source, workflow_path, input_path)


def _load_partial(
    loading: _Loading, source: Source, workflow_path: Path, input_path: Path | None
) -> tuple[Workflow[Any, Any], GivenValues | None]:
    file = read_workflow_file(source)

    def read_inputs(names: Collection[str]) -> InputFile | None:
        if input_path is None:
            return None
        input_source = read_source(input_path, label="input file", input_file=True)
        return read_input_file(input_source, names, per_task_only=False)

    loading._including.append((workflow_path.resolve(), source.path))
    workflow, inputs, _ = loading._compile(source, file.workflow, read_inputs)
    return workflow, _given(workflow, inputs)


def given_for_workflow(workflow: Workflow[Any, Any], input_path: Path) -> GivenValues:
    """The values an input file gives a built (registered) workflow's tasks, checked."""
    with named(workflow.name):
        source = read_source(input_path, label="input file", input_file=True)
        inputs = read_input_file(source, set(workflow.task_names), per_task_only=False)
        given = _given(workflow, inputs)
    assert given is not None
    return given


def _given(workflow: Workflow[Any, Any], inputs: InputFile | None) -> GivenValues | None:
    if inputs is None:
        return None
    if inputs.per_task is None:
        root = root_task(workflow)
        flat = {name.value: value.value for name, value in inputs.flat}
        return {root: flat} if root is not None else {}
    _configuration(workflow, inputs)  # the given values checked where they are written
    return {
        task: {name.value: value.value for name, value in fields}
        for task, (_, fields) in inputs.per_task.items()
    }
