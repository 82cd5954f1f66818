"""The parallel driver: a job's tasks on an ``Executor``, each as soon as its inputs are ready.

Everything but the tasks' ``run`` stays in the calling thread: input assembly,
hooks, job bookkeeping and deadlines. The driver loop

1. handles the deadlines that have passed,
2. starts ready tasks, earliest in the plan first, while the executor has a
   free worker (``capacity``; all of them when the executor does not tell),
3. waits until a task finishes or the next deadline comes, and records it;
   the tasks its output completes become ready.

A nested workflow (``workflow_task``) is not sent anywhere: its node opens a
``_Level``, the inner job, whose tasks go through the same loop to the same
executor, interleaved with the outer ones. Inner task results stay in the
inner job and its events reach no hook, as when the sequential runner runs it.

Retries: a failed attempt that the task's retry policy allows is sent again
once its delay has passed (``retrying``, waited on like a deadline); the task
stays running meanwhile, so the job's deadline still bounds it, and its own
``timeout_seconds`` starts again with each attempt. A cache hit completes a
task at once, without sending it.


A mapped task is not sent anywhere either: its items are (``_Item``), each
as a task of its own, in mapping order, taking their turn among the ready
tasks at the mapped task's place in the plan and counting towards
``capacity``. The mapped task ends when its last started item has ended. In
``fail_fast`` mode no item starts after one failed; the queued ones are
cancelled (and recorded as failed), those running are awaited.

Fail-fast: after the first failure nothing new starts (nor is retried); the tasks in flight are
awaited (and recorded) until they finish or one of their deadlines passes. At a
deadline the tasks it bounds are abandoned (see ``_transport`` for what their
workers do), recorded as failed with ``TaskTimeoutError``, and the job fails.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from queue import Empty, SimpleQueue
from time import monotonic
from typing import Any

from pydantic import BaseModel

from . import _deadline as deadlines
from ._execution import (
    Cursor,
    TaskFailed,
    TaskRun,
    inner_job,
    nested_failure,
    now,
)
from ._mapped import ItemRun, MappedRun, cancelled
from ._plan import Items, Plan, Step
from ._transport import Sender, WorkerDeadline, capacity
from .cache import Cache
from .context import ExecutionContext
from .hooks.base import Dispatcher
from .job import Job

__all__ = ["Driver"]

_WAKE: Future[Any] = Future()
"""Put in ``finished`` when a task's clock starts, so that the driver waits on its deadline."""

_SILENT = Dispatcher(())
"""The events of inner jobs reach no hook, as with the sequential runner."""


@dataclass(eq=False, slots=True)
class _Level:
    """A job being driven: the runner's job, or the inner job of a nested-workflow node."""

    job: Job[Any, Any]
    events: Dispatcher
    chain: tuple[deadlines.Deadline, ...]
    """The deadlines that bound every task of this job, outermost first."""
    key: tuple[int, ...]
    """Orders its tasks among all ready ones: the step indexes from the top job down."""
    parent: _Node | None
    plan: Plan = field(init=False)
    waiting: list[int] = field(init=False)
    """By step index: how many of its upstream steps have not completed."""
    left: int = field(init=False)
    outputs: dict[str, BaseModel] = field(default_factory=dict)
    running: dict[str, _Node] = field(default_factory=dict)
    failure: TaskFailed | None = None

    def __post_init__(self) -> None:
        self.plan = self.job.workflow.plan
        self.waiting = list(self.plan.needs)
        self.left = len(self.plan.steps)


@dataclass(eq=False, slots=True)
class _Node:
    """A started task: in flight on the executor, or a nested workflow being driven."""

    level: _Level
    step: Step
    run: TaskRun
    chain: tuple[deadlines.Deadline, ...]
    own: deadlines.Deadline | None = None
    inner: _Level | None = None
    task_input: BaseModel | None = None
    """What the task is sent, kept to send again when an attempt is retried."""
    mapped: _Mapped | None = None

    @property
    def name(self) -> str:
        return self.step.name


@dataclass(eq=False, slots=True)
class _Mapped:
    """A mapped task being run: its node, its items' run, the items started and not ended."""

    node: _Node
    run: MappedRun
    items: set[_Item] = field(default_factory=set)

    @property
    def name(self) -> str:
        return self.node.name


@dataclass(eq=False, slots=True)
class _Item:
    """An item of a mapped task, in flight on the executor."""

    mapped: _Mapped
    run: ItemRun
    chain: tuple[deadlines.Deadline, ...]
    own: deadlines.Deadline | None = None
    future: Future[Any] | None = None


type _Ready = tuple[tuple[int, ...], _Level, Step | _Mapped]
"""A ready task by its place in the plan; or a mapped task, whose next item is ready."""


class Driver:
    """Runs one job on an executor; ``run`` returns its result or raises TaskFailed."""

    def __init__(
        self,
        executor: Executor,
        events: Dispatcher,
        job: Job[Any, Any],
        ctx: ExecutionContext,
        job_deadline: deadlines.Deadline | None,
        cursor: Cursor,
        cache: Cache | None = None,
        reused: Mapping[str, BaseModel] | None = None,
    ) -> None:
        self.ctx = ctx
        self.cache = cache
        self.reused: Mapping[str, BaseModel] = reused or {}
        """Outputs a resumed run takes instead of running the top job's tasks."""
        self.cursor = cursor
        self.finished: SimpleQueue[Future[Any]] = SimpleQueue()
        self.sender = Sender(executor, ctx, wake=lambda: self.finished.put(_WAKE))
        self.capacity = capacity(executor)
        self.job_deadline = job_deadline
        self.top = _Level(job, events, deadlines.pending(), (), None)
        self.ready: list[_Ready] = []
        self.in_flight: dict[Future[Any], _Node | _Item] = {}
        self.timed: dict[deadlines.Deadline, _Node | _Item] = {}
        """The own deadlines of running nodes and items, to their owner."""
        self.retrying: list[tuple[float, int, _Node, BaseException]] = []
        """Heap of failed attempts to send again: (when, order, node, the attempt's error)."""
        self._order = itertools.count()

    def run(self) -> BaseModel:
        """Drive the job to its end. ``cursor.task`` names the top task last started."""
        self._open(self.top)
        try:
            with deadlines.uninterruptible():  # the driver sees every deadline itself
                while True:
                    self._expire_passed()
                    self._start_ready()
                    self._retry_due()
                    if not self.in_flight and not self.retrying:
                        break
                    self._collect()
        except KeyboardInterrupt as interruption:  # Ctrl-C while the driver waited
            self._cancel()
            raise self._interrupted(interruption) from None
        except BaseException:
            self._cancel()
            raise
        if self.top.failure is not None:
            raise self.top.failure
        return self.top.outputs[self.top.plan.result]

    def _cancel(self) -> None:
        for future in self.in_flight:
            future.cancel()

    def _interrupted(self, interruption: BaseException) -> BaseException:
        """Record the tasks in flight as interrupted; what to raise for the job to fail."""
        for entry in list(self.in_flight.values()):
            if isinstance(entry, _Item):
                self._fail_item(entry, entry.run.failure(interruption), end=False)
                entry = entry.mapped.node
            if self._is_running(entry):
                self._fail(entry, entry.run.failure(interruption))
        self.in_flight.clear()
        for _, _, node, _ in self.retrying:
            if node.level.running.get(node.name) is node:
                self._fail(node, node.run.failure(interruption))
        self.retrying.clear()
        failure = self.top.failure
        if failure is None:
            return interruption
        return TaskFailed(failure.error, failure.task, interruption)

    # -- starting -------------------------------------------------------------

    def _open(self, level: _Level) -> None:
        for step, waiting in zip(level.plan.steps, level.waiting, strict=True):
            if not waiting:
                self._ready(level, step)

    def _ready(self, level: _Level, step: Step, mapped: _Mapped | None = None) -> None:
        """``step`` is ready to start; or, with ``mapped``, its next item is."""
        heapq.heappush(
            self.ready, ((*level.key, step.index), level, step if mapped is None else mapped)
        )

    def _start_ready(self) -> None:
        if self.top.failure is not None:
            self._drop_ready()
            return
        while self.ready and (self.capacity is None or len(self.in_flight) < self.capacity):
            _, level, target = heapq.heappop(self.ready)
            if isinstance(target, Step):
                self._start(level, target)
            else:
                self._start_item(target)
            if self.top.failure is not None:
                self._drop_ready()
                return

    def _drop_ready(self) -> None:
        """Fail-fast: what has not started never will; a mapped task stops its items."""
        dropped, self.ready = self.ready, []
        for _, _, target in dropped:
            if isinstance(target, _Mapped):
                target.run.stop()
                self._item_ended(target)

    def _start(self, level: _Level, step: Step) -> None:
        name = step.name
        # Tasks inside a nested workflow are not cached, as with the sequential runner
        # (which runs the inner job with a Runner of its own); the nested node may be.
        run = TaskRun(step, level.job, level.events, self.cache if level is self.top else None)
        if level is self.top and name in self.reused:  # resumed: nothing to send
            self.cursor.task = name
            output = self.reused[name]
            run.reuse(output)
            self._advance(level, step, output)
            return
        node = _Node(level, step, run, level.chain)
        level.running[name] = node
        if level is self.top:
            self.cursor.task = name
        try:
            if step.items is not None:
                self._start_mapped(node, step.items)
                return
            task_input = run.begin(level.outputs)
            cached = run.cached(task_input) if step.cache is not None else None
            if cached is not None:
                self._complete(node, cached)
                return
        except Exception as raised:
            self._fail(node, run.failure(raised))
            return
        node.task_input = task_input
        self._send(node)

    def _send(self, node: _Node) -> None:
        """Start an attempt of ``node``: its own deadline, then the executor (or, for a
        nested workflow, its inner job)."""
        step, run, level, task_input = node.step, node.run, node.level, node.task_input
        assert task_input is not None
        name = step.name
        try:
            if step.timeout_seconds is not None:
                label = run.deadline_label
                if step.nested is None and self.sender.in_process:  # starts with its worker
                    node.own = deadlines.unstarted(step.timeout_seconds, label)
                else:
                    node.own = deadlines.after(step.timeout_seconds, label)
                node.chain = (*node.chain, node.own)
                self.timed[node.own] = node
            if step.nested is not None:
                inner = inner_job(step.nested, task_input)
                inner.mark_running(now())
                node.inner = _Level(inner, _SILENT, node.chain, (*level.key, step.index), node)
                self._open(node.inner)
                return
            passed = [d for d in node.chain if not d.fired and d.at <= monotonic()]
            if passed:  # during its on_task_start hook: the task does not start
                self._not_started(node, min(passed, key=_at))
                return
            run.attempt()
            workflow = level.job.workflow.name
            future = self.sender.submit(workflow, name, run.task, task_input, node.chain)
        except Exception as raised:
            self._fail(node, run.failure(raised))
            return
        self.in_flight[future] = node
        future.add_done_callback(self.finished.put)

    def _start_mapped(self, node: _Node, items: Items) -> None:
        """Start a mapped task: its first item is ready (it ends at once without items)."""
        node.mapped = _Mapped(node, MappedRun(node.run, items, node.level.outputs))
        self._item_ended(node.mapped)

    def _start_item(self, mapped: _Mapped) -> None:
        """Send the next item of a mapped task; the one after it is ready then."""
        started = mapped.run.next_item()
        if started is None:  # stopped since it was made ready
            self._item_ended(mapped)
            return
        key, value = started
        node = mapped.node
        if mapped.run.pending:
            self._ready(node.level, node.step, mapped)
        run = ItemRun(mapped.run, key)
        item = _Item(mapped, run, node.chain)
        mapped.items.add(item)
        try:
            item_input = run.begin(value)
            timeout = node.step.timeout_seconds
            if timeout is not None:
                if self.sender.in_process:  # its clock starts with its worker
                    item.own = deadlines.unstarted(timeout, run.deadline_label)
                else:
                    item.own = deadlines.after(timeout, run.deadline_label)
                item.chain = (*item.chain, item.own)
                self.timed[item.own] = item
            passed = [d for d in item.chain if not d.fired and d.at <= monotonic()]
            if passed:  # during its on_map_item_start hook
                self._expire(min(passed, key=_at))
                return
            context = run.context(self.ctx)
            workflow = node.level.job.workflow.name
            item.future = self.sender.submit(
                workflow, run.name, run.task, item_input, item.chain, context
            )
        except Exception as raised:
            self._fail_item(item, run.failure(raised))
            return
        self.in_flight[item.future] = item
        item.future.add_done_callback(self.finished.put)

    # -- finishing ------------------------------------------------------------

    def _collect(self) -> None:
        """Wait for a task to finish (or the next deadline) and record what has finished."""
        upcoming = [d.at for d in self._pending() if d.at != math.inf]  # inf: not started yet
        if self.retrying and (self.capacity is None or len(self.in_flight) < self.capacity):
            upcoming.append(self.retrying[0][0])
        wait = max(min(upcoming) - monotonic(), 0.0) if upcoming else None
        try:
            future = self.finished.get(timeout=wait)
        except Empty:
            return
        while True:
            self._finish(future)
            try:
                future = self.finished.get_nowait()
            except Empty:
                return

    def _finish(self, future: Future[Any]) -> None:
        node = self.in_flight.pop(future, None)
        if node is None:
            return  # abandoned at a deadline, or cancelled
        if isinstance(node, _Item):
            self._finish_item(node, future)
            return
        try:
            output = self.sender.receive(future)
        except WorkerDeadline:  # the worker saw a deadline pass before the driver did
            self._expire(min([d for d in node.chain if not d.fired] or node.chain, key=_at))
        except BaseException as raised:  # SystemExit is the task's failure; Ctrl-C goes on up
            if isinstance(raised, Exception) and self._retry(node, raised):
                return
            self._fail(node, node.run.failure(raised))
            if isinstance(raised, KeyboardInterrupt):
                raise self._interrupted(raised) from None
        else:
            self._complete(node, output)

    def _finish_item(self, item: _Item, future: Future[Any]) -> None:
        run = item.run
        try:
            output = run.check(self.sender.receive(future))
        except WorkerDeadline:  # the worker saw a deadline pass before the driver did
            self._expire(min([d for d in item.chain if not d.fired] or item.chain, key=_at))
        except BaseException as raised:  # SystemExit is the item's failure; Ctrl-C goes on up
            self._fail_item(
                item, run.failure(raised), end=not isinstance(raised, KeyboardInterrupt)
            )
            if isinstance(raised, KeyboardInterrupt):
                node = item.mapped.node
                self._fail(node, node.run.failure(raised))
                raise self._interrupted(raised) from None
        else:
            self._end_item(item)
            run.succeed(output)
            self._item_ended(item.mapped)

    def _fail_item(self, item: _Item, error: Exception, *, end: bool = True) -> None:
        """Record ``item``'s failure; its mapped task ends if it was the last one (``end``)."""
        if item not in item.mapped.items:
            return  # ended already
        self._end_item(item)
        item.run.fail(error)
        mapped = item.mapped
        if not mapped.run.going:  # fail_fast: the items still queued never start
            for queued in list(mapped.items):
                future = queued.future
                if future is not None and future.cancel():
                    self.in_flight.pop(future, None)
                    self._end_item(queued)
                    queued.run.fail(cancelled(queued.run.name, item.run.key))
        if end:
            self._item_ended(mapped)

    def _end_item(self, item: _Item) -> None:
        item.mapped.items.discard(item)
        if item.own is not None:
            self.timed.pop(item.own, None)

    def _item_ended(self, mapped: _Mapped) -> None:
        """Ready the mapped task's next item; or, once none is left to start or running,
        end the task with its ``MappedOutput`` or its failure."""
        node = mapped.node
        if mapped.items or not self._is_running(node):
            return
        if mapped.run.pending:
            self._ready(node.level, node.step, mapped)
            return
        try:
            output = mapped.run.outcome()
        except Exception as error:
            self._fail(node, error)
            return
        self._complete(node, output)

    def _is_running(self, node: _Node) -> bool:
        return node.level.running.get(node.name) is node

    def _complete(self, node: _Node, output: BaseModel) -> None:
        step, level = node.step, node.level
        try:
            node.run.check(output)
        except Exception as wrong:
            self._fail(node, wrong)
            return
        self._stop(node)
        node.run.succeed(output)
        self._advance(level, step, output)

    def _advance(self, level: _Level, step: Step, output: BaseModel) -> None:
        """``step`` has its output: the steps waiting only for it become ready."""
        if level.failure is not None:
            return
        level.outputs[step.name] = output
        level.left -= 1
        for index in level.plan.successors[step.index]:
            level.waiting[index] -= 1
            if not level.waiting[index]:
                self._ready(level, level.plan.steps[index])
        if not level.left and level.parent is not None:
            result = level.outputs[level.plan.result]
            level.job.mark_completed(result, now())
            self._complete(level.parent, result)

    def _fail(self, node: _Node, error: Exception) -> None:
        """Record ``node``'s failure and fail its job; a nested job fails its node in turn.

        A mapped task's items still running fail with it, with the same error.
        """
        self._stop(node)
        level, name = node.level, node.name
        if node.mapped is not None:
            node.mapped.run.stop()
            for item in list(node.mapped.items):
                if item.future is not None and self.in_flight.pop(item.future, None) is not None:
                    item.future.cancel()
                self._fail_item(item, error, end=False)
        node.run.fail(error)
        if node.inner is not None and node.inner.failure is None:
            node.inner.failure = TaskFailed(error, name)  # nothing inside may complete it now
        if level.failure is not None:
            return
        level.failure = TaskFailed(error, name)
        parent = level.parent
        if parent is not None:
            level.job.mark_failed(error, name, now())
            failure = nested_failure(parent.name, level.job)
            self._fail(parent, parent.run.failure(failure))

    def _stop(self, node: _Node) -> None:
        node.level.running.pop(node.name, None)
        if node.own is not None:
            self.timed.pop(node.own, None)

    # -- deadlines ------------------------------------------------------------

    def _pending(self) -> set[deadlines.Deadline]:
        """Every deadline not yet fired that bounds something still running."""
        found = {d for d in self.top.chain if not d.fired}
        found.update(d for d in self.timed if not d.fired)
        for node in self.in_flight.values():
            found.update(d for d in node.chain if not d.fired)
        return found

    def _expire_passed(self) -> None:
        current = monotonic()
        for deadline in sorted(self._pending(), key=_at):
            if deadline.at > current:
                return
            if not deadline.fired:
                self._expire(deadline)

    def _expire(self, deadline: deadlines.Deadline) -> None:
        """``deadline`` has passed: abandon what it bounds and fail who set it."""
        if deadline in self.top.chain and not (self.top.running or self.ready or self.in_flight):
            return  # the job has ended: as after the sequential runner's last task
        deadline.fired = True
        for future, node in list(self.in_flight.items()):
            if deadline in node.chain:
                del self.in_flight[future]
                future.cancel()
        owner = self.timed.get(deadline)
        if isinstance(owner, _Item):  # an item's timeout: the item fails, its task goes on
            self._fail_item(owner, owner.run.timed_out(deadline))
            return
        if owner is not None:  # a task's, or a nested workflow's, own timeout
            self._time_out(owner, deadline)
            return
        if deadline not in self.top.chain:
            return  # it bounded a nested workflow that had already failed
        running = sorted(self.top.running.values(), key=lambda node: node.step.index)
        for node in running:
            self._time_out(node, deadline)
        if deadline is self.job_deadline:
            if running or self.top.failure is not None:
                return
            # It passed before the next task could start: the runner says so.
            self.cursor.task = self.ready[0][2].name if self.ready else None
        elif running:  # set around this run: its owner handles it, as in the sequential runner
            self.cursor.task = running[0].name
        raise deadlines.DeadlineExpired(deadline)

    def _time_out(self, node: _Node, deadline: deadlines.Deadline, when: str = "while") -> None:
        error = node.run.timed_out(deadline, when)
        if deadline is node.own and when == "while" and self._retry(node, error):
            return
        self._fail(node, error)

    # -- retries --------------------------------------------------------------

    def _retry(self, node: _Node, error: Exception) -> bool:
        """Schedule another attempt of ``node``, whose attempt failed with ``error``, when
        its retry policy allows and the job goes on; False when it fails now."""
        if node.step.nested is not None or self.top.failure is not None:
            return False
        delay = node.run.retry_delay(error)
        if delay is None:
            return False
        if node.own is not None:  # each attempt has its own clock
            self.timed.pop(node.own, None)
            node.own = None
            node.chain = node.level.chain
        heapq.heappush(self.retrying, (monotonic() + delay, next(self._order), node, error))
        return True

    def _retry_due(self) -> None:
        """Send the retries whose delay has passed, while the executor has room; after a
        failure, fail the waiting ones with their last error instead."""
        while self.retrying:
            when, _, node, error = self.retrying[0]
            if node.level.running.get(node.name) is not node:
                heapq.heappop(self.retrying)  # ended meanwhile (a deadline)
            elif self.top.failure is not None or node.level.failure is not None:
                heapq.heappop(self.retrying)
                self._fail(node, node.run.failure(error))
            elif when <= monotonic() and (
                self.capacity is None or len(self.in_flight) < self.capacity
            ):
                heapq.heappop(self.retrying)
                self._send(node)
            else:
                return

    def _not_started(self, node: _Node, deadline: deadlines.Deadline) -> None:
        """``deadline`` passed before ``node`` could be sent (in its ``on_task_start`` hook)."""
        if deadline is self.job_deadline or deadline in self.timed:
            self._time_out(node, deadline, "before")
        else:  # set around this run: as when it passes while tasks run
            self._expire(deadline)


def _at(deadline: deadlines.Deadline) -> float:
    return deadline.at
