"""docs/cli.md's table of fixes matches the rule classes.

Run `python tests/asyncblock/test_cli_docs.py` to rewrite the table.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI_MD = ROOT / "docs" / "cli.md"
_BLOCK = re.compile(r"(<!-- fix-table:start -->\n).*?(<!-- fix-table:end -->)", re.DOTALL)
_FIX = {None: "none", "safe": "safe (`--fix`)", "unsafe": "unsafe (`--fix --unsafe-fixes`)"}


def render_fix_table() -> str:
    """Return the Markdown table of every rule and its fix kind."""
    from flake8_asyncblock.registry import RULES

    rows = ["| Code | Slug | Fix |", "|---|---|---|"]
    rows += [f"| {r.code} | `{r.slug}` | {_FIX[r.fix]} |" for r in RULES]
    return "\n".join(rows) + "\n"


def _with_table(text: str) -> str:
    return _BLOCK.sub(lambda m: m[1] + render_fix_table() + m[2], text)


def test_fix_table_matches_the_rule_classes() -> None:
    text = CLI_MD.read_text(encoding="utf-8")
    assert _BLOCK.search(text), "docs/cli.md lost its fix-table markers"
    assert text == _with_table(text), (
        "docs/cli.md's fix table is stale; run: python tests/asyncblock/test_cli_docs.py"
    )


def test_options_table_lists_every_flag() -> None:
    from flake8_asyncblock.cli import build_parser

    parser = build_parser()
    check = parser._subparsers._group_actions[0].choices["check"]  # type: ignore[union-attr]
    text = CLI_MD.read_text(encoding="utf-8")
    flags = [o for a in check._actions for o in a.option_strings if o.startswith("--")]
    missing = [flag for flag in flags if flag != "--help" and f"`{flag}" not in text]
    assert missing == []


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    CLI_MD.write_text(_with_table(CLI_MD.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {CLI_MD}")
