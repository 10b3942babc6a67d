"""One options table: CLI flags, `[tool.asyncblock]` keys and flake8 options, with ruff's precedence."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flake8_asyncblock.cli import build_parser, main
from flake8_asyncblock.config import Selection, select_codes
from flake8_asyncblock.options import OPTIONS, UsageError, by_name
from flake8_asyncblock.registry import RULES

ROOT = Path(__file__).resolve().parents[2]
#: One finding of each: ABL100 (on by default) and ABL141 (off by default).
BOTH = ("import time\n\n\nasync def poll(counter):\n    time.sleep(1)\n"
        "    while counter > 0:\n        counter -= 1\n")
DEFAULT_ON = {rule.code for rule in RULES if rule.default_enabled}


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text(BOTH, encoding="utf-8")
    return tmp_path


def codes(capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    main(["check", *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return sorted(line.split()[1] for line in out.splitlines())


def config(tree: Path, body: str) -> None:
    (tree / "pyproject.toml").write_text(f"[tool.asyncblock]\n{body}\n", encoding="utf-8")


# (config body, command-line flags, codes reported): the command line wins, as in ruff.
PRECEDENCE = [
    ("", [], ["ABL100"]),
    ("", ["--extend-select", "ABL141"], ["ABL100", "ABL141"]),
    ('ignore = ["ABL141"]', ["--select", "ABL141"], ["ABL141"]),
    ('ignore = ["ABL100"]', [], []),
    ('ignore = ["ABL100"]', ["--extend-select", "ABL100"], ["ABL100"]),
    ('select = ["ABL141"]', [], ["ABL141"]),
    ('select = ["ABL141"]', ["--select", "ABL100"], ["ABL100"]),
    ('select = ["ABL141"]', ["--extend-select", "ABL100"], ["ABL100", "ABL141"]),
    ('extend-select = ["ABL141"]', ["--ignore", "ABL1"], []),
    ('extend-select = ["ABL141"]', ["--extend-ignore", "ABL100"], ["ABL141"]),
    ("", ["--select", "ABL", "--ignore", "ABL14"], ["ABL100"]),
    ("", ["--select", "ABL141", "--ignore", "ABL1"], ["ABL141"]),  # the more specific wins
    ("", ["--select", "ABL1", "--ignore", "ABL1"], []),  # a tie: ignore wins
    ('per-file-ignores = {"app.py" = ["ABL100"]}', ["--extend-select", "ABL141"], ["ABL141"]),
    ('per-file-ignores = {"*.py" = ["ABL1"]}', [], []),
    ("", ["--per-file-ignores", "other.py:ABL100"], ["ABL100"]),
    ("", ["--per-file-ignores", "app.py:ABL100"], []),
    ('ignore = ["ABL100"]', ["--isolated"], ["ABL100"]),
]


@pytest.mark.parametrize(("body", "flags", "expected"), PRECEDENCE)
def test_command_line_over_config_over_defaults(
    tree: Path, capsys: pytest.CaptureFixture[str], body: str, flags: list[str],
    expected: list[str],
) -> None:
    config(tree, body)
    assert codes(capsys, *flags) == expected


def test_selection_layers_start_from_the_default_rules() -> None:
    assert select_codes([]) == DEFAULT_ON
    assert select_codes([Selection(select=("ABL",), ignore=("ABL100",))]) == (
        {r.code for r in RULES} - {"ABL100"})
    assert select_codes([Selection(ignore=("ABL1",)), Selection(select=("ABL100",))]) == {"ABL100"}


def test_scalar_options_from_the_command_line_replace_the_config(
    tree: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    (tree / "app.py").write_text("async def f():\n    for _ in range(600):\n        pass\n",
                                 encoding="utf-8")
    config(tree, "range-limit = 500")
    assert codes(capsys) == ["ABL142"]
    assert codes(capsys, "--range-limit", "1000") == []


@pytest.mark.parametrize(("body", "message"), [
    ("range-limit = 1.5", "[tool.asyncblock] range-limit: expected a positive integer such as "
                          "10000, got 1.5"),
    ("range-limit = true", "range-limit: expected a positive integer such as 10000, got True"),
    ('blocking = [""]', "[tool.asyncblock] blocking: empty entry in ['']"),
    ('blocking = ["a..b"]', "blocking: expected dotted names such as vendor.db.query, got 'a..b'"),
    ('select = ["ABL100", ""]', "select: empty entry"),
    ("fix = true", "unknown key 'fix'"),
    ('per-file-ignores = {"x.py" = ["NOPE"]}', "per-file-ignores 'x.py': unknown code 'NOPE'"),
    ('format = "xml"', "format: expected one of text, full, json, sarif, github, gitlab, junit"),
])
def test_bad_config_values_are_usage_errors_naming_the_key(
    tree: Path, capsys: pytest.CaptureFixture[str], body: str, message: str,
) -> None:
    config(tree, body)
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err


@pytest.mark.parametrize(("flags", "message"), [
    (["--range-limit", "1.5"], "--range-limit: expected a positive integer such as 10000"),
    (["--blocking", "a,,b"], "--blocking: empty entry in 'a,,b'"),
    (["--per-file-ignores", "ABL100"], "--per-file-ignores: expected PATTERN:CODES"),
    (["--jobs", "0"], "--jobs: expected a positive integer"),
    (["--fix", "--diff"], "--fix and --diff cannot be combined"),
])
def test_bad_flags_are_usage_errors_naming_the_flag(
    tree: Path, capsys: pytest.CaptureFixture[str], flags: list[str], message: str,
) -> None:
    assert main(["check", *flags]) == 2
    assert message in capsys.readouterr().err


def test_every_option_is_one_row_driving_parser_keys_and_flake8() -> None:
    from flake8_asyncblock.checker import AsyncBlockChecker
    from flake8_asyncblock.config import KEYS

    check = build_parser()._subparsers._group_actions[0].choices["check"]  # type: ignore[union-attr]
    flags = {o for a in check._actions for o in a.option_strings if o.startswith("--")}
    assert flags - {"--help"} == {o.flag for o in OPTIONS if "cli" in o.where}
    assert set(KEYS) == {o.name for o in OPTIONS if "config" in o.where}

    class Manager:
        flags: list[str] = []

        def add_option(self, flag: str, **kwargs: object) -> None:
            self.flags.append(flag)

        def extend_default_ignore(self, codes: list[str]) -> None:
            pass

    AsyncBlockChecker.add_options(Manager())
    assert Manager.flags == [o.flake8_flag for o in OPTIONS if "flake8" in o.where]
    with pytest.raises(UsageError, match=r"^where: expected a positive integer"):
        by_name("range-limit").parse("0", "where")


def _flake8(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flake8", "--select", "ABL", *args, "."],
                          capture_output=True, text=True, check=False, cwd=cwd)


def test_flake8_reads_the_rule_settings_of_tool_asyncblock_and_its_own_flags_win(
    tmp_path: Path,
) -> None:
    (tmp_path / "app.py").write_text(
        "import vendor\n\n\nasync def f():\n    vendor.fetch()\n", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.asyncblock]\nblocking = ["vendor.fetch"]\n', encoding="utf-8")
    assert "ABL900" in _flake8(tmp_path).stdout
    assert _flake8(tmp_path, "--asyncblock-blocking=other.call").stdout == ""
    assert _flake8(tmp_path, "--isolated").stdout == ""
    (tmp_path / "pyproject.toml").write_text("[tool.asyncblock]\nrange-limit = 1.5\n",
                                             encoding="utf-8")
    result = _flake8(tmp_path)
    assert result.returncode != 0
    assert "[tool.asyncblock] range-limit: expected a positive integer such as 10000, got 1.5" in (
        result.stdout + result.stderr)
    assert "Traceback" not in result.stderr


def test_docs_cli_md_tables_are_rendered_from_the_options_table() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "docs" / "generate_cli.py"), "--check"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
