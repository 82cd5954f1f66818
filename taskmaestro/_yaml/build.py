"""From checked workflow records to builder calls, job, runner and context.

The wiring rules are the core's: this module only translates the file into
``WorkflowBuilder.add_task`` calls and, when the core refuses them, points at
the YAML node the refusal concerns (``WorkflowDefinitionError.task`` names the
task; the message's quoted names pick the key within its entry).
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..context import ExecutionContext
from ..dependencies import Collection as Collected
from ..dependencies import collect
from ..discovery import PluginLoadError, get_registered_task, registered_task_names
from ..exceptions import ConfigLoadError, WorkflowDefinitionError
from ..hooks.base import Hook
from ..job import Job, JobConfiguration
from ..mapping import TaskMap
from ..runner import Runner
from ..task import Task, task_models
from ..workflow import Workflow, WorkflowBuilder
from ..workflow_task import workflow_task
from .apart import each_task_problem
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
from .problems import (
    HOOK,
    IMPORT,
    INPUT,
    PLUGIN,
    TASK_MODEL,
    ConfigProblems,
    coded,
    collecting,
    job_code,
    note,
    wiring_code,
)
from .shapes import Marked
from .source import Source, read_source

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
VALIDATION_FAILED = "Workflow validation failed"
"""0.1.0's key phrase before a wiring rule's message."""


@dataclass(frozen=True, eq=False)
class Loaded:
    """Everything a workflow file and its input file make."""

    workflow: Workflow[Any, Any]
    runner: Runner
    job: Job[Any, Any]
    context: ExecutionContext
    timeout_seconds: float | None


@dataclass(frozen=True, eq=False)
class Definition:
    """What a workflow file makes on its own, with no input bound to it (no job)."""

    workflow: Workflow[Any, Any]
    runner: Runner
    timeout_seconds: float | None


def load(workflow_path: Path, input_path: Path | None, extra_hooks: Sequence[Hook] = ()) -> Loaded:
    """Load a workflow file and its input file (``None``: no input).

    ``extra_hooks`` follow the file's hooks on the runner (the command line's
    progress display).
    """
    return _Loading().top(workflow_path, input_path, extra_hooks)


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
        self, workflow_path: Path, input_path: Path | None, extra_hooks: Sequence[Hook] = ()
    ) -> Loaded:
        source = read_source(workflow_path, label="workflow file")
        file = read_workflow_file(source)
        section = file.workflow

        def read_inputs(names: Collection[str]) -> InputFile | None:
            if input_path is None:
                return None
            input_source = read_source(input_path, label="input file", input_file=True)
            return read_input_file(input_source, names, per_task_only=False)

        self._including.append((workflow_path.resolve(), source.path))
        workflow, inputs, tasks = self._compile(source, section, read_inputs)
        job = self._job(workflow, inputs, tasks, source, section)
        runner, timeout = self._runner(file.runner, source, extra_hooks)
        context = _context(file.context, source)
        return Loaded(workflow, runner, job, context, timeout)

    def definition(self, workflow_path: Path) -> Definition:
        source = read_source(workflow_path, label="workflow file")
        file = read_workflow_file(source)
        self._including.append((workflow_path.resolve(), source.path))
        workflow, _, _ = self._compile(source, file.workflow, lambda names: None)
        runner, timeout = self._runner(file.runner, source)
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
        for index, task in enumerate(tasks):
            entry = task.entry
            try:
                builder.add_task(
                    task.task,
                    name=entry.name.value if entry.name is not None else None,
                    depends_on=task.dependency,
                    config_fields=list(task.config_fields),
                    mapped_over=task.mapping,
                )
            except WorkflowDefinitionError as error:
                # add_task checks the name and resolves class references: blame the part
                # at fault among the entries added so far (this one last).
                if error.part is not None:
                    where, node = blame(error, tasks[: index + 1], source, section)
                    raise where.error(node, f"{task.at}: {error}") from error
                node = entry.name.node if entry.name is not None else task.key_node
                raise source.error(node, f"{VALIDATION_FAILED}: {task.at}: {error}") from error
        try:
            workflow = builder.build()
        except WorkflowDefinitionError as error:
            # The core stops at the first violation; each task's own wiring is then
            # checked apart, so that every task with a wiring problem is reported.
            found = [error, *each_task_problem(section.name.value, tasks, error)]
            located: list[ConfigLoadError] = []
            for problem in found:
                where_source, node = blame(problem, tasks, source, section)
                message = f"{_not_found(problem, tasks, section, result_ref)}{problem}"
                located.append(where_source.error(node, f"{VALIDATION_FAILED}: {message}"))
                located[-1].__cause__ = problem
            if len(located) == 1:
                raise located[0] from error
            # the core's first problem first (the one the Python API raises), then by position
            rest = sorted(
                zip(found[1:], located[1:], strict=True),
                key=lambda pair: (pair[1].path or "", pair[1].line or 0, pair[1].column or 0),
            )
            with collecting():
                for problem, one in [(found[0], located[0]), *rest]:
                    note(one, wiring_code(problem))
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
        return Runner(hooks=[*hooks, *extra_hooks]), timeout


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
        raise inputs.source.error(
            inputs.source.root,
            f"{INPUT_INVALID}: root task '{root}' needs its input ({model.__name__}), but "
            f"{PER_TASK_HINT}; "
            f"give its fields under '{root}:'",
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
        return TASK_MODEL
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


def _not_found(
    error: WorkflowDefinitionError,
    tasks: list[ResolvedTask],
    section: WorkflowSection,
    result_ref: TaskRef | None,
) -> str:
    """0.1.0's key phrase for a reference to no task, to put before the core's message."""
    part = error.part
    names = {task.name for task in tasks}
    classes = {task.task for task in tasks}

    def unknown(ref: object) -> bool:
        return ref not in names if isinstance(ref, str) else ref not in classes

    if part == ("result_task", None) and section.result_task is not None:
        if result_ref is not None and unknown(result_ref):
            return f"result_task '{section.result_task.value}' not found: "
        return ""
    if part is None or part[0] != "reference":
        return ""
    task = next((t for t in tasks if t.name == error.task), None)
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


def _kind(found: object) -> str:
    if isinstance(found, type):
        return f"the class {found.__qualname__}"
    return f"a {type(found).__name__}"


def load_for_workflow(workflow: Workflow[Any, Any], input_path: Path | None) -> Loaded:
    """Bind an input file to a workflow that is already built (a registered one).

    The input file reads as for a YAML workflow (per task or flat), except that
    the workflow's ``config_fields`` are fixed: a per-task key that is not one
    of its task's ``config_fields`` is an error rather than a new config field.
    The runner and context are the defaults (no hooks, no timeout).
    """
    inputs: InputFile | None = None
    if input_path is not None:
        source = read_source(input_path, label="input file", input_file=True)
        inputs = read_input_file(source, set(workflow.task_names), per_task_only=False)
    config: object
    values: dict[str, Mapping[str, object]] = {}
    if inputs is not None and inputs.per_task is not None:
        with collecting():
            for task, (_, fields) in inputs.per_task.items():
                declared = workflow.get_config_fields(task)
                for name, _ in fields:
                    if name.value not in declared:
                        listed = ", ".join(sorted(declared)) or "none"
                        note(
                            inputs.source.error(
                                name.node,
                                f"{INPUT_INVALID}: '{name.value}' is not a config field of "
                                f"task '{task}' (its config_fields: {listed})",
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
