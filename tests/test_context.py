"""ExecutionContext: correlation id, scratch folder, service registry."""

from __future__ import annotations

import logging
import pickle
import uuid
from pathlib import Path

import pytest

from taskmaestro import ExecutionContext, Job, Runner, Task, Workflow

from .helpers import Number


class Database:
    def query(self) -> int:
        return 42


def test_defaults() -> None:
    ctx = ExecutionContext()
    assert uuid.UUID(ctx.correlation_id).version == 4
    assert ExecutionContext().correlation_id != ctx.correlation_id
    assert isinstance(ctx.logger, logging.Logger)
    assert ExecutionContext(correlation_id="fixed").correlation_id == "fixed"


def test_services_by_name_and_by_type() -> None:
    ctx = ExecutionContext(services={"title": "Overview"})
    database = Database()
    ctx.register(Database, database)
    ctx.register("limit", 3)
    assert ctx.resolve("title") == "Overview"
    assert ctx.resolve(Database).query() == 42
    assert ctx.resolve("limit") == 3
    with pytest.raises(KeyError, match=r"'missing'; registered: limit, tests\.test_context\.Data"):
        ctx.resolve("missing")


def test_services_is_a_read_only_view() -> None:
    ctx = ExecutionContext(services={"title": "Overview"})
    services = ctx.services
    ctx.register("limit", 3)
    assert dict(services) == {"title": "Overview", "limit": 3}
    with pytest.raises(TypeError):
        services["other"] = 1  # type: ignore[index]


def test_scratch_dir_is_created_on_demand_and_removed_on_close() -> None:
    ctx = ExecutionContext()
    scratch = ctx.scratch_dir
    assert scratch.is_dir()
    assert ctx.scratch_dir == scratch
    (scratch / "file.txt").write_text("x")
    ctx.close()
    assert not scratch.exists()


def test_given_scratch_dir_is_created_and_kept(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "b"
    with ExecutionContext(scratch_dir=folder) as ctx:
        assert ctx.scratch_dir == folder
        assert folder.is_dir()
    assert folder.is_dir()


class UsesContext(Task[Number, Number]):
    seen: list[Path] = []  # noqa: RUF012 - collects what the task saw

    def run(self, input: Number, ctx: ExecutionContext) -> Number:
        (ctx.scratch_dir / "note.txt").write_text("hello")
        UsesContext.seen.append(ctx.scratch_dir)
        return Number(value=input.value + ctx.resolve("offset"))


def test_runner_cleans_up_the_context_it_created() -> None:
    job = Runner().run(Job(Workflow(name="w", tasks=[UsesContext]), Number(value=1)))
    # The runner's own context has no services: the task fails, naming the key.
    assert isinstance(job.exception, KeyError)
    assert job.error == "\"No service registered under 'offset'; registered: none\""
    assert UsesContext.seen
    assert not UsesContext.seen[-1].exists()


def test_runner_uses_and_keeps_a_given_context() -> None:
    ctx = ExecutionContext(services={"offset": 10})
    job = Runner().run(Job(Workflow(name="w", tasks=[UsesContext]), Number(value=1)), ctx=ctx)
    assert job.result == Number(value=11)
    assert (ctx.scratch_dir / "note.txt").read_text() == "hello"
    ctx.close()


def test_a_pickled_context_shares_id_services_and_scratch_dir() -> None:
    with ExecutionContext(services={"limit": 3, Database: Database()}) as ctx:
        copy = pickle.loads(pickle.dumps(ctx))
        assert copy.correlation_id == ctx.correlation_id
        assert copy.logger is ctx.logger
        assert copy.resolve("limit") == 3
        assert copy.resolve(Database).query() == 42
        assert copy.scratch_dir == ctx.scratch_dir
        copy.close()  # a copy never removes the folder...
        assert ctx.scratch_dir.is_dir()
        scratch = ctx.scratch_dir
    assert not scratch.exists()  # ...the original does
