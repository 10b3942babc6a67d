"""Check (and plan the fixes of) one file: read, decode, parse, lint, noqa, rewrite. Writes nothing.

This is the per-file step of the command; it runs in worker processes too,
so everything it takes and returns pickles. `check_file` is the whole step;
`source.read_source` and `analyse` are its two halves.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections import Counter
from collections.abc import Sequence

from flake8_asyncblock import engine
from flake8_asyncblock.context import Origin
from flake8_asyncblock.job import Job
from flake8_asyncblock.noqa import filter_noqa
from flake8_asyncblock.registry import RULES
from flake8_asyncblock.results import (
    FIXABLE,
    NO_FIX,
    UNSAFE_OFF,
    FileError,
    FileResult,
    Finding,
    Rewrite,
)
from flake8_asyncblock.rule import Violation
from flake8_asyncblock.source import Source, read_source, split_lines

__all__ = ["analyse", "check_file", "lint_source"]

_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")


def lint_source(source: str, tree: ast.AST, job: Job, path: str | None = None,
                also: Sequence[engine.Companion] = ()) -> list[Violation]:
    """Run every registered rule (as the flake8 plugin does), keep selected codes, apply noqa.

    `also` join the walk (the project pass's summaries).
    """
    origin = job.project.origin(path) if job.project and path else Origin(path)
    found = engine.check(tree, RULES, job.settings, source, origin, also)
    codes = job.codes_for(path)
    return filter_noqa(source, [v for v in found if v.code in codes])


def check_file(path: str, job: Job) -> FileResult:
    """Read and check `path`; in fix/diff mode also compute its rewrite."""
    source = read_source(path)
    return analyse(source, job) if isinstance(source, Source) else FileResult(path, error=source)


def analyse(source: Source, job: Job, tree: ast.Module | None = None,
            also: Sequence[engine.Companion] = ()) -> FileResult:
    """Lint a decoded file; in fix/diff mode also plan, verify and render its rewrite.

    `tree` is the file's tree when the caller has parsed it already; `also` join the lint's walk.
    """
    parsed = _parse(source) if tree is None else tree
    if isinstance(parsed, FileError):
        return FileResult(source.path, error=parsed)
    tree = parsed
    violations = lint_source(source.text, tree, job, source.path, also)
    findings = _findings(source.path, source.text, violations)
    if job.mode == "check":
        return FileResult(source.path, findings)
    reasons = tuple(_reason(v, job) for v in violations)
    fixable = [v for v, why in zip(violations, reasons) if why == FIXABLE]
    if not fixable:
        return FileResult(source.path, findings, left=reasons)
    return _fixed(source, tree, violations, fixable, findings, reasons, job)


def _parse(source: Source) -> ast.Module | FileError:
    try:
        return ast.parse(source.text, filename=source.path)
    except SyntaxError as exc:
        return FileError("parse", f"{exc.msg} (line {exc.lineno})")
    except (ValueError, RecursionError, MemoryError) as exc:
        return FileError("parse", str(exc) or type(exc).__name__)


def _reason(violation: Violation, job: Job) -> str:
    fix = violation.rule.fix
    if fix is None:
        return NO_FIX
    if not fix.allowed(job.unsafe):
        return UNSAFE_OFF
    return FIXABLE


def _fixed(source: Source, tree: ast.Module, violations: list[Violation],
           fixable: list[Violation], findings: tuple[Finding, ...],
           reasons: tuple[str, ...], job: Job) -> FileResult:
    """Rewrite the fixable findings in one pass, then re-lint to report exactly what is left."""
    from flake8_asyncblock.fix import fix_source  # libcst loads only when needed

    path = source.path
    result = fix_source(source.text, tree, fixable)
    notes = tuple(f"{path}:{v.line}:{v.col + 1}: {v.code} not fixed: {why}"
                  for v, why in result.skipped)
    if result.source == source.text:
        return FileResult(path, findings, left=reasons, notes=notes)
    after = lint_source(result.source, result.tree or ast.parse(result.source), job, path)
    if len(after) != len(violations) - len(result.applied):
        notes += (f"{path}: fixes discarded: the rewrite did not remove the findings",)
        return FileResult(path, findings, left=reasons, notes=notes)
    diff = unified_diff(source.text, result.source, path) if job.mode == "diff" else ""
    rewrite = Rewrite(result.source.encode(source.encoding), diff, findings, reasons)
    shown = _findings(path, result.source, after) if job.mode == "fix" else findings
    gone = Counter(v.code for v in violations) - Counter(v.code for v in after)
    return FileResult(path, shown, fixed=len(violations) - len(after),
                      fixed_codes=tuple(sorted(gone.elements())),
                      left=tuple(_reason(v, job) for v in after), notes=notes, rewrite=rewrite)


def unified_diff(before: str, after: str, path: str) -> str:
    """A diff `git apply` and `patch` accept, whatever the line endings and final newline.

    Lines are split at LF only, as git and patch split them: a CR stays part
    of its line, so CRLF and lone-CR files round-trip.
    """
    lines = difflib.unified_diff(_LINE.findall(before), _LINE.findall(after),
                                 fromfile=f"a/{path}", tofile=f"b/{path}")
    out = []
    for line in lines:
        if line.endswith("\n"):
            out.append(line)
        else:  # the last line of a file without a final newline
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _findings(path: str, source: str, violations: list[Violation]) -> tuple[Finding, ...]:
    lines = split_lines(source)
    out = []
    for v in violations:
        text = _line(lines, v.line)
        end_line = v.end_line or 0
        end_column = _column(_line(lines, end_line), v.end_col) if v.end_col is not None else 0
        out.append(Finding(path, v.line, v.col + 1, _column(text, v.col), v.code, v.text,
                           end_line, end_column, text))
    return tuple(out)


def _line(lines: list[str], number: int) -> str:
    return lines[number - 1] if 0 < number <= len(lines) else ""


def _column(text: str, col: int) -> int:
    """The 1-based character column of ast's byte offset `col` in `text`."""
    if text.isascii():
        return col + 1
    return len(text.encode("utf-8")[:col].decode("utf-8", "ignore")) + 1
