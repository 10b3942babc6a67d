"""The `asyncblock` pre-commit hook is a valid manifest entry that runs only ABL rules."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

MANIFEST = Path(__file__).resolve().parents[2] / ".pre-commit-hooks.yaml"


def _hook() -> dict:
    clientlib = pytest.importorskip("pre_commit.clientlib")
    hooks = clientlib.load_manifest(str(MANIFEST))  # validates against pre-commit's schema
    return next(hook for hook in hooks if hook["id"] == "asyncblock")


def test_manifest_declares_the_asyncblock_hook() -> None:
    hook = _hook()
    assert hook["entry"] == "flake8 --select ABL"
    assert hook["language"] == "python"
    assert hook["types"] == ["python"]


def test_hook_entry_reports_abl_findings_and_nothing_else(tmp_path: Path) -> None:
    target = tmp_path / "app.py"
    target.write_text("import os,time\nasync def f():\n    time.sleep(1)\n", encoding="utf-8")
    program, *args = shlex.split(_hook()["entry"])
    assert program == "flake8"
    # pre-commit appends the staged file names to the entry.
    result = subprocess.run(
        [sys.executable, "-m", program, *args, str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    codes = [line.split()[1] for line in result.stdout.splitlines()]
    assert codes == ["ABL100"]
