"""The plugin as users meet it: the real flake8 command, its options, config and noqa."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from flake8_asyncblock import __version__, checker
from flake8_asyncblock.checker import AsyncBlockChecker
from flake8_asyncblock.options import FLAKE8_OPTIONS, UsageError, parse_args
from flake8_asyncblock.rule import Rule
from flake8_asyncblock.settings import Settings

SOURCE = """\
import time

import vendor.db


async def handler():
    time.sleep(1)
    time.sleep(2)  # noqa: ABL100
    time.sleep(3)  # noqa
    time.sleep(4)  # noqa: E501
    vendor.db.query("x")
    vendor.db.write("x")
"""


def flake8(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "ABL", *args, "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )


def found(result: subprocess.CompletedProcess[str]) -> list[str]:
    return sorted(" ".join(line.split()[:2]) for line in result.stdout.splitlines())


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(SOURCE, encoding="utf-8")
    return tmp_path


def test_noqa_suppresses_only_matching_codes(project: Path) -> None:
    result = flake8(project, "--isolated")
    assert found(result) == ["./app.py:10:5: ABL100", "./app.py:7:5: ABL100"]
    assert "time.sleep() blocks the event loop; use await asyncio.sleep()" in result.stdout


def test_blocking_option_on_the_command_line(project: Path) -> None:
    result = flake8(project, "--isolated", "--asyncblock-blocking=vendor.db.query, vendor.db.write")
    assert [line for line in found(result) if "ABL900" in line] == [
        "./app.py:11:5: ABL900",
        "./app.py:12:5: ABL900",
    ]


def test_config_file_sets_options_and_command_line_wins(project: Path) -> None:
    (project / "setup.cfg").write_text(
        "[flake8]\nasyncblock-blocking =\n    vendor.db.query,\nasyncblock-range-limit = 50\n",
        encoding="utf-8",
    )
    from_config = [line for line in found(flake8(project)) if "ABL900" in line]
    assert from_config == ["./app.py:11:5: ABL900"]
    overridden = flake8(project, "--asyncblock-blocking=vendor.db.write")
    assert [line for line in found(overridden) if "ABL900" in line] == ["./app.py:12:5: ABL900"]


def test_settings_reach_parallel_workers(project: Path) -> None:
    for index in range(3):
        (project / f"copy{index}.py").write_text(SOURCE, encoding="utf-8")
    result = flake8(project, "--isolated", "--jobs=2", "--asyncblock-blocking=vendor.db.query")
    assert sum("ABL900" in line for line in found(result)) == 4


@pytest.mark.parametrize(
    ("args", "config", "message"),
    [
        (("--asyncblock-blocking=vendor.db.query,not-a-name",), "", "'not-a-name'"),
        (("--asyncblock-range-limit=ten",), "", "--asyncblock-range-limit: expected a positive"),
        ((), "asyncblock-range-limit = 0\n", "got '0'"),
    ],
    ids=["blocking-cli", "range-limit-cli", "range-limit-config"],
)
def test_bad_option_values_stop_flake8_with_a_clear_message(
    project: Path, args: tuple[str, ...], config: str, message: str
) -> None:
    (project / "tox.ini").write_text(f"[flake8]\n{config}", encoding="utf-8")
    result = flake8(project, *args)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert message in output
    assert "Traceback" not in output


def test_plugin_is_listed_with_its_version(tmp_path: Path) -> None:
    result = flake8(tmp_path, "--version")
    # flake8 names plugins by their distribution.
    assert f"pytest-loopguard: {__version__}" in " ".join(result.stdout.split())


def test_parse_options_builds_settings_once() -> None:
    namespace = argparse.Namespace(
        asyncblock_blocking=["a.b", "c"], asyncblock_range_limit="250"
    )
    try:
        AsyncBlockChecker.parse_options(namespace)
        assert AsyncBlockChecker.settings == Settings(frozenset({"a.b", "c"}), 250)
    finally:
        AsyncBlockChecker.settings = Settings()


def test_in_process_option_parsing_keeps_foreign_arguments() -> None:
    settings, rest = parse_args(["--asyncblock-range-limit=7", "--extend-select", "ABL141"])
    assert settings.range_limit == 7
    assert rest == ["--extend-select", "ABL141"]
    with pytest.raises(UsageError, match="--asyncblock-blocking"):
        parse_args(["--asyncblock-blocking=a..b"])


def test_default_off_rules_go_on_flake8_default_ignore(monkeypatch: pytest.MonkeyPatch) -> None:
    class Quiet(Rule):
        code = "ABL199"
        default_enabled = False

    class Manager:
        def __init__(self) -> None:
            self.flags: list[str] = []
            self.ignored: list[str] = []

        def add_option(self, flag: str, **kwargs: object) -> None:
            assert kwargs["parse_from_config"] is True
            self.flags.append(flag)

        def extend_default_ignore(self, codes: list[str]) -> None:
            self.ignored.extend(codes)

    built_in_off = [rule.code for rule in checker.RULES if not rule.default_enabled]
    monkeypatch.setattr(checker, "RULES", (*checker.RULES, Quiet))
    manager = Manager()
    AsyncBlockChecker.add_options(manager)
    assert manager.flags == [option.flake8_flag for option in FLAKE8_OPTIONS]
    assert manager.ignored == [*built_in_off, "ABL199"]
