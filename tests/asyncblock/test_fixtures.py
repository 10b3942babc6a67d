"""Fixture files under tests/fixtures/asyncblock/ carry their expected findings.

Markers, all in comments:

- ``# error: ABL100`` expects that code on this line; ``ABL100:5`` also pins
  the column, 1-based as flake8 prints it; separate several with commas.
- ``# flake8-args: --asyncblock-blocking=a.b --extend-select ABL141`` (first
  lines only) configures the run, both in-process and for the real flake8.
- ``# requires-python: 3.12`` (first lines only) skips the file on older Pythons.

Every other line must stay silent: the comparison is over complete sets.
"""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from asyncblock_harness import FIXTURES, Fixture, compare, lint, load_fixture

FIXTURE_FILES = sorted(FIXTURES.glob("*.py"))


def test_every_fixture_expects_a_finding() -> None:
    empty = [path.name for path in FIXTURE_FILES if not load_fixture(path).expected]
    assert FIXTURE_FILES and not empty


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda path: path.name)
def test_fixture_findings_match_markers(path: Path) -> None:
    fixture = load_fixture(path)
    if not fixture.runnable:
        pytest.skip(f"needs Python {'.'.join(map(str, fixture.requires))}")
    source = path.read_text(encoding="utf-8")
    missing, unexpected = compare(lint(source, fixture.args), fixture.expected)
    assert (missing, unexpected) == ([], [])


def _flake8(args: tuple[str, ...], files: list[Path]) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--jobs=1", *args, *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    return result.stdout.splitlines()


def test_flake8_command_line_reports_the_markers() -> None:
    groups: dict[tuple[str, ...], list[Fixture]] = defaultdict(list)
    for path in FIXTURE_FILES:
        fixture = load_fixture(path)
        if fixture.runnable:
            groups[fixture.args].append(fixture)
    missing, unexpected = [], []
    for args, fixtures in groups.items():
        by_path = {str(fixture.path): fixture for fixture in fixtures}
        actual = defaultdict(list)
        for row in _flake8(args, [fixture.path for fixture in fixtures]):
            path, line, col, text = row.split(":", 3)
            code = text.split()[0]
            if code.startswith("ABL"):
                actual[path].append((int(line), int(col), code))
        for path, fixture in by_path.items():
            lost, extra = compare(actual[path], fixture.expected)
            missing += [(fixture.path.name, *item) for item in lost]
            unexpected += [(fixture.path.name, *item) for item in extra]
    assert (missing, unexpected) == ([], [])
