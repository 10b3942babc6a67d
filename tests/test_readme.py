"""The README's option tables list every option the two tools really have."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from flake8_asyncblock.options import FLAKE8_OPTIONS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
LOOPGUARD_DOC = (ROOT / "docs" / "loopguard.md").read_text(encoding="utf-8")


def _loopguard_block() -> str:
    match = re.search(r"<!-- loopguard-options:start -->(.*?)<!-- loopguard-options:end -->", README, re.S)
    assert match, "README.md lost its loopguard-options markers"
    return match[1]


def _pytest_help() -> str:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--help", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return result.stdout


def test_readme_and_docs_list_every_loopguard_option_and_ini_key() -> None:
    help_text = _pytest_help()
    flags = set(re.findall(r"(--loopguard[\w-]*)", help_text))
    ini_keys = set(re.findall(r"^  (loopguard\w*) \(", help_text, re.M))
    assert {"--loopguard", "--loopguard-mode", "--loopguard-report"} <= flags
    assert {"loopguard", "loopguard_mode", "loopguard_allow"} <= ini_keys
    block = _loopguard_block()
    for name in sorted(flags | ini_keys):
        assert f"`{name}" in block, f"README's loopguard table lacks {name}"
        assert f"`{name}" in LOOPGUARD_DOC, f"docs/loopguard.md lacks {name}"


def test_readme_lists_every_flake8_option() -> None:
    for option in FLAKE8_OPTIONS:
        assert f"`{option.flake8_flag}=" in README, f"README lacks {option.flake8_flag}"
