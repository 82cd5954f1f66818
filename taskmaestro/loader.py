"""Workflows defined in YAML files: load them, inspect them, run them.

See the README, "YAML workflows", for the file format and the input file's
two modes. Every problem with a file is a ``ConfigLoadError`` whose message
starts with ``file:line:column:`` and says what was expected there.
"""

from __future__ import annotations

import os
from dataclasses import InitVar, dataclass
from pathlib import Path
from typing import Any

from ._yaml.build import Loaded, load, load_for_workflow
from .context import ExecutionContext
from .discovery import get_registered_workflow
from .exceptions import ConfigLoadError
from .executors import ExecutorChoice
from .job import Job
from .runner import Runner
from .workflow import Workflow

__all__ = [
    "LoadedWorkflow",
    "load_registered_workflow",
    "load_workflow_from_yaml",
    "run_workflow_from_yaml",
]

type PathArgument = str | os.PathLike[str]


@dataclass(frozen=True, eq=False)
class LoadedWorkflow:
    """A workflow file and its input, loaded and checked: ready to run once.

    ``workflow`` is the validated graph, ``job`` binds it to the input file,
    ``runner`` holds the file's hooks, ``context`` its services, correlation id
    and scratch folder, ``timeout_seconds`` (stored as ``_timeout``, as in
    0.1.0) the job's deadline, if any, and ``executor`` the executor that
    ``run`` starts for the job. Its fields cannot be reassigned.
    """

    workflow: Workflow[Any, Any]
    runner: Runner
    job: Job[Any, Any]
    context: ExecutionContext
    _timeout: float | None = None
    executor_choice: InitVar[ExecutorChoice | None] = None
    """Keyword only in practice: the ``executor`` (not a field, so the fields stay 0.1.0's)."""

    def __post_init__(self, executor_choice: ExecutorChoice | None) -> None:
        object.__setattr__(self, "_executor", executor_choice or ExecutorChoice())

    @property
    def executor(self) -> ExecutorChoice:
        """The file's ``runner.executor``, ``max_workers``, ``scheduler``: what ``run`` starts."""
        executor: ExecutorChoice = self.__dict__["_executor"]
        return executor

    @property
    def timeout_seconds(self) -> float | None:
        """The job's deadline in seconds (``runner.timeout_seconds``), or ``None``."""
        return self._timeout

    @property
    def _timeout_seconds(self) -> float | None:
        """0.1.0's name of ``timeout_seconds``."""
        return self._timeout

    def run(self) -> Job[Any, Any]:
        """Run the job; returns it ``completed`` or ``failed``.

        A job runs once: load the files again to run again. The file's
        executor is started for the run and shut down after it. The context is
        closed afterwards (a temporary scratch folder is removed; a
        ``scratch_dir`` named in the file is kept).
        """
        try:
            with self.executor.open() as executor:
                runner = self.runner
                if executor is not None:
                    runner = Runner(hooks=runner.hooks, executor=executor)
                return runner.run(self.job, ctx=self.context, timeout_seconds=self._timeout)
        finally:
            self.context.close()


def load_workflow_from_yaml(
    workflow_path: PathArgument, input_path: PathArgument | None = None
) -> LoadedWorkflow:
    """Load a workflow file and its input file; raises ``ConfigLoadError`` on any problem.

    Relative paths inside the files (nested workflows, their inputs, a
    ``scratch_dir``, ``Path`` parameters of hooks) are relative to the file that
    names them, and task and hook modules beside the workflow file are found,
    whatever the current directory.
    """
    workflow_file = _path(workflow_path, "workflow_path")
    input_file = _path(input_path, "input_path") if input_path is not None else None
    return _loaded_workflow(load(workflow_file, input_file))


def run_workflow_from_yaml(
    workflow_path: PathArgument, input_path: PathArgument | None = None
) -> Job[Any, Any]:
    """Load the files and run the job; returns it ``completed`` or ``failed``."""
    return load_workflow_from_yaml(workflow_path, input_path).run()


def load_registered_workflow(name: str, input_path: PathArgument | None = None) -> LoadedWorkflow:
    """The workflow an installed package registers as ``name``, bound to an input file.

    The input file reads as for a YAML workflow, but the registered workflow's
    ``config_fields`` are fixed: a per-task key that is not one of them is an
    error. No hooks, no timeout, a default context. Raises ``PluginLoadError``
    (a ``ConfigLoadError``) when the name is unknown, ambiguous or broken, and
    ``ConfigLoadError`` for problems of the input file.
    """
    workflow = get_registered_workflow(name)
    input_file = _path(input_path, "input_path") if input_path is not None else None
    return _loaded_workflow(load_for_workflow(workflow, input_file))


def _loaded_workflow(loaded: Loaded) -> LoadedWorkflow:
    return LoadedWorkflow(
        workflow=loaded.workflow,
        runner=loaded.runner,
        job=loaded.job,
        context=loaded.context,
        _timeout=loaded.timeout_seconds,
        executor_choice=loaded.executor,
    )


def _path(value: object, argument: str) -> Path:
    try:
        return Path(os.fspath(value))  # type: ignore[call-overload]
    except TypeError:
        raise ConfigLoadError(
            f"{argument} must be a path (str or os.PathLike), got {value!r}"
        ) from None
