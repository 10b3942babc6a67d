"""`asyncblock check --diff` prints diffs that `git apply` takes, for every kind of line ending."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from flake8_asyncblock.cli import main
from flake8_asyncblock.job import Job
from flake8_asyncblock.runner import analyse
from flake8_asyncblock.settings import Settings
from flake8_asyncblock.source import decode

LINES = ["import time", "", "", "async def poll():", "    time.sleep(1)", "    return 1"]
CASES = {
    "lf": "\n".join(LINES) + "\n",
    "crlf": "\r\n".join(LINES) + "\r\n",
    "cr": "\r".join(LINES) + "\r",
    "no-final-newline": "\n".join(LINES),
    "crlf-no-final-newline": "\r\n".join(LINES),
    "mixed": "import time\r\n\n\nasync def poll():\n    time.sleep(1)\r\n    return 1",
    "fix-on-last-line": "import time\n\n\nasync def poll():\n    time.sleep(1)",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_git_apply_takes_the_diff_and_gives_what_fix_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], case: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    subprocess.run(["git", "init", "-q"], check=True)
    subprocess.run(["git", "config", "core.autocrlf", "false"], check=True)
    name = f"my {case} é%.py"  # a space, a percent sign and a non-ASCII letter in the path
    target = tmp_path / name
    target.write_bytes(CASES[case].encode())
    assert main(["check", "--diff", name]) == 1
    diff = capsys.readouterr().out
    assert diff.startswith(f"--- a/{name}\n+++ b/{name}\n@@ ")
    (tmp_path / "fix.patch").write_bytes(diff.encode())
    assert main(["check", "--fix", name]) == 0
    fixed = target.read_bytes()
    capsys.readouterr()
    target.write_bytes(CASES[case].encode())
    applied = subprocess.run(["git", "apply", "--whitespace=nowarn", "fix.patch"],
                             capture_output=True, text=True, check=False)
    assert applied.returncode == 0, applied.stderr
    assert target.read_bytes() == fixed
    assert b"await asyncio.sleep(1)" in fixed


def test_diff_with_another_format_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text("\n".join(LINES) + "\n", encoding="utf-8")
    assert main(["check", "--diff", "--format", "json"]) == 2
    assert "--diff prints a unified diff" in capsys.readouterr().err


def test_only_diff_mode_makes_a_diff() -> None:
    """--fix never prints the diff, and on a file of many fixes making one costs about a percent."""
    source = decode("app.py", b"import time\n\n\nasync def poll():\n    time.sleep(1)\n")
    rewrites = {mode: analyse(source, Job(frozenset({"ABL100"}), Settings(), mode)).rewrite
                for mode in ("fix", "diff")}
    assert rewrites["fix"] is not None and rewrites["diff"] is not None
    assert rewrites["fix"].diff == "" and rewrites["fix"].data == rewrites["diff"].data
    assert rewrites["diff"].diff.startswith("--- a/app.py\n+++ b/app.py\n")
