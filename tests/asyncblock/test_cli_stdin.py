"""`asyncblock check -`: the code comes on standard input, as editors and pre-commit pipes send it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SLEEPY = "import time\n\n\nasync def poll():\n    time.sleep(1)\n"
FIXED = "import asyncio\n\n\nasync def poll():\n    await asyncio.sleep(1)\n"


def asyncblock(*argv: str, stdin: bytes | str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run([sys.executable, "-m", "flake8_asyncblock", "check", *argv], input=data,
                          capture_output=True, check=False, cwd=cwd)


def test_findings_on_stdin_are_named_dash(tmp_path: Path) -> None:
    result = asyncblock("-", stdin=SLEEPY, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stdout.decode().startswith("-:5:5: ABL100 time.sleep() blocks the event loop")
    assert list(tmp_path.iterdir()) == []  # nothing cached, nothing written


def test_stdin_filename_names_the_findings_and_picks_config_and_per_file_ignores(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.asyncblock]\nper-file-ignores = {"tests/*" = ["ABL100"]}\n', encoding="utf-8")
    sub = tmp_path / "sub"
    sub.mkdir()
    named = asyncblock("--stdin-filename", "src/app.py", "-", stdin=SLEEPY, cwd=tmp_path)
    assert named.stdout.decode().startswith("src/app.py:5:5: ABL100")
    ignored = asyncblock("--stdin-filename", "tests/test_app.py", "-", stdin=SLEEPY, cwd=tmp_path)
    assert (ignored.returncode, ignored.stdout, ignored.stderr) == (0, b"", b"")
    # No `-` needed when a stdin filename is given, as in ruff; the config is found from its folder.
    (sub / "pyproject.toml").write_text('[tool.asyncblock]\nignore = ["ABL100"]\n', encoding="utf-8")
    assert asyncblock("--stdin-filename", "sub/app.py", stdin=SLEEPY, cwd=tmp_path).returncode == 0
    assert asyncblock("--stdin-filename", "app.py", stdin=SLEEPY, cwd=tmp_path).returncode == 1


def test_fix_on_stdin_writes_the_fixed_code_to_stdout(tmp_path: Path) -> None:
    result = asyncblock("--fix", "-", stdin=SLEEPY, cwd=tmp_path)
    assert (result.returncode, result.stdout.decode()) == (0, FIXED), result.stderr
    assert result.stderr.decode() == "asyncblock: 1 findings, 1 fixed, 0 left\n"
    assert list(tmp_path.iterdir()) == []


def test_fix_on_stdin_passes_code_through_and_reports_what_is_left_on_stderr(tmp_path: Path) -> None:
    left = "import requests\n\n\nasync def get():\n    requests.get('x')\n"
    result = asyncblock("--fix", "--stdin-filename", "web.py", stdin=left, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.decode() == left  # nothing to fix: the text comes back as it was
    assert result.stderr.decode().startswith("web.py:5:5: ABL110 ")
    crlf = SLEEPY.replace("\n", "\r\n").encode()
    assert asyncblock("--fix", "-", stdin=crlf, cwd=tmp_path).stdout == FIXED.replace("\n", "\r\n").encode()


def test_diff_on_stdin(tmp_path: Path) -> None:
    result = asyncblock("--diff", "--stdin-filename", "app.py", stdin=SLEEPY, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.decode().startswith("--- a/app.py\n+++ b/app.py\n")


def test_bad_stdin_gets_a_message_not_a_traceback(tmp_path: Path) -> None:
    broken = asyncblock("-", stdin="async def f(:\n", cwd=tmp_path)
    assert broken.returncode == 1 and broken.stderr.decode().startswith("-: cannot parse: ")
    latin = asyncblock("-", stdin=b"x = '\xe9'\n", cwd=tmp_path)
    assert (latin.returncode, latin.stderr) == (0, b"")


@pytest.mark.parametrize("argv", [("-", "app.py"), ("app.py", "-")])
def test_stdin_with_other_paths_is_a_usage_error(tmp_path: Path, argv: tuple[str, ...]) -> None:
    result = asyncblock(*argv, stdin=SLEEPY, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.decode() == ("asyncblock: error: `-` (standard input) cannot be combined "
                                      "with other paths\n")
