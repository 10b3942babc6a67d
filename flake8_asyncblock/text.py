"""The text format as people read it in a terminal: colour, the source under a finding, fix marks."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TextIO

from flake8_asyncblock.catalog import entry
from flake8_asyncblock.results import Finding

__all__ = ["PLAIN", "ColorChoice", "TextStyle", "render_text", "use_color"]

ColorChoice = Literal["auto", "always", "never"]

_BOLD, _RED, _CYAN, _BLUE, _RESET = "\x1b[1m", "\x1b[1;31m", "\x1b[36m", "\x1b[1;34m", "\x1b[0m"


def use_color(choice: ColorChoice, stream: TextIO, environ: Mapping[str, str] = os.environ) -> bool:
    """Tell whether to colour `stream`: `always`/`never` as said, `auto` as the environment says.

    `auto` follows the conventions terminals and CI agree on: a non-empty
    NO_COLOR turns colour off, a non-empty FORCE_COLOR turns it on even in a
    pipe (CI logs render it), otherwise colour goes only to a terminal.
    """
    if choice != "auto":
        return choice == "always"
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or odd stream
        return False


@dataclass(frozen=True)
class TextStyle:
    """How the text format looks; the default is the plain `path:line:col: CODE message`."""

    color: bool = False
    #: The source line under each finding, the call underlined (ruff's `full`).
    show_source: bool = False
    #: `[*]` after the code of a finding `--fix` would rewrite (with `unsafe`: unsafe fixes too).
    mark_fixable: bool = False
    unsafe: bool = False
    #: Lines shown above and below the finding's line with the source (ruff's `full` shows 2).
    context: int = 0


#: flake8's `path:line:col: CODE message`, nothing added.
PLAIN = TextStyle()


def render_text(findings: Sequence[Finding], style: TextStyle, lines: Sequence[str] = ()) -> str:
    """The findings as text lines, with what `style` adds.

    `lines` are the file's lines (ends dropped), for `style.context`; without
    them, or when they no longer hold a finding's line, only that line is shown.
    """
    return "".join(_finding(f, style, lines) for f in findings)


def _paint(text: str, code: str, style: TextStyle) -> str:
    return f"{code}{text}{_RESET}" if style.color else text


def _finding(f: Finding, style: TextStyle, lines: Sequence[str]) -> str:
    colon = _paint(":", _CYAN, style)
    mark = " [*]" if style.mark_fixable and _fixable(f.code, style.unsafe) else ""
    line = (f"{_paint(f.path, _BOLD, style)}{colon}{f.line}{colon}{f.col}{colon} "
            f"{_paint(f.code, _RED, style)}{mark} {f.text}\n")
    return line + _excerpt(f, style, lines) if style.show_source and f.source_line else line


def _fixable(code: str, unsafe: bool) -> bool:
    return entry(code).fixable(unsafe)


def _excerpt(f: Finding, style: TextStyle, lines: Sequence[str]) -> str:
    """The line with its number in a gutter and carets under the finding's columns, amid its context."""
    text = f.source_line.rstrip("\r\n")
    around = style.context if 0 < f.line <= len(lines) and lines[f.line - 1] == text else 0
    first, last = max(1, f.line - around), min(len(lines), f.line + around) if around else f.line
    width = len(str(last))
    gutter = _paint(" " * width + " |", _BLUE, style)

    def numbered(number: int, code: str) -> str:
        shown = code.expandtabs(1)  # one column per tab, as the caret counts
        return f"{_paint(str(number).rjust(width) + ' |', _BLUE, style)}{' ' + shown if shown else ''}\n"

    end = f.end_column if f.end_line == f.line and f.end_column > f.column else len(text.expandtabs(1)) + 1
    carets = _paint("^" * max(1, end - f.column), _RED, style)
    before = "".join(numbered(n, lines[n - 1]) for n in range(first, f.line))
    after = "".join(numbered(n, lines[n - 1]) for n in range(f.line + 1, last + 1))
    return (f"{gutter}\n{before}{numbered(f.line, text)}"
            f"{gutter} {' ' * (f.column - 1)}{carets}\n{after}{gutter}\n")
