"""`# noqa` comments with flake8's meaning, for the `asyncblock` command (flake8 does its own)."""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Sequence

from flake8_asyncblock.rule import Violation

__all__ = ["NOQA", "filter_noqa"]

#: flake8's inline pattern: a bare noqa comment silences everything on the line, one
#: with codes (`noqa: ABL100,ABL1`) silences those codes and codes starting with them.
NOQA = re.compile(
    r"#\s*noqa\b(?::\s?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE
)
_SPLIT = re.compile(r"[,\s]+")


def filter_noqa(source: str, violations: Sequence[Violation]) -> list[Violation]:
    """Drop the violations a `# noqa` comment silences.

    As in flake8, a comment anywhere on a multi-line statement (or string)
    covers all of its lines.
    """
    if not violations or "noqa" not in source.lower():
        return list(violations)
    lines = source.splitlines()
    ranges = _logical_ranges(source)
    kept = []
    for violation in violations:
        first, last = ranges.get(violation.line, (violation.line, violation.line))
        text = "\n".join(lines[first - 1 : last])
        if not _silenced(text, violation.code):
            kept.append(violation)
    return kept


def _silenced(text: str, code: str) -> bool:
    for match in NOQA.finditer(text):
        codes = match["codes"]
        if codes is None:
            return True
        listed = tuple(c.upper() for c in _SPLIT.split(codes.strip()) if c)
        if code.startswith(listed):
            return True
    return False


def _logical_ranges(source: str) -> dict[int, tuple[int, int]]:
    """Map each physical line of a multi-line statement to (first, last) line of it."""
    ranges: dict[int, tuple[int, int]] = {}
    start = None
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if start is None and token.type not in (tokenize.NL, tokenize.COMMENT):
                start = token.start[0]
            if token.type in (tokenize.NEWLINE, tokenize.ENDMARKER) and start is not None:
                end = token.end[0]
                if end > start:
                    for line in range(start, end + 1):
                        ranges[line] = (start, end)
                start = None
            elif token.type == tokenize.NL and start is None:
                continue
    except (tokenize.TokenError, SyntaxError):
        return ranges
    return ranges
