"""Every Python snippet of the README runs as written, prints what it says, and type-checks.

Each ``## `` section of the README is one program: its ``python`` blocks, in
order. A program runs in a folder holding the text-analysis example's files
(the snippets load "workflow.yaml" and "input.yaml"). A line
``print(...)  # text`` must print ``text`` (quotes stripped; an explanation
may follow after " (", ":" or ","), in order. Then mypy --strict with the
plugin checks every program, and a ``reveal_type(...)  # mypy: T`` comment
must match the revealed type.
"""

from __future__ import annotations

import re
import runpy
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from mypy import api as mypy_api

from taskmaestro import load_workflow_from_yaml

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
EXAMPLE = ROOT / "examples" / "text_analysis"

_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
_PRINTS = re.compile(r"^\s*print\(.*\)\s+# (.+)$")
_REVEALS = re.compile(r"reveal_type\(.*\)\s+# mypy: (.+)$", re.M)


@dataclass(frozen=True)
class Program:
    title: str
    code: str

    @property
    def module(self) -> str:
        return "readme_" + re.sub(r"\W+", "_", self.title.lower()).strip("_")


def programs() -> list[Program]:
    text = README.read_text(encoding="utf-8")
    found = []
    for section in re.split(r"^## ", text, flags=re.M)[1:]:
        title = section.splitlines()[0]
        blocks = _BLOCK.findall(section)
        if blocks:
            found.append(Program(title, "\n".join(blocks)))
    return found


PROGRAMS = programs()


def test_the_readme_has_the_expected_programs() -> None:
    titles = [program.title for program in PROGRAMS]
    for title in ("Quick start", "Named task instances", "Per-task configuration"):
        assert title in titles
    assert sum(program.code.count("\n") for program in PROGRAMS) > 300


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
        assert position < len(lines), f"{program.title}: nothing printed {said!r}; got {lines}"
        position += 1


def test_snippets_type_check_with_the_plugin(tmp_path: Path) -> None:
    files = []
    for program in PROGRAMS:
        path = tmp_path / f"{program.module}.py"
        path.write_text(program.code, encoding="utf-8")
        files.append(str(path))
    stdout, stderr, status = mypy_api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
            # Each section is one program; some reuse a name (workflow, job) for a new value.
            "--allow-redefinition-new",
            "--no-error-summary",
            *files,
        ]
    )
    errors = [line for line in stdout.splitlines() if ": error:" in line]
    assert status == 0, "\n".join(errors) or stdout + stderr
    revealed = [
        re.sub(r"\b[\w]+\.", "", line.split('Revealed type is "')[1].rstrip('"'))
        for line in stdout.splitlines()
        if "Revealed type is" in line
    ]
    said = [match.group(1) for p in PROGRAMS for match in _REVEALS.finditer(p.code)]
    assert said
    assert revealed == said


def test_the_diagram_shown_is_the_one_printed() -> None:
    text = README.read_text(encoding="utf-8")
    shown = re.search(r"^```mermaid\n(.*?)^```", text, re.S | re.M)
    assert shown is not None
    loaded = load_workflow_from_yaml(EXAMPLE / "workflow.yaml", EXAMPLE / "input.yaml")
    assert shown.group(1).rstrip("\n") == loaded.workflow.to_mermaid()
