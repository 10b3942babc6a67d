"""`asyncblock rules`, `asyncblock rule CODE` and `--statistics`: what users of ruff look for."""

from __future__ import annotations

from pathlib import Path

import pytest

from flake8_asyncblock.cli import main
from flake8_asyncblock.registry import RULES

SLEEPY = "import time\n\n\nasync def poll():\n    time.sleep(1)\n    time.sleep(2)\n"


def test_rules_lists_every_rule_from_its_class(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    lines = capsys.readouterr().out.splitlines()[1:]
    assert [line.split()[0] for line in lines] == [rule.code for rule in RULES]
    for line, rule in zip(lines, RULES):
        assert rule.slug in line and line.endswith(rule.summary)
        assert (" on " in line) == rule.default_enabled


@pytest.mark.parametrize("name", ["ABL100", "abl100", "blocking-sleep"])
def test_rule_prints_its_documentation(capsys: pytest.CaptureFixture[str], name: str) -> None:
    rule = RULES[0]
    assert main(["rule", name]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{rule.code} {rule.slug}\n")
    assert f"Flags: {rule.summary}" in out and f"Why: {rule.why}" in out
    assert rule.invalid[0].code.strip().splitlines()[-1].strip() in out


def test_rule_of_an_off_rule_says_how_to_enable_it(capsys: pytest.CaptureFixture[str]) -> None:
    off = next(rule for rule in RULES if not rule.default_enabled)
    assert main(["rule", off.code]) == 0
    assert f"off (enable with --extend-select {off.code})" in capsys.readouterr().out


def test_unknown_rule_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rule", "ABL999"]) == 2
    assert capsys.readouterr().err == (
        "asyncblock: error: unknown rule 'ABL999' (asyncblock rules lists them)\n")


def test_statistics_counts_findings_per_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(SLEEPY, encoding="utf-8")
    (tmp_path / "b.py").write_text(
        "import os\n\n\nasync def f():\n    os.system('x')\n", encoding="utf-8")
    assert main(["check", "--statistics"]) == 1
    assert capsys.readouterr().out == (
        "     2  ABL100  blocking-sleep\n     1  ABL151  blocking-shell-command\n")
    assert main(["check", "--statistics", "--exit-zero"]) == 0
