"""The result cache: hits skip run(), misses on any change, honest storage, bounds, clearing."""

from __future__ import annotations

import json
import os
import threading
import time
from concurrent.futures import Executor
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import jsonschema
import pytest
from pydantic import BaseModel, ConfigDict

from taskmaestro import (
    BaseHook,
    ExecutionContext,
    Job,
    JobStatus,
    ObjectModel,
    Runner,
    Task,
    Workflow,
    WorkflowDefinitionError,
    load_workflow_from_yaml,
    workflow_task,
)
from taskmaestro._cli.app import main
from taskmaestro.cache import (
    CACHE_TAG,
    Cache,
    CacheDirectoryError,
    CachePolicy,
    SerializationError,
    cache_key,
    code_version,
    from_canonical_json,
    to_canonical_json,
)
from taskmaestro.schema import cli_schema

from .helpers import Number


class Request(BaseModel):
    """The input: where the task counts its runs (not part of the work), and a value."""

    log: str
    value: int


def runs(request: Request) -> int:
    path = Path(request.log)
    return len(path.read_text()) if path.exists() else 0


class Square(Task[Request, Number]):
    cache: ClassVar[bool | CachePolicy] = True

    def run(self, input: Request, ctx: ExecutionContext) -> Number:
        with Path(input.log).open("a") as stream:
            stream.write("x")
        return Number(value=input.value**2)


class SquareV2(Square):
    cache_version: ClassVar[str | None] = "2"


class Counts(BaseModel):
    by_word: dict[str, int]


class Count(Task[Request, Counts]):
    """Counts in the order the words came, not sorted."""

    cache: ClassVar[bool | CachePolicy] = True

    def run(self, input: Request, ctx: ExecutionContext) -> Counts:
        with Path(input.log).open("a") as stream:
            stream.write("x")
        return Counts(by_word={"zebra": 2, "apple": input.value, "mango": 1})


class Handle:
    """Something that is not data."""


class Opened(Task[Request, ObjectModel[Handle]]):
    cache: ClassVar[bool | CachePolicy] = True

    def run(self, input: Request, ctx: ExecutionContext) -> ObjectModel[Handle]:
        return ObjectModel[Handle](value=Handle())


class Recorder(BaseHook):
    def __init__(self) -> None:
        self.events: list[str] = []

    def on_task_start(self, job: Job[Any, Any], task: Task[Any, Any]) -> None:
        self.events.append("start")

    def on_task_complete(self, job: Job[Any, Any], task: Task[Any, Any], output: BaseModel) -> None:
        self.events.append("complete")


def run(
    task: type[Task[Any, Any]],
    request: Request,
    cache: Cache | Path | None,
    executor: Executor | None = None,
    hooks: list[object] | None = None,
) -> Job[Any, Any]:
    job = Runner(hooks, executor, cache=cache).run(Job(Workflow("w", [task]), request))
    assert job.status is JobStatus.COMPLETED, job.error
    return job


def test_the_second_run_is_served_from_the_cache_without_calling_run(
    tmp_path: Path, runner_executor: Executor | None
) -> None:
    request = Request(log=str(tmp_path / "log"), value=7)
    cache = Cache(tmp_path / "cache")
    first = run(Square, request, cache, runner_executor)
    hook = Recorder()
    second = run(Square, request, cache, runner_executor, [hook])
    assert second.result == first.result == Number(value=49)
    assert runs(request) == 1
    assert [(r.cache_hit, r.attempts) for r in (*first.task_results, *second.task_results)] == [
        (False, 1),
        (True, 0),
    ]
    assert hook.events == ["start", "complete"]  # a hit is an ordinary start and completion


def test_a_hit_gives_back_the_output_in_its_own_key_order(tmp_path: Path) -> None:
    """The cache key sorts the input's keys; the stored output keeps the order it had."""
    request = Request(log=str(tmp_path / "log"), value=7)
    first = run(Count, request, tmp_path / "cache")
    second = run(Count, request, tmp_path / "cache")
    assert second.task_results[0].cache_hit
    assert runs(request) == 1
    assert isinstance(first.result, Counts)
    assert isinstance(second.result, Counts)
    assert list(second.result.by_word) == list(first.result.by_word) == ["zebra", "apple", "mango"]


def test_a_changed_input_or_version_is_a_miss(tmp_path: Path) -> None:
    request = Request(log=str(tmp_path / "log"), value=7)
    cache = tmp_path / "cache"
    run(Square, request, cache)
    assert not run(Square, request.model_copy(update={"value": 8}), cache).task_results[0].cache_hit
    assert not run(SquareV2, request, cache).task_results[0].cache_hit
    assert run(SquareV2, request, cache).task_results[0].cache_hit
    assert runs(request) == 3


def test_the_code_version_is_explicit_or_a_digest_of_the_source() -> None:
    assert code_version(Square, "1.2") == "explicit:1.2"
    source = code_version(Square, None)
    assert source is not None
    assert source.startswith("source:")
    assert code_version(SquareV2, None) != source  # another class, another source


def test_without_source_the_compiled_code_is_the_version() -> None:
    namespace: dict[str, object] = {}
    template = "class Made:\n    def run(self):\n        return {}\n"
    exec(template.format(1), namespace)  # a class without readable source
    first = code_version(namespace["Made"], None)  # type: ignore[arg-type]
    exec(template.format(2), namespace)
    second = code_version(namespace["Made"], None)  # type: ignore[arg-type]
    assert first is not None
    assert second is not None
    assert first.startswith("code:")
    assert first != second
    exec("class Empty:\n    pass\n", namespace)
    assert code_version(namespace["Empty"], None) is None  # type: ignore[arg-type]


def test_the_key_covers_identity_version_output_model_and_input() -> None:
    key = cache_key("m.T", "v1", Number, '{"a":1}')
    assert (
        len(
            {
                key,
                cache_key("m.U", "v1", Number, '{"a":1}'),
                cache_key("m.T", "v2", Number, '{"a":1}'),
                cache_key("m.T", "v1", Request, '{"a":1}'),
                cache_key("m.T", "v1", Number, '{"a":2}'),
            }
        )
        == 5
    )
    assert cache_key("m.T", "v1", Number, '{"a":1}') == key


def test_object_model_outputs_are_never_cached_and_the_reason_is_recorded(tmp_path: Path) -> None:
    request = Request(log=str(tmp_path / "log"), value=1)
    job = run(Opened, request, tmp_path / "cache")
    result = job.task_results[0]
    assert not result.cache_hit
    assert result.cache_note is not None
    assert "ObjectModel" in result.cache_note
    assert not run(Opened, request, tmp_path / "cache").task_results[0].cache_hit
    assert not list((tmp_path / "cache").glob("*/*.json"))


def test_an_input_that_is_not_data_is_not_cached(tmp_path: Path) -> None:
    class UsesHandle(Task[ObjectModel[Handle], Number]):
        cache: ClassVar[bool | CachePolicy] = True

        def run(self, input: ObjectModel[Handle], ctx: ExecutionContext) -> Number:
            return Number(value=1)

    job = Runner(cache=tmp_path).run(
        Job(Workflow("w", [UsesHandle]), ObjectModel[Handle](value=Handle()))
    )
    note = job.task_results[0].cache_note
    assert note is not None
    assert note.startswith("not cached: its input ObjectModel[Handle] is an ObjectModel")


def test_a_task_without_cache_is_neither_looked_up_nor_stored(tmp_path: Path) -> None:
    class Plain(Square):
        cache: ClassVar[bool | CachePolicy] = False

    request = Request(log=str(tmp_path / "log"), value=2)
    for _ in range(2):
        result = run(Plain, request, tmp_path / "cache").task_results[0]
        assert (result.cache_hit, result.cache_note) == (False, None)
    assert runs(request) == 2
    assert not (tmp_path / "cache").exists()


def test_a_cached_task_on_a_runner_without_cache_says_so(tmp_path: Path) -> None:
    job = run(Square, Request(log=str(tmp_path / "log"), value=2), None)
    assert job.task_results[0].cache_note == "the runner has no cache"


def test_entries_are_whole_json_files_in_a_tagged_folder(tmp_path: Path) -> None:
    request = Request(log=str(tmp_path / "log"), value=3)
    run(Square, request, tmp_path / "cache")
    assert (tmp_path / "cache" / CACHE_TAG).read_text().startswith("Signature: 8a477f597d28d17")
    [entry] = (tmp_path / "cache").glob("*/*.json")
    data = json.loads(entry.read_text())
    assert data["output"] == {"value": 9}
    assert data["task"] == "square"
    assert entry.parent.name == data["key"][:2]
    assert not list((tmp_path / "cache").rglob("*.tmp"))


def test_a_corrupt_or_foreign_entry_is_a_miss_and_is_replaced(tmp_path: Path) -> None:
    request = Request(log=str(tmp_path / "log"), value=3)
    run(Square, request, tmp_path / "cache")
    [entry] = (tmp_path / "cache").glob("*/*.json")
    for broken in ("{not json", json.dumps({"format": 1, "key": "other"}), "[]"):
        entry.write_text(broken)
        assert not run(Square, request, tmp_path / "cache").task_results[0].cache_hit
    assert run(Square, request, tmp_path / "cache").task_results[0].cache_hit


def age(entry: Path, seconds: float) -> None:
    data = json.loads(entry.read_text())
    data["created"] -= seconds
    entry.write_text(json.dumps(data))


def test_entries_older_than_the_bound_are_misses(tmp_path: Path) -> None:
    request = Request(log=str(tmp_path / "log"), value=3)
    cache = Cache(tmp_path / "cache", max_age_seconds=60)
    run(Square, request, cache)
    [entry] = (tmp_path / "cache").glob("*/*.json")
    age(entry, 30)
    assert run(Square, request, cache).task_results[0].cache_hit

    class Fresh(Square):
        cache: ClassVar[bool | CachePolicy] = CachePolicy(max_age_seconds=10)
        cache_version: ClassVar[str | None] = "fresh"

    run(Fresh, request, cache)
    fresh = max((tmp_path / "cache").glob("*/*.json"), key=lambda path: path.stat().st_mtime)
    age(fresh, 20)
    assert not run(Fresh, request, cache).task_results[0].cache_hit  # the task's own bound
    age(entry, 40)
    assert not run(Square, request, cache).task_results[0].cache_hit  # the cache's bound


def test_the_size_bound_removes_the_least_recently_used(tmp_path: Path) -> None:
    cache = Cache(tmp_path, max_bytes=1000)
    output = to_canonical_json(Number(value=1))
    for index in range(30):
        cache.put(f"{index:064x}", "t", output)
        time.sleep(0.002)  # distinct modification times
    entries = list(tmp_path.glob("*/*.json"))
    assert sum(path.stat().st_size for path in entries) <= 1000
    assert 0 < len(entries) < 30
    assert cache.get(f"{29:064x}", Number) == Number(value=1)  # the newest stays
    assert cache.get(f"{0:064x}", Number) is None


def test_prune_removes_expired_entries(tmp_path: Path) -> None:
    cache = Cache(tmp_path, max_age_seconds=100)
    cache.put("ab" * 32, "t", to_canonical_json(Number(value=1)))
    assert cache.prune() == 0
    [entry] = tmp_path.glob("*/*.json")
    old = time.time() - 200
    os.utime(entry, (old, old))
    assert cache.prune() == 1
    assert not entry.exists()


def test_clear_empties_a_cache_and_refuses_other_folders(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    assert cache.clear() == 0  # no folder yet
    for index in range(3):
        cache.put(f"{index:064x}", "t", to_canonical_json(Number(value=index)))
    (tmp_path / "cache" / "00" / ".x.json.123.tmp").write_text("{")  # a crashed writer's
    assert cache.clear() == 3
    assert sorted(path.name for path in (tmp_path / "cache").iterdir()) == [CACHE_TAG]
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "thesis.txt").write_text("precious")
    with pytest.raises(CacheDirectoryError, match="is not a taskmaestro cache"):
        Cache(documents).clear()
    assert (documents / "thesis.txt").read_text() == "precious"


def test_concurrent_writers_and_readers_see_whole_entries(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    key = "cd" * 32
    seen: list[Number | None] = []
    problems: list[BaseException] = []

    def work(value: int) -> None:
        try:
            for _ in range(30):
                cache.put(key, "t", to_canonical_json(Number(value=value)))
                seen.append(cache.get(key, Number))
        except BaseException as error:
            problems.append(error)

    threads = [threading.Thread(target=work, args=(value,)) for value in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems == []
    assert all(found is not None and found.value in range(4) for found in seen)


def test_canonical_json_sorts_keys_and_refuses_what_it_cannot_keep() -> None:
    class Shape(BaseModel):
        b: int
        a: float
        extra: Any = None

    assert to_canonical_json(Shape(b=1, a=0.5)) == '{"a":0.5,"b":1,"extra":null}'
    assert from_canonical_json(Shape, '{"a":0.5,"b":1}') == Shape(b=1, a=0.5)
    with pytest.raises(SerializationError, match="does not survive a JSON round trip"):
        to_canonical_json(Shape(b=1, a=0.5, extra=(1, 2)))
    with pytest.raises(SerializationError, match=r"cannot be JSON|does not survive"):
        to_canonical_json(Shape(b=1, a=float("nan")))
    with pytest.raises(SerializationError, match="cannot be JSON"):
        to_canonical_json(Shape(b=1, a=0.5, extra=Handle()))


def test_runner_cache_takes_a_cache_or_a_path() -> None:
    assert Runner(cache="some/dir").cache is not None
    assert Runner().cache is None
    with pytest.raises(TypeError, match=r"Runner\(cache=...\) takes a Cache or a folder path"):
        Runner(cache=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_bytes must be a positive integer"):
        Cache("x", max_bytes=0)


def test_a_cache_attribute_of_the_wrong_type_is_refused() -> None:
    with pytest.raises(WorkflowDefinitionError, match="cache must be True, False or a CachePolicy"):
        type("Bad", (Square,), {"cache": "yes"})
    with pytest.raises(WorkflowDefinitionError, match="cache_version must be a string or None"):
        type("Bad", (Square,), {"cache_version": 2})
    with pytest.raises(ValueError, match="max_age_seconds must be a positive"):
        CachePolicy(max_age_seconds=0)


def test_a_yaml_runner_cache_folder_is_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "w.yaml").write_text(
        "workflow:\n"
        "  name: w\n"
        "  tasks:\n"
        "    - task: tests.test_cache.Square\n"
        "runner:\n"
        "  cache: results-cache\n"
    )
    (tmp_path / "in.yaml").write_text(f"log: {tmp_path / 'log'}\nvalue: 4\n")
    hits = [
        load_workflow_from_yaml(tmp_path / "w.yaml", tmp_path / "in.yaml")
        .run()
        .task_results[0]
        .cache_hit
        for _ in range(2)
    ]
    assert hits == [False, True]
    assert (tmp_path / "results-cache" / CACHE_TAG).is_file()


def square_files(tmp_path: Path) -> tuple[Path, Path]:
    workflow_file = tmp_path / "w.yaml"
    workflow_file.write_text(
        "workflow:\n  name: w\n  tasks:\n    - task: tests.test_cache.Square\n"
    )
    inputs = tmp_path / "in.yaml"
    inputs.write_text(f"log: {tmp_path / 'log'}\nvalue: 5\n")
    return workflow_file, inputs


def test_cli_run_cache_serves_the_second_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workflow_file, inputs = square_files(tmp_path)
    folder = str(tmp_path / "c")
    assert main(["run", "-q", str(workflow_file), str(inputs), "--cache", folder]) == 0
    assert "(from the cache)" not in capsys.readouterr().out
    assert main(["run", "-q", str(workflow_file), str(inputs), "--cache", folder]) == 0
    assert "square  completed" in (out := capsys.readouterr().out)
    assert "(from the cache)" in out
    assert main(["run", "--json", str(workflow_file), str(inputs), "--cache", folder]) == 0
    document = json.loads(capsys.readouterr().out)
    jsonschema.validate(document, cli_schema())
    task = document["result"]["job"]["tasks"]["square"]
    assert (task["cache_hit"], task["attempts"]) == (True, 0)
    assert runs(Request(log=str(tmp_path / "log"), value=5)) == 1


def test_cli_cache_clear(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    workflow_file, inputs = square_files(tmp_path)
    folder = str(tmp_path / "c")
    assert main(["run", "-q", str(workflow_file), str(inputs), "--cache", folder]) == 0
    capsys.readouterr()
    assert main(["cache", "clear", folder]) == 0
    assert capsys.readouterr().out == f"removed 1 cache entry from {folder}\n"
    assert main(["cache", "clear", "--json", folder]) == 0
    document = json.loads(capsys.readouterr().out)
    jsonschema.validate(document, cli_schema())
    assert document["result"] == {"directory": folder, "removed": 0}
    assert main(["cache", "clear", str(tmp_path)]) == 2  # holds w.yaml: not a cache
    assert "is not a taskmaestro cache" in capsys.readouterr().err
    assert workflow_file.exists()


def test_nested_workflows_are_not_cached_inside_nor_as_a_whole(
    tmp_path: Path, runner_executor: Executor | None
) -> None:
    nested = workflow_task(Workflow("inner", [Square]), name="inner")
    nested.cache = True
    request = Request(log=str(tmp_path / "log"), value=3)
    for _ in range(2):
        job = run(nested, request, tmp_path / "cache", runner_executor)
        assert job.task_results[0].cache_note == (
            "not cached: a nested workflow is not cached as a whole"
        )
    assert runs(request) == 2


class Stamped(BaseModel):
    """A strict model: a datetime is only read back from JSON text, not from a Python str."""

    model_config = ConfigDict(strict=True)
    at: datetime


class Stamp(Task[Request, Stamped]):
    cache: ClassVar[bool | CachePolicy] = True

    def run(self, input: Request, ctx: ExecutionContext) -> Stamped:
        return Stamped(at=datetime(2026, 1, 2, 3, 4, 5))


def test_a_strict_output_is_read_back_as_json(tmp_path: Path) -> None:
    request = Request(log=str(tmp_path / "log"), value=1)
    first = run(Stamp, request, tmp_path)
    second = run(Stamp, request, tmp_path)
    assert second.task_results[0].cache_hit
    assert second.result == first.result
