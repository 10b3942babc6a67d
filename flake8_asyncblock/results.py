"""What checking one file produced: plain, immutable data that pickles across worker processes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["FIXABLE", "NOT_WRITTEN", "NO_FIX", "UNSAFE_OFF", "FileError", "FileResult", "Finding",
           "PackedSummary", "Problem", "Rewrite", "kept", "restored"]

#: What went wrong with a file. "parse" counts as a finding (status 1, as in ruff);
#: the others mean the file was never checked or never written (status 3). Decoding
#: never fails: as in flake8, what is not valid in its encoding is read as latin-1.
Problem = Literal["read", "parse", "write"]


#: Why a finding was left in place, as the summary names it.
NO_FIX = "no fix available"
UNSAFE_OFF = "unsafe fix not enabled (use --unsafe-fixes)"
FIXABLE = "could not apply"
NOT_WRITTEN = "file not written"


@dataclass(frozen=True)
class Finding:
    """A violation located in a file; `col` is flake8's (bytes), `column` 1-based characters."""

    path: str
    line: int
    col: int
    column: int
    code: str
    text: str
    #: Where the flagged code ends (1-based characters) and the text of its first line,
    #: for `--show-source`; 0 and "" when unknown.
    end_line: int = 0
    end_column: int = 0
    source_line: str = ""


@dataclass(frozen=True)
class FileError:
    """Why a file was not (fully) handled, as one line names it: `cannot read: ...`."""

    problem: Problem
    reason: str

    def __str__(self) -> str:
        return f"cannot {self.problem}: {self.reason}"


@dataclass(frozen=True)
class Rewrite:
    """The fixed text of a file, ready to write, and what it replaces."""

    data: bytes
    #: The unified diff, made only in diff mode ("" with --fix, which never prints it).
    diff: str
    findings_before: tuple[Finding, ...]
    left_before: tuple[str, ...]


@dataclass(frozen=True)
class FileResult:
    """The verdict on one file.

    `findings` are those left in the file as it will be after this run (after
    the rewrite in fix mode); `left` gives, per finding left, why it was not
    fixed; `fixed` counts the findings the rewrite removes.
    """

    path: str
    findings: tuple[Finding, ...] = ()
    error: FileError | None = None
    fixed: int = 0
    #: The code of each finding the rewrite removes, for `--show-fixes`.
    fixed_codes: tuple[str, ...] = ()
    left: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    rewrite: Rewrite | None = None


def kept(result: FileResult) -> FileResult | None:
    """What a cache keeps of a result: None for one that reports nothing, as most files' do.

    A store of None loads several times faster than one of result objects.
    """
    return None if result == FileResult(result.path) else result


def restored(path: str, value: FileResult | None) -> FileResult:
    """The result of `path` again from what `kept` made of it."""
    return FileResult(path) if value is None else value


@dataclass(frozen=True)
class PackedSummary:
    """A file's summary as results carry it: what its coroutines call, and the rest pickled.

    Only linking reads the rest, and a run whose files are all as cached
    takes the links from the cache, so it never unpickles a summary.
    """

    path: str
    coroutine_calls: frozenset[str]
    data: bytes
