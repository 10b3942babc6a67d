"""Shared by the asyncblock tests: run the checker in-process and read expectations."""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from flake8_asyncblock.checker import AsyncBlockChecker
from flake8_asyncblock.options import parse_args
from flake8_asyncblock.registry import RULES

__all__ = ["FIXTURES", "Fixture", "Finding", "compare", "lint", "load_fixture", "parse_expected"]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "asyncblock"

#: (line, 1-based column or None when not pinned, code)
Finding = tuple[int, "int | None", str]

_ERROR = re.compile(r"#\s*error:\s*(?P<codes>[A-Z]+\d+(?::\d+)?(?:\s*,\s*[A-Z]+\d+(?::\d+)?)*)")
_HEADER = re.compile(r"#\s*(?P<key>flake8-args|requires-python):\s*(?P<value>.*)$")
_SELECT_FLAGS = ("--select", "--extend-select", "--ignore", "--extend-ignore")


@dataclass(frozen=True)
class Fixture:
    """A fixture file with its headers and the findings its comments expect."""

    path: Path
    args: tuple[str, ...]
    requires: tuple[int, ...]
    expected: tuple[Finding, ...]

    @property
    def runnable(self) -> bool:
        return sys.version_info[: len(self.requires)] >= self.requires


def load_fixture(path: Path) -> Fixture:
    """Read headers and `# error:` markers from a fixture file."""
    source = path.read_text(encoding="utf-8")
    args: tuple[str, ...] = ()
    requires: tuple[int, ...] = ()
    for line in source.splitlines():
        header = _HEADER.match(line)
        if not line.startswith("#"):
            break
        if header and header["key"] == "flake8-args":
            args = tuple(header["value"].split())
        elif header:
            requires = tuple(int(part) for part in header["value"].strip().split("."))
    expected = []
    for number, line in enumerate(source.splitlines(), start=1):
        if match := _ERROR.search(line):
            expected.extend(parse_expected(match["codes"].split(","), number))
    return Fixture(path, args, requires, tuple(expected))


def parse_expected(entries: Iterable[str], line: int | None = None) -> list[Finding]:
    """Turn "CODE", "CODE:COL" (line given) or "CODE:LINE[:COL]" into findings."""
    found: list[Finding] = []
    for entry in entries:
        code, *numbers = entry.strip().split(":")
        if line is None:
            at, *numbers = numbers
            found.append((int(at), int(numbers[0]) if numbers else None, code))
        else:
            found.append((line, int(numbers[0]) if numbers else None, code))
    return found


def _selected(args: Sequence[str], always: Sequence[str]) -> tuple[set[str], list[str]]:
    """Mimic flake8's select/ignore options closely enough for our own codes."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    for flag in _SELECT_FLAGS:
        parser.add_argument(flag, action="append", default=[])
    namespace, rest = parser.parse_known_args(list(args))
    chosen = {
        flag: [code.strip() for value in getattr(namespace, flag[2:].replace("-", "_"))
               for code in value.split(",") if code.strip()]
        for flag in _SELECT_FLAGS
    }
    codes = set()
    for rule in RULES:
        def hit(flag: str, code: str = rule.code) -> bool:
            return any(code.startswith(prefix) for prefix in chosen[flag])
        on = hit("--select") if chosen["--select"] else rule.default_enabled
        on = on or hit("--extend-select") or rule.code in always
        if on and not (hit("--ignore") or hit("--extend-ignore")):
            codes.add(rule.code)
    return codes, rest


def lint(source: str, args: Sequence[str] = (), always: Sequence[str] = ()) -> list[Finding]:
    """Run AsyncBlockChecker on `source` with flake8-style `args`; codes in `always` are on."""
    codes, rest = _selected(args, always)
    settings, _ = parse_args(rest)
    checker = AsyncBlockChecker(ast.parse(source), "fixture.py", source.splitlines(True))
    checker.settings = settings  # type: ignore[misc]
    found = []
    for line, col, text, _ in checker.run():
        code = text.split(" ", 1)[0]
        if code in codes:
            found.append((line, col + 1, code))
    return found


def compare(actual: Iterable[Finding], expected: Iterable[Finding]) -> tuple[list, list]:
    """Return (missing, unexpected); a column is compared only where one is expected."""
    expected = list(expected)
    pinned = {(line, code) for line, col, code in expected if col is not None}
    got = Counter(
        (line, col if (line, code) in pinned else None, code) for line, col, code in actual
    )
    want = Counter(expected)
    return sorted((want - got).elements(), key=str), sorted((got - want).elements(), key=str)
