"""The text output as ruff users expect it: `--color`, `--show-source`, `--show-fixes`."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

SLEEPY = "import time\n\n\nasync def poll():\n    time.sleep(1)\n"
ESC = "\x1b["


def asyncblock(*argv: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in {"NO_COLOR", "FORCE_COLOR"}}
    return subprocess.run([sys.executable, "-m", "flake8_asyncblock", "check", "--no-cache", *argv],
                          capture_output=True, text=True, check=False, cwd=cwd, env={**environ, **env})


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(SLEEPY, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(("argv", "env", "colored"), [
    ((), {}, False),  # a pipe
    (("--color", "never"), {"FORCE_COLOR": "1"}, False),
    (("--color", "always"), {}, True),
    (("--color", "always"), {"NO_COLOR": "1"}, True),  # the flag is the user's own word
    ((), {"FORCE_COLOR": "1"}, True),  # CI logs render colour
    ((), {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
    ((), {"NO_COLOR": ""}, False),  # empty means unset
])
def test_color_follows_the_flag_then_the_environment(
    tree: Path, argv: tuple[str, ...], env: dict[str, str], colored: bool
) -> None:
    result = asyncblock(*argv, "app.py", cwd=tree, **env)
    assert result.returncode == 1
    assert (ESC in result.stdout) is colored
    plain = result.stdout.replace("\x1b[1m", "").replace("\x1b[1;31m", "").replace(
        "\x1b[36m", "").replace("\x1b[0m", "")
    assert plain.startswith("app.py:5:5: ABL100 time.sleep() blocks the event loop")


def test_color_auto_colours_a_terminal(tree: Path) -> None:
    controller, terminal = pty.openpty()
    environ = {k: v for k, v in os.environ.items() if k not in {"NO_COLOR", "FORCE_COLOR"}}
    with subprocess.Popen([sys.executable, "-m", "flake8_asyncblock", "check", "--no-cache", "app.py"],
                          cwd=tree, stdout=terminal, stderr=subprocess.DEVNULL, env=environ) as proc:
        os.close(terminal)
        output = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal closed: the command is done
                break
            if not chunk:
                break
            output += chunk
    os.close(controller)
    assert proc.returncode == 1
    assert b"\x1b[1;31mABL100\x1b[0m" in output


def test_bad_color_value_is_a_usage_error(tree: Path) -> None:
    result = asyncblock("--color", "sometimes", "app.py", cwd=tree)
    assert result.returncode == 2
    assert result.stderr == ("asyncblock: error: --color: expected one of auto, always, never, "
                             "got 'sometimes'\n")


def test_show_source_underlines_the_call(tree: Path) -> None:
    result = asyncblock("--show-source", "app.py", cwd=tree)
    assert result.stdout == (
        "app.py:5:5: ABL100 time.sleep() blocks the event loop; use await asyncio.sleep()\n"
        "  |\n"
        "5 |     time.sleep(1)\n"
        "  |     ^^^^^^^^^^^^^\n"
        "  |\n"
    )


def test_show_source_counts_characters_and_stops_at_the_line_end(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "import time\n\n\nasync def poll():\n\tx = 'é'; time.sleep(\n\t\t1)\n", encoding="utf-8")
    result = asyncblock("--show-source", "app.py", cwd=tmp_path)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("app.py:5:")
    assert lines[2] == "5 |  x = 'é'; time.sleep("  # a tab shows as one column, as it counts
    assert lines[3] == "  |           ^^^^^^^^^^^"  # to the end of the line: the call goes on


def test_show_source_from_the_config(tree: Path) -> None:
    (tree / "pyproject.toml").write_text("[tool.asyncblock]\nshow-source = true\n", encoding="utf-8")
    assert "5 |     time.sleep(1)\n" in asyncblock("app.py", cwd=tree).stdout


def test_show_fixes_marks_what_fix_would_rewrite(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "import time\nimport requests\n\n\nasync def poll():\n    time.sleep(1)\n"
        "    requests.get('x')\n", encoding="utf-8")
    result = asyncblock("--show-fixes", "app.py", cwd=tmp_path)
    assert "app.py:6:5: ABL100 [*] time.sleep()" in result.stdout
    assert "app.py:7:5: ABL110 requests.get()" in result.stdout  # only an unsafe fix
    assert result.stderr == "asyncblock: [*] 1 fixable with --fix (1 more with --unsafe-fixes)\n"
    unsafe = asyncblock("--show-fixes", "--unsafe-fixes", "--diff", "app.py", cwd=tmp_path)
    assert "would fix 2 findings:\n  app.py: 1 ABL100 (blocking-sleep), 1 ABL110 " in unsafe.stderr


def test_show_fixes_lists_the_fixes_by_file_and_code(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(SLEEPY + "\n\nasync def again():\n    time.sleep(2)\n",
                                   encoding="utf-8")
    (tmp_path / "b.py").write_text(SLEEPY, encoding="utf-8")
    (tmp_path / "c.py").write_text("x = 1\n", encoding="utf-8")
    result = asyncblock("--fix", "--show-fixes", ".", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stderr == (
        "asyncblock: 3 findings, 3 fixed, 0 left\n"
        "asyncblock: fixed 3 findings:\n"
        "  a.py: 2 ABL100 (blocking-sleep)\n"
        "  b.py: 1 ABL100 (blocking-sleep)\n"
    )
    assert asyncblock("--fix", "--show-fixes", ".", cwd=tmp_path).stderr == (
        "asyncblock: 0 findings, 0 fixed, 0 left\n")


def test_full_format_shows_the_lines_around_each_finding(tmp_path: Path) -> None:
    source = "import time\n\n\nasync def poll():\n    time.sleep(1)\n    return 1\n"
    (tmp_path / "app.py").write_text(source, encoding="utf-8")
    result = asyncblock("--format", "full", "app.py", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stdout == (
        "app.py:5:5: ABL100 time.sleep() blocks the event loop; use await asyncio.sleep()\n"
        "  |\n"
        "3 |\n"
        "4 | async def poll():\n"
        "5 |     time.sleep(1)\n"
        "  |     ^^^^^^^^^^^^^\n"
        "6 |     return 1\n"
        "  |\n"
    )
    # The config key and the text format with --show-source: the finding's line alone.
    only = asyncblock("--show-source", "app.py", cwd=tmp_path).stdout
    assert only.splitlines()[1:] == ["  |", "5 |     time.sleep(1)", "  |     ^^^^^^^^^^^^^", "  |"]


def test_full_format_of_stdin_shows_no_context_from_a_different_file_on_disk(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("x = 1\n" * 10, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "flake8_asyncblock", "check", "--format", "full",
                             "--stdin-filename", "app.py"], input=SLEEPY, capture_output=True, text=True,
                            check=False, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[1:] == ["  |", "5 |     time.sleep(1)", "  |     ^^^^^^^^^^^^^", "  |"]
