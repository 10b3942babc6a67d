"""The report step: print each file's result as it comes, then the summary; decide the exit status."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from enum import IntEnum
from typing import TextIO

from flake8_asyncblock.catalog import entry
from flake8_asyncblock.formats import STREAMED, render
from flake8_asyncblock.job import Mode
from flake8_asyncblock.results import FileResult, Finding
from flake8_asyncblock.source import Source, read_source, split_lines
from flake8_asyncblock.text import PLAIN, TextStyle, render_text

__all__ = ["Exit", "Reporter"]


class Exit(IntEnum):
    """The exit statuses of `asyncblock`, documented in docs/cli.md."""

    CLEAN = 0
    FINDINGS = 1
    USAGE = 2
    FILE_ERROR = 3
    INTERRUPTED = 130


class Reporter:
    """Print results in `fmt` as files finish; keep the counts for the summary and the status.

    Streamed formats (text, github) and diffs are written per file, so a slow
    file holds back nothing before it; the others are one document, written by
    `close`. Errors and notes go to `err` at once.
    """

    def __init__(self, fmt: str, mode: Mode, out: TextIO, err: TextIO,
                 statistics: bool = False, style: TextStyle = PLAIN,
                 show_fixes: bool = False) -> None:
        self.fmt, self.mode, self.out, self.err = fmt, mode, out, err
        self.statistics = statistics
        self.style = style
        self.show_fixes = show_fixes
        self.fixed_by_file: list[tuple[str, Counter[str]]] = []
        self.fixable = Counter[bool]()  # check mode, --show-fixes: safe (True) or unsafe only
        self.counts: Counter[str] = Counter()
        self.findings: list[Finding] = []
        self.left: Counter[str] = Counter()
        self.fixed = 0
        self.found = 0
        self.file_errors = 0
        self.parse_errors = 0
        self.files = 0

    def file(self, result: FileResult) -> None:
        """Report one file's result."""
        self.files += 1
        if result.error is not None:
            if result.error.problem == "parse":
                self.parse_errors += 1
            else:
                self.file_errors += 1
            self.err.write(f"{result.path}: {result.error}\n")
        for note in result.notes:
            self.err.write(note + "\n")
        if result.left:  # most files have none; a warm run reports thousands of them
            self.left.update(result.left)
        self.fixed += result.fixed
        if self.show_fixes:
            self._count_fixes(result)
        self.found += len(result.findings)
        if result.findings:
            self.counts.update(f.code for f in result.findings)
        if self.mode == "diff" and not self.statistics:
            if result.rewrite is not None:
                self.out.write(result.rewrite.diff)
                self.out.flush()
        elif self.fmt in STREAMED and not self.statistics:
            if result.findings:
                self.out.write(render_text(result.findings, self.style, _lines(result.path, self.style))
                               if self.fmt in ("text", "full") else render(self.fmt, result.findings))
                self.out.flush()
        else:
            self.findings.extend(result.findings)
        if result.error is not None or result.notes:
            self.err.flush()

    def problems(self, lines: Sequence[str]) -> None:
        """Report what could not be listed (folders): counted as unreadable files."""
        for line in lines:
            self.err.write(line + "\n")
        self.file_errors += len(lines)

    def close(self) -> Exit:
        """Write the collected document and the summary; return the exit status."""
        if self.statistics:
            self.out.write(self.table())
        elif self.mode != "diff" and self.fmt not in STREAMED:
            self.out.write(render(self.fmt, self.findings))
        self.out.flush()  # the summary goes to stderr: a terminal shows it after the output
        if self.mode != "check":
            self.err.write(self.summary() + "\n")
        if self.show_fixes:
            self.err.write(self.fixes())
        if self.file_errors:
            self.err.write(f"asyncblock: {self.file_errors} file(s) or folder(s) could not be "
                           "read or written\n")
        self.err.flush()
        if self.file_errors:
            return Exit.FILE_ERROR
        left = sum(self.left.values()) if self.mode == "fix" else self.found
        return Exit.FINDINGS if left or self.parse_errors else Exit.CLEAN

    def _count_fixes(self, result: FileResult) -> None:
        if self.mode != "check":
            if result.fixed_codes:
                self.fixed_by_file.append((result.path, Counter(result.fixed_codes)))
            return
        for finding in result.findings:
            rule = entry(finding.code)
            if rule.fix is not None:
                self.fixable[rule.fixable(self.style.unsafe)] += 1

    def fixes(self) -> str:
        """`--show-fixes`: what was (or would be) fixed per file and code, or how many could be."""
        if self.mode == "check":
            safe, unsafe = self.fixable[True], self.fixable[False]
            if not safe and not unsafe:
                return ""
            more = f" ({unsafe} more with --unsafe-fixes)" if unsafe else ""
            return f"asyncblock: [*] {safe} fixable with --fix{more}\n"
        if not self.fixed_by_file:
            return ""
        total = sum(sum(counts.values()) for _, counts in self.fixed_by_file)
        verb = "fixed" if self.mode == "fix" else "would fix"
        lines = [f"asyncblock: {verb} {total} findings:\n"]
        for path, counts in self.fixed_by_file:
            listed = ", ".join(f"{n} {code} ({entry(code).slug})" for code, n in sorted(counts.items()))
            lines.append(f"  {path}: {listed}\n")
        return "".join(lines)

    def table(self) -> str:
        """`--statistics`: count, code and slug per code found, the most frequent first."""
        rows = sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))
        return "".join(f"{count:>6}  {code}  {entry(code).slug}\n" for code, count in rows)

    def summary(self) -> str:
        """One line: how many findings, how many fixed, why the rest were left."""
        total = self.fixed + sum(self.left.values())
        verb = "fixed" if self.mode == "fix" else "would be fixed"
        reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(self.left.items()))
        tail = f" ({reasons})" if reasons else ""
        return f"asyncblock: {total} findings, {self.fixed} {verb}, {sum(self.left.values())} left{tail}"


def _lines(path: str, style: TextStyle) -> list[str]:
    """The file's lines for the context around findings (none when not wanted or not readable).

    The file is read again only for this human-facing output; text.py shows
    no context when the lines no longer hold the finding's line (standard
    input named after a file that differs).
    """
    if not style.context:
        return []
    source = read_source(path)
    if not isinstance(source, Source):
        return []
    lines = split_lines(source.text)
    return lines[:-1] if lines and not lines[-1] else lines  # no line after the final newline
