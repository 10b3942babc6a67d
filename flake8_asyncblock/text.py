"""The text format as people read it in a terminal: colour, the source under a finding, fix marks."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TextIO

from flake8_asyncblock.registry import by_code
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


#: flake8's `path:line:col: CODE message`, nothing added.
PLAIN = TextStyle()


def render_text(findings: Sequence[Finding], style: TextStyle) -> str:
    """The findings as text lines, with what `style` adds."""
    return "".join(_finding(f, style) for f in findings)


def _paint(text: str, code: str, style: TextStyle) -> str:
    return f"{code}{text}{_RESET}" if style.color else text


def _finding(f: Finding, style: TextStyle) -> str:
    colon = _paint(":", _CYAN, style)
    mark = " [*]" if style.mark_fixable and _fixable(f.code, style.unsafe) else ""
    line = (f"{_paint(f.path, _BOLD, style)}{colon}{f.line}{colon}{f.col}{colon} "
            f"{_paint(f.code, _RED, style)}{mark} {f.text}\n")
    return line + _excerpt(f, style) if style.show_source and f.source_line else line


def _fixable(code: str, unsafe: bool) -> bool:
    fix = by_code(code).fix
    return fix is not None and fix.allowed(unsafe)


def _excerpt(f: Finding, style: TextStyle) -> str:
    """The line with its number in a gutter and carets under the finding's columns."""
    text = f.source_line.rstrip("\r\n").expandtabs(1)  # one column per tab, as the caret counts
    number = str(f.line)
    gutter = _paint(" " * len(number) + " |", _BLUE, style)
    end = f.end_column if f.end_line == f.line and f.end_column > f.column else len(text) + 1
    width = max(1, end - f.column)
    carets = _paint("^" * width, _RED, style)
    return (f"{gutter}\n{_paint(number + ' |', _BLUE, style)} {text}\n"
            f"{gutter} {' ' * (f.column - 1)}{carets}\n{gutter}\n")
