"""The pre-commit hooks `asyncblock` and `asyncblock-fix` are valid and run the asyncblock command."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

MANIFEST = Path(__file__).resolve().parents[2] / ".pre-commit-hooks.yaml"


def _hook(hook_id: str) -> dict:
    clientlib = pytest.importorskip("pre_commit.clientlib")
    hooks = clientlib.load_manifest(str(MANIFEST))  # validates against pre-commit's schema
    return next(hook for hook in hooks if hook["id"] == hook_id)


def test_manifest_declares_the_check_and_fix_hooks() -> None:
    assert _hook("asyncblock")["entry"] == "asyncblock check"
    assert _hook("asyncblock-fix")["entry"] == "asyncblock check --fix"
    for hook_id in ("asyncblock", "asyncblock-fix"):
        assert _hook(hook_id)["language"] == "python"
        assert _hook(hook_id)["types"] == ["python"]


def _run_entry(hook_id: str, target: Path) -> subprocess.CompletedProcess[str]:
    program, *args = shlex.split(_hook(hook_id)["entry"])
    assert program == "asyncblock"
    # pre-commit appends the staged file names to the entry.
    return subprocess.run(
        [sys.executable, "-m", "flake8_asyncblock", *args, str(target)],
        capture_output=True, text=True, check=False,
    )


def test_check_hook_reports_abl_findings_and_nothing_else(tmp_path: Path) -> None:
    target = tmp_path / "app.py"
    target.write_text("import os,time\nasync def f():\n    time.sleep(1)\n", encoding="utf-8")
    result = _run_entry("asyncblock", target)
    assert result.returncode == 1
    assert [line.split()[1] for line in result.stdout.splitlines()] == ["ABL100"]


def test_fix_hook_rewrites_the_file_and_passes(tmp_path: Path) -> None:
    target = tmp_path / "app.py"
    target.write_text("import time\nasync def f():\n    time.sleep(1)\n", encoding="utf-8")
    result = _run_entry("asyncblock-fix", target)
    assert result.returncode == 0, result.stderr
    assert target.read_text(encoding="utf-8") == (
        "import asyncio\nasync def f():\n    await asyncio.sleep(1)\n"
    )
