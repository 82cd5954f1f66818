"""``Runner``: executes a job's tasks, fail-fast, with deadlines; in order, or on an executor."""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path
from time import perf_counter, sleep, time
from typing import Any, NoReturn

from pydantic import BaseModel

from . import _deadline as deadlines
from ._driver import Driver
from ._execution import (
    Cursor,
    TaskFailed,
    TaskRun,
    assemble_input,
    now,
    timeout_message,
    wrong_output,
)
from ._mapped import MappedRun, run_items_here
from ._plan import Step
from ._resume import Resume, prepare_resume
from ._timeouts import timeout_problem
from .cache import Cache, open_cache
from .context import ExecutionContext, enter_sequence, enter_task, leave_task
from .exceptions import TaskExecutionError, TaskTimeoutError, TimeoutValueError
from .hooks.base import Dispatcher
from .hooks.record import INTERVAL_SECONDS, RunRecordHook
from .job import Job, JobStatus, TaskResult, TaskStatus
from .task import InT, OutT, Task

__all__ = ["Runner"]


def _check_hooks(hooks: object) -> None:
    """Refuse what cannot be hooks: not a list, ``None`` in it, a hook class for an instance.

    Anything else is accepted: a hook is any object, whose methods named after
    the events are called (the others are left alone).
    """
    if hooks is None:
        return
    if isinstance(hooks, str | bytes) or not isinstance(hooks, Iterable):
        raise TypeError(
            f"Runner(hooks=...) takes a list of hook objects, got {type(hooks).__name__} {hooks!r}"
        )
    if not isinstance(hooks, Collection):  # a one-shot iterator: leave it to be read once
        return
    for index, hook in enumerate(hooks):
        if hook is None:
            raise TypeError(f"Runner(hooks=...): hooks[{index}] is None, not a hook")
        if isinstance(hook, type):
            raise TypeError(
                f"Runner(hooks=...): hooks[{index}] is the class {hook.__qualname__}, "
                f"not a hook object; pass an instance, such as {hook.__qualname__}()"
            )


def _check_executor(executor: object) -> None:
    """Refuse an executor that cannot take tasks (it needs ``submit``, as an ``Executor``)."""
    if executor is None or isinstance(executor, Executor):
        return
    if not callable(getattr(executor, "submit", None)):
        raise TypeError(
            "Runner(executor=...) takes a concurrent.futures.Executor (a thread or process "
            f"pool, a Dask client's get_executor()), got {type(executor).__name__} {executor!r}"
        )


def _check_timeout(timeout_seconds: float | None, method: str) -> None:
    problem = timeout_problem(timeout_seconds)
    if problem is not None:
        raise TimeoutValueError(f"Runner.{method}: {problem}")


_Schedule = Callable[
    [
        Job[Any, Any],
        ExecutionContext,
        "deadlines.Deadline | None",
        Cursor,
        Dispatcher,
        Mapping[str, BaseModel],
    ],
    BaseModel,
]
"""Runs every task of a job (taking the reused outputs given instead of running those
tasks) and returns the result, or raises TaskFailed."""

_NOTHING_REUSED: Mapping[str, BaseModel] = {}
_COMPLETED = TaskStatus.COMPLETED  # read once per task on the quick path


class Runner:
    """Runs jobs, stopping at the first failure.

    Without ``executor``, one task at a time in topological order, in the calling
    thread. With a ``concurrent.futures.Executor`` (a thread or process pool, a
    Dask client's ``get_executor()``), each task is sent to it as soon as its
    inputs are ready, while input assembly, hooks, bookkeeping and deadlines stay
    in the calling thread (see ``_driver``).

    ``timeout_seconds`` of ``run`` bounds the whole job; a task's own
    ``timeout_seconds`` bounds each of its runs; both hold at once. Hooks observe
    every event; their errors are reported as ``HookWarning`` and ignored.
    ``hooks`` is a list (the one given, or a new one): hooks appended to it
    take part in the next ``run``. Any object is a hook (see ``BaseHook``).

    A task whose retry policy allows it runs again after a failed attempt (see
    ``taskmaestro.retry``). With ``cache`` (a ``Cache`` or a folder path), the
    tasks that set ``cache`` are served from it when it holds their output for
    the same input and code, without calling ``run`` (see ``taskmaestro.cache``).
    ``resume(job, run_dir)`` continues the run a ``RunRecordHook`` recorded in
    ``run_dir``, reusing the outputs of the tasks it completed (docs/runs.md).
    """

    def __init__(
        self,
        hooks: Sequence[object] | None = None,
        executor: Executor | None = None,
        *,
        cache: Cache | str | os.PathLike[str] | None = None,
    ) -> None:
        _check_hooks(hooks)
        _check_executor(executor)
        self.cache: Cache | None = open_cache(cache)
        self.hooks: list[object] = hooks if isinstance(hooks, list) else list(hooks or ())
        self.executor = executor
        self._events = Dispatcher(self.hooks)
        self._schedule: _Schedule = self._in_order if executor is None else self._in_parallel

    def _dispatcher(self) -> Dispatcher:
        """The hooks' dispatcher, rebuilt only when ``hooks`` changed since the last run."""
        if self._events.hooks != tuple(self.hooks):
            self._events = Dispatcher(self.hooks)
        return self._events

    def run(
        self,
        job: Job[InT, OutT],
        ctx: ExecutionContext | None = None,
        timeout_seconds: float | None = None,
    ) -> Job[InT, OutT]:
        """Run ``job`` and return it, ``completed`` or ``failed``; a job runs only once."""
        _check_timeout(timeout_seconds, "run")
        return self._run(job, ctx, timeout_seconds, None)

    def resume(
        self,
        job: Job[InT, OutT],
        run_dir: str | os.PathLike[str],
        ctx: ExecutionContext | None = None,
        timeout_seconds: float | None = None,
    ) -> Job[InT, OutT]:
        """Run ``job`` as the continuation of the run recorded in ``run_dir``.

        ``run_dir`` was written by a ``RunRecordHook`` for a run of the same
        workflow with the same inputs. The tasks that run completed are not run
        again: their saved outputs are reused (status ``reused``), and the tasks
        after its failure run; the record in ``run_dir`` is continued. Raises
        ``ResumeError`` (the job stays pending) when the workflow or the inputs
        differ, naming each difference, and ``RunRecordError`` when ``run_dir``
        holds no readable record. See docs/runs.md.
        """
        _check_timeout(timeout_seconds, "resume")
        return self._run(job, ctx, timeout_seconds, prepare_resume(job, Path(run_dir)))

    def _run(
        self,
        job: Job[InT, OutT],
        ctx: ExecutionContext | None,
        timeout_seconds: float | None,
        resume: Resume | None,
    ) -> Job[InT, OutT]:
        job.claim()
        context = ctx if ctx is not None else ExecutionContext()
        job.context = context
        saved = deadlines.snapshot()
        events = self._dispatcher() if resume is None else self._resuming(resume)
        reused = resume.reused if resume is not None else _NOTHING_REUSED
        try:
            self._execute(job, context, timeout_seconds, events, reused)
        finally:
            deadlines.restore(saved)
            if job.status in (JobStatus.PENDING, JobStatus.RUNNING):  # never leave it so
                job.mark_failed(TaskExecutionError("the job was interrupted"), None, now())
            if ctx is None:
                context.close()
        return job

    def _resuming(self, resume: Resume) -> Dispatcher:
        """The hooks of a resumed run: the runner's, and a RunRecordHook continuing the
        record (one the runner already has for that directory is left out, not doubled)."""
        same = [
            h for h in self.hooks if isinstance(h, RunRecordHook) and h.writes_to(resume.run_dir)
        ]
        interval = same[0].interval_seconds if same else INTERVAL_SECONDS
        record = RunRecordHook.continuing(resume.run_dir, resume.record, interval)
        return Dispatcher([*(h for h in self.hooks if h not in same), record])

    def _execute(
        self,
        job: Job[Any, Any],
        ctx: ExecutionContext,
        timeout_seconds: float | None,
        events: Dispatcher,
        reused: Mapping[str, BaseModel],
    ) -> None:
        emit = events.emit
        cursor = Cursor()
        label = f"Job of workflow '{job.workflow.name}'"
        job_deadline: deadlines.Deadline | None = None
        interruption: BaseException | None = None
        try:
            with deadlines.deadline(timeout_seconds, label) as job_deadline:
                emit("on_job_start", job)
                job.mark_running(now())
                result = self._schedule(job, ctx, job_deadline, cursor, events, reused)
            job.mark_completed(result, now())
        except TaskFailed as failed:
            job.mark_failed(failed.error, failed.task, now())
            emit("on_job_fail", job)
            interruption = failed.interruption
        except deadlines.DeadlineExpired as expired:
            current = cursor.task
            if expired.deadline is not job_deadline:
                self._abort(job, expired, current, events)
                raise
            error = TaskTimeoutError(timeout_message(expired.deadline, current, "before"), current)
            job.mark_failed(error, current, now())
            emit("on_job_fail", job)
        except BaseException as error:
            self._abort(job, error, cursor.task, events)
            raise
        else:
            emit("on_job_complete", job)
        if interruption is not None:  # Ctrl-C in a task: recorded, now it goes on up
            raise interruption

    def _abort(
        self, job: Job[Any, Any], error: BaseException, task: str | None, events: Dispatcher
    ) -> None:
        """An interruption from outside the job (Ctrl-C, an outer deadline): record it."""
        job.mark_failed(error, task, now())
        events.emit("on_job_fail", job)

    def _in_parallel(
        self,
        job: Job[Any, Any],
        ctx: ExecutionContext,
        job_deadline: deadlines.Deadline | None,
        cursor: Cursor,
        events: Dispatcher,
        reused: Mapping[str, BaseModel],
    ) -> BaseModel:
        assert self.executor is not None
        driver = Driver(self.executor, events, job, ctx, job_deadline, cursor, self.cache, reused)
        return driver.run()

    def _in_order(
        self,
        job: Job[Any, Any],
        ctx: ExecutionContext,
        job_deadline: deadlines.Deadline | None,
        cursor: Cursor,
        events: Dispatcher,
        reused: Mapping[str, BaseModel],
    ) -> BaseModel:
        """Each step in plan order, in this thread.

        The quick path: without deadlines and without hooks that observe tasks
        starting or completing, a ``plain`` step (see ``Step``) is run inline,
        its input taken as it is from upstream when it ``passes``. Everything
        else, and every failure, goes through ``_run_step`` / ``_fail`` and
        ``TaskRun``, which record the same results as the quick path does.
        The quick path reads one clock per task start: ``started_at`` is the
        wall-clock time at the sequence's start plus the ``perf_counter()``
        time since.
        """
        plan = job.workflow.plan
        outputs: dict[str, BaseModel] = {}
        timed = deadlines.active()
        quick = not (timed or reused or events.on_task_start or events.on_task_complete)
        append, record = job.task_results.append, TaskResult
        scope, token = enter_sequence(job.workflow.name)  # names ctx.logger in each task
        epoch = time() - perf_counter()  # started_at = epoch + start: one clock reading per task
        name = None
        try:
            for step in plan.steps:
                name = step.name
                if not (quick and step.plain):
                    if timed:
                        deadlines.check()
                    if reused and name in reused:  # resumed: taken from the run directory
                        outputs[name] = output = reused[name]
                        TaskRun(step, job, events).reuse(output)
                    else:
                        run = TaskRun(step, job, events, self.cache)
                        outputs[name] = self._run_step(
                            step, job, ctx, outputs, job_deadline, timed, run
                        )
                    continue
                cls = step.task
                try:
                    task = cls()
                except Exception as raised:  # recorded against an instance made without it
                    task = cls.__new__(cls)
                    task.name = name
                    run = TaskRun(step, job, events, self.cache, (task, raised))
                    outputs[name] = self._run_step(
                        step, job, ctx, outputs, job_deadline, False, run
                    )
                    continue
                task.name = name
                start = perf_counter()
                try:
                    source = step.passes
                    if source is not None:
                        task_input = outputs[source]
                    else:
                        task_input = assemble_input(step, job, outputs)
                except BaseException as raised:
                    run = _taken(step, job, events, task, epoch + start, start, attempts=0)
                    self._fail(run, raised, "before", job_deadline)
                try:
                    scope.task = name
                    output = task.run(task_input, ctx)
                    scope.task = None
                    if not isinstance(output, step.output_model):
                        raise wrong_output(name, output, step.output_model)
                except BaseException as raised:
                    scope.task = None
                    run = _taken(step, job, events, task, epoch + start, start, attempts=1)
                    self._fail(run, raised, "while", job_deadline)
                duration = perf_counter() - start
                # The defaults too (error ... cache_note): CPython calls a class quicker
                # when no default is left to fill in.
                result = record(
                    name, _COMPLETED, output, epoch + start, duration, None, None, 1, False, None
                )
                append(result)
                outputs[name] = output
        except BaseException:
            cursor.task = name  # names the task in a job timeout or an interruption
            raise
        finally:
            leave_task(token)
        return outputs[plan.result]

    def _run_step(
        self,
        step: Step,
        job: Job[Any, Any],
        ctx: ExecutionContext,
        outputs: Mapping[str, BaseModel],
        job_deadline: deadlines.Deadline | None,
        timed: bool,
        run: TaskRun,
    ) -> BaseModel:
        """Run one task (``run``) in this thread; on failure record it and raise TaskFailed.

        Every kind of step goes here: deadlines, retries, the cache, mapped items.
        """
        running = "before"  # in timeout messages: the job's time may pass in on_task_start
        try:
            if step.items is None:
                task_input = run.begin(outputs)
                if timed:
                    deadlines.check()
                running = "while"
                cached = run.cached(task_input) if step.cache is not None else None
                if cached is not None:
                    output = run.check(cached)
                else:
                    scope = enter_task(job.workflow.name, step.name)  # names ctx.logger
                    try:
                        produced: object
                        if step.timeout_seconds is None and not step.retry.retries:
                            run.attempt()
                            if timed:
                                produced = deadlines.call(run.task.run, task_input, ctx)
                            else:
                                produced = run.task.run(task_input, ctx)
                        else:
                            produced = _attempts(run, task_input, ctx, timed)
                    finally:
                        leave_task(scope)
                    output = run.check(produced)
            else:  # a mapped task: its items one by one, each under the task's timeout
                mapped = MappedRun(run, step.items, outputs)
                running = "while"
                output = run.check(run_items_here(mapped, ctx, timed))
        except BaseException as raised:
            self._fail(run, raised, running, job_deadline)
        run.succeed(output)
        return output

    @staticmethod
    def _fail(
        run: TaskRun, raised: BaseException, running: str, job_deadline: deadlines.Deadline | None
    ) -> NoReturn:
        """Record what ``run``'s task raised as its failure and raise TaskFailed.

        ``running`` is "before" or "while": when a deadline passed. A deadline
        other than the job's (an outer one) goes on up as it is; SystemExit is
        the task's failure; Ctrl-C is recorded, then raised again by the runner.
        """
        if isinstance(raised, deadlines.DeadlineExpired):
            timeout = run.timed_out(raised.deadline, running)
            run.fail(timeout)
            if raised.deadline is not job_deadline:
                raise raised
            raise TaskFailed(timeout, run.name) from None
        error = run.failure(raised)
        run.fail(error)
        interrupted = isinstance(raised, KeyboardInterrupt | deadlines.Abandoned)
        raise TaskFailed(error, run.name, raised if interrupted else None) from None


def _taken(
    step: Step,
    job: Job[Any, Any],
    events: Dispatcher,
    task: Task[Any, Any],
    started_at: float,
    start: float,
    attempts: int,
) -> TaskRun:
    """The ``TaskRun`` of a step the quick path began (its instance, its clock, how many
    times ``run`` was called), to record its failure as every other path does."""
    run = TaskRun(step, job, events, None, (task, None))
    run.started_at, run.start, run.attempts = started_at, start, attempts
    return run


def _attempts(run: TaskRun, task_input: BaseModel, ctx: ExecutionContext, timed: bool) -> object:
    """Call the task's ``run``, each attempt under the task's own deadline, until one
    returns or the retry policy gives up (its last failure is raised: a task timeout as
    ``TaskTimeoutError``). The delays between attempts count against the outer deadlines."""
    step = run.step
    while True:
        run.attempt()
        try:
            with deadlines.deadline(step.timeout_seconds, run.deadline_label) as own:
                if own is not None or timed:
                    return deadlines.call(run.task.run, task_input, ctx)
                return run.task.run(task_input, ctx)
        except deadlines.DeadlineExpired as expired:
            if expired.deadline is not own:
                raise
            failure: BaseException = run.timed_out(expired.deadline)
        except Exception as raised:
            failure = raised
        delay = run.retry_delay(failure)
        if delay is None:
            raise failure
        if delay and (own is not None or timed):
            deadlines.call(sleep, delay)  # an outer deadline may pass meanwhile
        elif delay:
            sleep(delay)
        if timed:
            deadlines.check()
