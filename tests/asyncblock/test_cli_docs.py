"""docs/cli.md documents every flag of `asyncblock check`.

Its table of fixes is rendered by docs/generate_rules.py and checked in test_docs.py.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI_MD = ROOT / "docs" / "cli.md"


def test_options_table_lists_every_flag() -> None:
    from flake8_asyncblock.cli import build_parser

    parser = build_parser()
    check = parser._subparsers._group_actions[0].choices["check"]  # type: ignore[union-attr]
    text = CLI_MD.read_text(encoding="utf-8")
    flags = [o for a in check._actions for o in a.option_strings if o.startswith("--")]
    missing = [flag for flag in flags if flag != "--help" and f"`{flag}" not in text]
    assert missing == []

