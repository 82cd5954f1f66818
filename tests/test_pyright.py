"""Pyright (and so Pylance) on the public API: the precise types plain generics give.

Pyright runs no mypy plugin, so it reports no wiring errors; what it can give
comes from the generic signatures alone. The fixture marks each line it checks:
``# T: <type>`` for the type pyright reveals there, ``# E: <rule>`` for the
error it reports. Pyright comes from the dev extra (it fetches its Node package
itself on first use).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "pyright_fixtures"
FIXTURE = FIXTURES / "public_api.py"
HANDLES = FIXTURES / "handles.py"
"""Task handles: a whole-output mismatch and ``set_result_task``'s result type (issue 14.7)."""
_MARK = re.compile(r"#\s*([TE]):\s*(.+?)\s*$")
_REVEALED = re.compile(r'^Type of ".*" is "(.*)"$', re.DOTALL)


def _expected(path: Path) -> set[tuple[int, str, str]]:
    """(line, kind, text) for each marked line of the fixture."""
    marks = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = _MARK.search(line)
        if match is not None:
            marks.add((number, match.group(1), match.group(2)))
    return marks


def _reported(path: Path) -> set[tuple[int, str, str]]:
    """(line, kind, text) for each diagnostic of a pyright run on ``path``."""
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pyright",
            "--outputjson",
            "--pythonpath",
            sys.executable,
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.stdout, f"pyright printed nothing:\n{completed.stderr}"
    report = json.loads(completed.stdout)
    found = set()
    for diagnostic in report["generalDiagnostics"]:
        line = diagnostic["range"]["start"]["line"] + 1
        message = diagnostic["message"]
        revealed = _REVEALED.match(message)
        if diagnostic["severity"] == "information" and revealed is not None:
            found.add((line, "T", revealed.group(1)))
        else:
            found.add((line, "E", diagnostic.get("rule", message)))
    return found


@pytest.mark.parametrize("fixture", [FIXTURE, HANDLES], ids=lambda path: path.stem)
def test_pyright_reveals_the_generic_types_and_plain_type_errors(fixture: Path) -> None:
    expected = _expected(fixture)
    assert expected, "the fixture marks no line"
    assert _reported(fixture) == expected


def test_every_exported_symbol_has_a_known_type(tmp_path: Path) -> None:
    """``pyright --verifytypes``: the typed-library completeness score stays at 100%.

    Pyright judges an installed package, so the project is installed (without
    dependencies) into a folder of the test's own first.
    """
    root = Path(__file__).resolve().parent.parent
    target = tmp_path / "site"
    install = ["pip", "install", "--quiet", "--no-deps", "--target", str(target), str(root)]
    subprocess.run(
        [sys.executable, "-m", *install],
        check=True,
        capture_output=True,
        timeout=600,
    )
    verify = ["--verifytypes", "taskmaestro", "--ignoreexternal"]
    completed = subprocess.run(
        [sys.executable, "-m", "pyright", "--outputjson", "--pythonpath", sys.executable, *verify],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(target)},
    )
    report = json.loads(completed.stdout)["typeCompleteness"]
    ambiguous = [
        symbol["name"]
        for symbol in report["symbols"]
        if symbol["isExported"] and not symbol["isTypeKnown"]
    ]
    assert report["exportedSymbolCounts"]["withKnownType"] > 0
    assert ambiguous == []
    assert report["completenessScore"] == 1.0
