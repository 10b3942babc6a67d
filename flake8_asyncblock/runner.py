"""Check (and fix) one file for the `asyncblock` command: read, parse, lint, noqa, rewrite.

Runs in worker processes too, so everything it takes and returns pickles.
"""

from __future__ import annotations

import ast
import difflib
import io
import tokenize
from collections import Counter
from dataclasses import dataclass, field

from flake8_asyncblock import engine
from flake8_asyncblock.context import Origin
from flake8_asyncblock.noqa import filter_noqa
from flake8_asyncblock.project import Project
from flake8_asyncblock.registry import RULES
from flake8_asyncblock.rule import Violation
from flake8_asyncblock.settings import Settings

__all__ = ["Finding", "Job", "Outcome", "check_file", "lint_source"]

#: Why a finding was left in place, as the summary names it.
NO_FIX = "no fix available"
UNSAFE_OFF = "unsafe fix not enabled (use --unsafe-fixes)"
NOT_APPLIED = "could not apply"


@dataclass(frozen=True)
class Job:
    """What to do with each file: which codes, which settings, and fix mode."""

    codes: frozenset[str]
    settings: Settings
    mode: str = "check"  # "check", "fix" or "diff"
    unsafe: bool = False
    #: The blocking functions of every checked file, for the ABL2xx rules.
    project: Project | None = None


@dataclass(frozen=True)
class Finding:
    """A violation located in a file; `column` is 1-based in characters."""

    path: str
    line: int
    col: int
    column: int
    code: str
    text: str


@dataclass
class Outcome:
    """The result for one file: findings left, an error, and the fix bookkeeping."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    fixed: int = 0
    left: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    new_bytes: bytes | None = None
    diff: str = ""


def lint_source(source: str, tree: ast.AST, job: Job, path: str | None = None) -> list[Violation]:
    """Run every registered rule (as the flake8 plugin does), keep selected codes, apply noqa."""
    origin = job.project.origin(path) if job.project and path else Origin(path)
    found = engine.check(tree, RULES, job.settings, source, origin)
    return filter_noqa(source, [v for v in found if v.code in job.codes])


def check_file(path: str, job: Job) -> Outcome:
    """Check `path`; in fix/diff mode also compute the rewritten file."""
    outcome = Outcome(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        outcome.error = f"cannot read: {exc.strerror or exc}"
        return outcome
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        source = data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        outcome.error = f"cannot decode: {exc}"
        return outcome
    tree = _parse(source, outcome)
    if tree is None:
        return outcome
    violations = lint_source(source, tree, job, path)
    if job.mode != "check" and violations:
        _fix(path, source, encoding, tree, violations, job, outcome)
    else:
        outcome.findings = _findings(path, source, violations)
        if job.mode != "check":
            outcome.left.update(_reason(v, job) for v in violations)
    return outcome


def _parse(source: str, outcome: Outcome) -> ast.Module | None:
    try:
        return ast.parse(source, filename=outcome.path)
    except SyntaxError as exc:
        outcome.error = f"cannot parse: {exc.msg} (line {exc.lineno})"
    except (ValueError, RecursionError, MemoryError) as exc:
        outcome.error = f"cannot parse: {exc or type(exc).__name__}"
    return None


def _reason(violation: Violation, job: Job) -> str:
    kind = violation.rule.fix
    if kind is None:
        return NO_FIX
    if kind == "unsafe" and not job.unsafe:
        return UNSAFE_OFF
    return NOT_APPLIED


def _fix(path: str, source: str, encoding: str, tree: ast.Module,
         violations: list[Violation], job: Job, outcome: Outcome) -> None:
    """Rewrite the fixable findings, then re-lint to report exactly what is left."""
    fixable = [v for v in violations if _reason(v, job) == NOT_APPLIED]
    if not fixable:
        outcome.findings = _findings(path, source, violations)
        outcome.left.update(_reason(v, job) for v in violations)
        return
    from flake8_asyncblock.fix import fix_source  # libcst loads only when needed

    result = fix_source(source, tree, fixable)
    for violation, why in result.skipped:
        outcome.notes.append(f"{path}:{violation.line}:{violation.col + 1}: {violation.code} "
                             f"not fixed: {why}")
    after = lint_source(result.source, ast.parse(result.source), job, path)
    if result.applied and len(after) != len(violations) - len(result.applied):
        outcome.notes.append(f"{path}: fixes discarded: the rewrite did not remove the findings")
        result.source, after = source, violations
    outcome.fixed = len(violations) - len(after)
    outcome.left.update(_reason(v, job) for v in after)
    outcome.findings = _findings(path, result.source if job.mode == "fix" else source,
                                 after if job.mode == "fix" else violations)
    if result.source != source:
        outcome.new_bytes = result.source.encode(encoding)
        outcome.diff = "".join(difflib.unified_diff(
            source.splitlines(True), result.source.splitlines(True),
            fromfile=f"a/{path}", tofile=f"b/{path}",
        ))


def _findings(path: str, source: str, violations: list[Violation]) -> list[Finding]:
    lines = source.splitlines()
    out = []
    for v in violations:
        text = lines[v.line - 1] if 0 < v.line <= len(lines) else ""
        column = len(text.encode("utf-8")[: v.col].decode("utf-8", "ignore")) + 1
        out.append(Finding(path, v.line, v.col + 1, column, v.code, v.text))
    return out
