"""The execution of a mapped task: one run of its task class per item of a configured mapping.

``MappedRun`` is the run of the mapped instance as the job sees it (one
``TaskResult``, ``on_task_start`` before the items, ``on_task_complete`` or
``on_task_fail`` after them): it announces the task, computes the values every
item shares once, hands out the items in mapping order and, once they have
ended, makes the ``MappedOutput`` or the ``MappedTaskExecutionError``.
``ItemRun`` is one item: a new task instance, its input, output check, record
in ``job.mapped_item_results`` and ``on_map_item_*`` events.

The sequential runner runs the items here, in order (``run_items_here``); the
parallel driver sends each ``ItemRun``'s task to the executor like any task.
"""

from __future__ import annotations

from collections.abc import Mapping
from time import perf_counter, time
from types import MappingProxyType

from pydantic import BaseModel, ValidationError

from . import _deadline as deadlines
from ._execution import (
    TaskRun,
    escaped_error,
    instance,
    invalid_input,
    task_error,
    timeout_message,
    wrong_output,
)
from ._plan import Items
from .context import ExecutionContext, enter_task, leave_task
from .exceptions import MappedTaskExecutionError, TaskExecutionError, TaskTimeoutError
from .job import TaskResult, TaskStatus
from .mapping import item_name

__all__ = ["ItemRun", "MappedRun", "cancelled", "run_items_here"]

_NO_VALUES: Mapping[str, object] = MappingProxyType({})


class MappedRun:
    """The items of one run of a mapped task, and their outcome.

    ``going`` turns false once no further item may start: in ``fail_fast`` mode
    after the first failed item, or when the task itself failed.
    """

    __slots__ = (
        "errors",
        "going",
        "items",
        "outputs",
        "plan",
        "records",
        "run",
        "shared",
        "started",
    )

    def __init__(self, run: TaskRun, plan: Items, outputs: Mapping[str, BaseModel]) -> None:
        """Start the task: its item records, ``on_task_start``, then the shared values.

        Raises the task's failure (its constructor's error, a source that is not a mapping).
        """
        self.run = run
        self.plan = plan
        job, name = run.job, run.name
        self.records: list[TaskResult] = []
        job.mapped_item_results[name] = self.records
        self.outputs: dict[str, BaseModel] = {}
        self.errors: dict[str, Exception] = {}
        self.going = True
        run.announce()
        values = job.configured_values.get(name, _NO_VALUES)
        source = values.get(plan.mapping.over, _NO_VALUES)
        if not isinstance(source, Mapping):
            raise TaskExecutionError(
                f"Mapped task '{name}': configuration field '{plan.mapping.over}' "
                f"must be a mapping, got {type(source).__name__}",
                name,
            )
        self.items: tuple[tuple[str, object], ...] = tuple(source.items())
        self.started = 0
        """How many items ``next_item`` has handed out."""
        self.shared = plan.shared(outputs, values)

    @property
    def name(self) -> str:
        return self.run.name

    @property
    def pending(self) -> bool:
        """Whether an item may still start."""
        return self.going and self.started < len(self.items)

    def next_item(self) -> tuple[str, object] | None:
        """The next item to start, in mapping order; ``None`` when none may start."""
        if not self.pending:
            return None
        self.started += 1
        return self.items[self.started - 1]

    def outcome(self) -> BaseModel:
        """``MappedOutput`` of the item outputs in item order, or ``MappedTaskExecutionError``.

        In ``fail_fast`` mode the error holds the first failed item and is chained
        from its error; in ``collect_all`` mode it holds every failed item.
        """
        if self.errors:
            first = next(iter(self.errors.items()))
            if self.plan.mapping.error_mode == "fail_fast":
                raise MappedTaskExecutionError(self.name, dict([first])) from first[1]
            failed = {key: self.errors[key] for key, _ in self.items if key in self.errors}
            raise MappedTaskExecutionError(self.name, failed)
        if self.started < len(self.items):  # the job stopped it (another task failed)
            raise TaskExecutionError(
                f"Mapped task '{self.name}' stopped after {self.started} of "
                f"{len(self.items)} items: the job failed",
                self.name,
            )
        outputs = self.outputs
        root = {key: outputs[key] for key, _ in self.items}
        return self.run.step.output_model.model_construct(root=root)  # a MappedOutput[O]

    def stop(self) -> None:
        """No further item starts (the task failed, or the job stops)."""
        self.going = False


class ItemRun:
    """One item of a mapped task: its instance, input, output check, record and events."""

    __slots__ = ("broken", "key", "mapped", "name", "start", "started_at", "task")

    def __init__(self, mapped: MappedRun, key: str) -> None:
        """Make the item's task instance (named as the mapped task) and start its clock."""
        self.mapped = mapped
        self.key = key
        self.name = item_name(mapped.name, key)
        self.task, self.broken = instance(mapped.run.step.task, mapped.name)
        self.started_at = time()
        self.start = perf_counter()

    def begin(self, value: object) -> BaseModel:
        """Emit ``on_map_item_start``, then build the item's input; raises its failure."""
        mapped = self.mapped
        run = mapped.run
        run.events.emit("on_map_item_start", run.job, self.task, self.key)
        if self.broken is not None:
            raise self.broken
        plan = mapped.plan
        data = dict(mapped.shared)
        data[plan.mapping.key_as] = self.key
        data[plan.mapping.value_as] = value
        try:
            return plan.validate(data)
        except ValidationError as invalid:
            raise invalid_input(self.name, invalid) from invalid

    def context(self, ctx: ExecutionContext) -> ExecutionContext:
        """The item's own context, a child of the job's."""
        return ctx.child(task_name=self.mapped.name, item_key=self.key)

    def check(self, output: object) -> BaseModel:
        """``output`` if it is of the task's output model; else ``TaskOutputTypeError``."""
        expected = self.mapped.plan.output_model
        if not isinstance(output, expected):
            raise wrong_output(self.name, output, expected)
        return output

    def succeed(self, output: BaseModel) -> None:
        """Record the completed item, then emit ``on_map_item_complete``."""
        mapped = self.mapped
        mapped.outputs[self.key] = output
        self._record(TaskStatus.COMPLETED, output, None)
        run = mapped.run
        run.events.emit("on_map_item_complete", run.job, self.task, self.key, output)

    def fail(self, error: Exception) -> None:
        """Record the failed item, then emit ``on_map_item_fail``; ``fail_fast`` stops here."""
        mapped = self.mapped
        mapped.errors[self.key] = error
        if mapped.plan.mapping.error_mode == "fail_fast":
            mapped.stop()
        self._record(TaskStatus.FAILED, None, error)
        run = mapped.run
        run.events.emit("on_map_item_fail", run.job, self.task, self.key, error)

    def _record(
        self, status: TaskStatus, output: BaseModel | None, error: Exception | None
    ) -> None:
        duration = perf_counter() - self.start
        text = None if error is None else str(error)
        self.mapped.records.append(
            TaskResult(self.name, status, output, self.started_at, duration, text, error)
        )

    def failure(self, raised: BaseException) -> Exception:
        """What the item raised, as its recorded failure."""
        if isinstance(raised, Exception):
            return task_error(raised, self.name)
        return escaped_error(raised, self.name)

    def timed_out(self, deadline: deadlines.Deadline, when: str = "while") -> TaskTimeoutError:
        """The failure when ``deadline`` passed ``when`` ("before" or "while") the item ran."""
        return TaskTimeoutError(timeout_message(deadline, self.name, when), self.name)

    @property
    def deadline_label(self) -> str:
        """The label of the item's own deadline (the task's timeout), as messages name it."""
        return f"Task '{self.name}'"


def cancelled(name: str, failed: str) -> TaskExecutionError:
    """The failure of item ``name``, queued on the executor, when item ``failed`` failed first."""
    return TaskExecutionError(
        f"Task '{name}' was cancelled: item '{failed}' failed first (fail_fast)", name
    )


def run_items_here(mapped: MappedRun, ctx: ExecutionContext, timed: bool) -> BaseModel:
    """Run the items in this thread, in mapping order; returns ``outcome()`` or raises it.

    A deadline other than an item's own (the job's, an outer one) ends the loop:
    the item is recorded as failed and ``DeadlineExpired`` goes on up, as does
    an interruption (Ctrl-C); the task fails with it.
    """
    timeout = mapped.run.step.timeout_seconds
    workflow, task = mapped.run.job.workflow.name, mapped.run.step.name
    while (item := mapped.next_item()) is not None:
        key, value = item
        scope = enter_task(workflow, task)  # names ctx.logger, as for any task
        try:
            _run_item(ItemRun(mapped, key), value, ctx, timeout, timed)
        finally:
            leave_task(scope)
    return mapped.outcome()


def _run_item(
    item: ItemRun, value: object, ctx: ExecutionContext, timeout: float | None, timed: bool
) -> None:
    own: deadlines.Deadline | None = None
    running = "before"
    try:
        item_input = item.begin(value)
        context = item.context(ctx)
        if timed:
            deadlines.check()
        running = "while"
        if timeout is not None:
            with deadlines.deadline(timeout, item.deadline_label) as own:
                output = item.check(deadlines.call(item.task.run, item_input, context))
        elif timed:
            output = item.check(deadlines.call(item.task.run, item_input, context))
        else:
            output = item.check(item.task.run(item_input, context))
    except deadlines.DeadlineExpired as expired:
        item.fail(item.timed_out(expired.deadline, running))
        if expired.deadline is not own:
            raise
        return
    except BaseException as raised:
        item.fail(item.failure(raised))
        if isinstance(raised, KeyboardInterrupt | deadlines.Abandoned):  # ends every item
            raise
        return
    item.succeed(output)
