"""Render loopguard's options tables from its OPTIONS table: README.md and docs/loopguard.md.

Both tables sit between `<!-- loopguard-options:start -->` and `end` markers.
Run `python docs/generate_options.py` after changing an option; `--check`
exits 1 when a file is stale instead of writing it.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docs.blocks import fill  # noqa: E402
from pytest_loopguard.options import OPTIONS, Option, Where  # noqa: E402

__all__ = [
    "GUIDE",
    "README",
    "main",
    "render_guide_table",
    "render_outputs",
    "render_readme_table",
]

README = ROOT / "README.md"
GUIDE = ROOT / "docs" / "loopguard.md"
MARKER = "loopguard-options"

# How the tables name the places, in the order they list them.
_PLACES: dict[Where, str] = {
    "command line": "command line",
    "environment": "environment",
    "ini": "ini file",
    "marker": "test, class or module marker",
}
_SHORT: dict[Where, str] = {
    "marker": "marker",
    "command line": "CLI",
    "environment": "env",
    "ini": "ini",
}


def _places(option: Option) -> list[Where]:
    return [where for where in _PLACES if where in option.where]


def _names(option: Option) -> str:
    return ", ".join(f"`{option.spelled(where)}`" for where in _places(option))


def _where(option: Option) -> str:
    return ", ".join(_PLACES[where] for where in _places(option))


def _precedence(option: Option) -> str:
    if len(option.where) == 1:
        return "-"
    return " > ".join(_SHORT[where] for where in option.where)


def render_readme_table() -> str:
    """Return the README's table: each option, where it is set, its default and meaning."""
    rows = ["| Option | Where | Default | Meaning |", "|---|---|---|---|"]
    for option in OPTIONS:
        rows.append(
            f"| {_names(option)} | {_where(option)} | {option.shown_default} | {option.meaning} |"
        )
    return "\n".join(rows) + "\n"


def render_guide_table() -> str:
    """Return docs/loopguard.md's table: each option's type, default, places and precedence."""
    rows = ["| Name | Type | Default | Where | Precedence |", "|---|---|---|---|---|"]
    for option in OPTIONS:
        rows.append(
            f"| {_names(option)} | {option.type} | {option.shown_default} | {_where(option)} "
            f"| {_precedence(option)} |"
        )
    return "\n".join(rows) + "\n"


def render_outputs() -> dict[Path, str]:
    """Return every file with a generated options table, as it should read."""
    return {
        README: fill(README, MARKER, render_readme_table()),
        GUIDE: fill(GUIDE, MARKER, render_guide_table()),
    }


def main(argv: list[str] | None = None) -> int:
    """Write the tables, or with --check report which files are stale."""
    args = sys.argv[1:] if argv is None else argv
    stale = 0
    for path, text in render_outputs().items():
        if path.read_text(encoding="utf-8") == text:
            continue
        if "--check" in args:
            print(f"{path} is stale; run: python docs/generate_options.py", file=sys.stderr)
            stale = 1
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    return stale


if __name__ == "__main__":
    raise SystemExit(main())
