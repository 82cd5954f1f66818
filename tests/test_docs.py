"""Every Python snippet of the README and of ``docs/`` runs as written, prints what it says,
and type-checks with the plugin.

A page is cut into programs at its ``## `` headings: a program is the ``python`` blocks of
one section, in order (a page's text before its first ``## `` is a section too). Blocks may
be indented (inside a collapsible ``??? example`` box). Each program runs in a folder that
holds the text-analysis example's files (snippets load "workflow.yaml" and "input.yaml").
A line ``print(...)  # text`` must print ``text`` (quotes stripped; an explanation may
follow after " (", ":" or ","), in order. Then mypy --strict with the plugin checks every
program, and a ``reveal_type(...)  # mypy: T`` comment must match the revealed type; so a
``# type: ignore[taskmaestro-...]`` in a snippet proves the plugin reports that code
(strict mode reports an ignore that silences nothing).

A block that cannot run (a fragment) is preceded by the line ``<!-- not-run: why -->``;
it is neither run nor type-checked, and such blocks must stay rare.
"""

from __future__ import annotations

import json
import re
import runpy
import shutil
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from mypy import api as mypy_api

from taskmaestro import load_workflow_from_yaml

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = (README, *sorted(DOCS.rglob("*.md")))
EXAMPLE = ROOT / "examples" / "text_analysis"

_FENCE = re.compile(r"^(?P<indent> *)```(?P<info>[^`\n]*)$")
_NOT_RUN = re.compile(r"^\s*<!-- not-run: (?P<why>.+) -->\s*$")
_PRINTS = re.compile(r"^\s*print\(.*\)\s+# (.+)$")
_REVEALS = re.compile(r"reveal_type\(.*\)\s+# mypy: (.+)$", re.M)

MOST_NOT_RUN = 4
"""Fragments are the exception: a page explains with code that runs."""


@dataclass(frozen=True)
class Block:
    page: Path
    section: str
    language: str
    code: str
    not_run: str | None
    """Why the block is not run, or None."""


@dataclass(frozen=True)
class Program:
    page: Path
    title: str
    code: str

    @property
    def module(self) -> str:
        stem = "readme" if self.page == README else "docs_" + self.page.stem
        return re.sub(r"\W+", "_", f"{stem}_{self.title}".lower()).strip("_")


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of a page, each with the ``## `` section it is in."""
    found: list[Block] = []
    section = page.stem
    lines = page.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        fence = _FENCE.match(line)
        if fence is None:
            if line.startswith("## "):
                section = line[3:].strip()
            index += 1
            continue
        indent = fence.group("indent")
        end = index + 1
        while end < len(lines) and lines[end] != indent + "```":
            end += 1
        body = [text.removeprefix(indent) for text in lines[index + 1 : end]]
        before = next((text for text in reversed(lines[:index]) if text.strip()), "")
        not_run = _NOT_RUN.match(before)
        found.append(
            Block(
                page,
                section,
                fence.group("info").strip(),
                "\n".join(body) + "\n",
                not_run.group("why") if not_run else None,
            )
        )
        index = end + 1
    return found


def programs() -> list[Program]:
    found: list[Program] = []
    for page in PAGES:
        by_section: dict[str, list[str]] = {}
        for block in blocks(page):
            if block.language == "python" and block.not_run is None:
                by_section.setdefault(block.section, []).append(block.code)
        found += [Program(page, title, "".join(codes)) for title, codes in by_section.items()]
    return found


PROGRAMS = programs()


def test_every_page_has_its_programs() -> None:
    titles = {(program.page.name, program.title) for program in PROGRAMS}
    for wanted in (
        ("README.md", "Quick start: the plugin catches a wiring mistake"),
        ("getting-started.md", "Linear pipeline"),
        ("getting-started.md", "DAG workflow (fan-in)"),
        ("concepts.md", "Named task instances"),
        ("concepts.md", "Per-task configuration"),
        ("concepts.md", "Output field routing"),
        ("wiring-rules.md", "The rules"),
        ("mypy-plugin.md", "The types it gives"),
        ("parallel.md", "Running branches in parallel"),
        ("hooks.md", "Writing a hook"),
        ("hooks.md", "When a hook fails"),
    ):
        assert wanted in titles
    assert len({program.module for program in PROGRAMS}) == len(PROGRAMS)


def test_fragments_are_rare_and_say_why() -> None:
    fragments = [block for page in PAGES for block in blocks(page) if block.not_run]
    assert len(fragments) <= MOST_NOT_RUN, [(b.page.name, b.section) for b in fragments]
    for block in fragments:
        where = (block.page.name, block.section)
        assert block.language == "python", where
        assert len((block.not_run or "").split()) >= 3, f"{where}: say why it cannot run"


def test_every_page_is_in_the_nav() -> None:
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_MkDocsLoader)
    listed: set[str] = set()
    pending: list[object] = [config["nav"]]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            listed.add(item)
        elif isinstance(item, list):
            pending += item
        elif isinstance(item, dict):
            pending += list(item.values())
    pages = {str(page.relative_to(DOCS)) for page in DOCS.rglob("*.md")}
    assert pages == listed


class _MkDocsLoader(yaml.SafeLoader):
    """Reads mkdocs.yml, whose ``!!python/name:`` tags name functions for Markdown fences."""


_MkDocsLoader.add_multi_constructor(
    "tag:yaml.org,2002:python/name:", lambda loader, suffix, node: suffix
)


def expected_prints(code: str) -> list[str]:
    wanted = []
    for line in code.splitlines():
        match = _PRINTS.match(line)
        if match:
            text = match.group(1).strip()
            quoted = re.fullmatch(r'"(.*)"', text)
            wanted.append(quoted.group(1) if quoted else text)
    return wanted


def printed_as_said(printed: str, said: str) -> bool:
    return said == printed or any(said.startswith(printed + sep) for sep in (" (", ":", ","))


@pytest.fixture
def example_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("pipeline.py", "workflow.yaml", "input.yaml"):
        shutil.copy(EXAMPLE / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.module)
def test_snippets_run_and_print_what_they_say(
    program: Program, example_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = example_folder / f"{program.module}.py"
    path.write_text(program.code, encoding="utf-8")
    runpy.run_path(str(path), run_name=program.module)
    lines = capsys.readouterr().out.splitlines()
    position = 0
    for said in expected_prints(program.code):
        while position < len(lines) and not printed_as_said(lines[position], said):
            position += 1
        assert position < len(lines), f"{program.module}: nothing printed {said!r}; got {lines}"
        position += 1


def run_mypy(files: list[Path], cache: Path) -> tuple[str, int]:
    stdout, stderr, status = mypy_api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(cache),
            # Each section is one program; some reuse a name (workflow, job) for a new value.
            "--allow-redefinition-new",
            "--no-error-summary",
            *map(str, files),
        ]
    )
    return stdout + stderr, status


def test_snippets_type_check_with_the_plugin(tmp_path: Path) -> None:
    files = []
    for program in PROGRAMS:
        path = tmp_path / f"{program.module}.py"
        path.write_text(program.code, encoding="utf-8")
        files.append(path)
    output, status = run_mypy(files, tmp_path / ".mypy_cache")
    errors = [line for line in output.splitlines() if ": error:" in line]
    assert status == 0, "\n".join(errors) or output
    revealed = [
        re.sub(r"\b[\w]+\.", "", line.split('Revealed type is "')[1].rstrip('"'))
        for line in output.splitlines()
        if "Revealed type is" in line
    ]
    said = [match.group(1) for p in PROGRAMS for match in _REVEALS.finditer(p.code)]
    assert said
    assert revealed == said


def test_the_readme_s_mistake_gives_the_mypy_error_it_shows(tmp_path: Path) -> None:
    """The README's quick start: "Change `X` to `Y`" in its program, and mypy says what the
    ``console`` block after that sentence shows."""
    [quick_start] = [p for p in PROGRAMS if p.page == README and p.title.startswith("Quick")]
    text = README.read_text(encoding="utf-8")
    change = re.search(r"[Cc]hange `(.+?)` to `(.+?)`.*?```console\n(.*?)```", text, re.S)
    assert change is not None
    original, mistaken, shown = change.groups()
    assert quick_start.code.count(original) == 1
    path = tmp_path / "quickstart.py"
    path.write_text(quick_start.code.replace(original, mistaken), encoding="utf-8")
    output, status = run_mypy([path], tmp_path / ".mypy_cache")
    command, *said = shown.strip().splitlines()
    assert command == "$ mypy quickstart.py"
    assert status == 1
    printed = [line.replace(str(tmp_path) + "/", "") for line in output.strip().splitlines()]
    assert printed == said


def test_the_diagram_shown_is_the_one_printed() -> None:
    [shown] = [b for page in PAGES for b in blocks(page) if b.language == "mermaid"]
    loaded = load_workflow_from_yaml(EXAMPLE / "workflow.yaml", EXAMPLE / "input.yaml")
    assert shown.code.rstrip("\n") == loaded.workflow.to_mermaid()


def test_the_schema_set_up_is_relative_to_the_project() -> None:
    """The YAML page writes the schema with ``taskmaestro schema`` and points editors at
    that file by a relative path, never into an installation's site-packages."""
    page = (DOCS / "yaml.md").read_text(encoding="utf-8")
    assert "taskmaestro schema > workflow.schema.json" in page
    paths = re.findall(r"\$schema=(\S+)", page) + re.findall(r'"yaml\.schemas": \{ "([^"]+)"', page)
    assert len(paths) == 2
    for path in paths:
        assert not Path(path).is_absolute()
        assert "site-packages" not in path
        assert Path(path).name == "workflow.schema.json"


@pytest.mark.parametrize("language", ["toml", "yaml", "json"])
def test_configuration_snippets_parse(language: str) -> None:
    parsers: dict[str, Callable[[str], object]] = {
        "toml": tomllib.loads,
        "yaml": yaml.safe_load,
        "json": json.loads,
    }
    parse = parsers[language]
    shown = [b for page in PAGES for b in blocks(page) if b.language == language]
    assert shown
    for block in shown:
        assert parse(block.code) is not None, (block.page.name, block.section)


def test_the_readme_s_links_into_the_docs_exist() -> None:
    """mkdocs --strict checks the links between pages; this checks the README's."""
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README.read_text(encoding="utf-8"))
    local = [link for link in links if "://" not in link]
    assert any(link.startswith("docs/") for link in local)
    for link in local:
        assert (ROOT / link).exists(), link
