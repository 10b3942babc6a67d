"""docs/rules.md is rendered from the rule classes and must be kept current."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from flake8_asyncblock.fixes import fix_safety
from flake8_asyncblock.options import FLAKE8_OPTIONS
from flake8_asyncblock.registry import RULES

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _generator():
    spec = importlib.util.spec_from_file_location("generate_rules", DOCS / "generate_rules.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_rules_md_is_current() -> None:
    fresh = _generator().render()
    committed = (DOCS / "rules.md").read_text(encoding="utf-8")
    assert committed == fresh, "docs/rules.md is stale; run: python docs/generate_rules.py"


def test_rule_tables_in_readme_and_cli_doc_are_current() -> None:
    for path, fresh in _generator().render_outputs().items():
        committed = path.read_text(encoding="utf-8")
        assert committed == fresh, f"{path} is stale; run: python docs/generate_rules.py"


def test_readme_table_lists_every_rule_with_its_default_and_fix() -> None:
    table = _generator().render_readme_table()
    for rule in RULES:
        on = "on" if rule.default_enabled else "off"
        assert f"| `{rule.slug}` | {on} | {fix_safety(rule.fix) or 'none'} |" in table


def test_every_rule_has_a_section_with_its_default_and_fix() -> None:
    text = _generator().render()
    for rule in RULES:
        section = text.split(f"## {rule.code} `{rule.slug}`", 1)[1].split("\n## ", 1)[0]
        assert f"**Flags:** {rule.summary}" in section
        assert ("**Default:** on" in section) == rule.default_enabled
        assert f"**Fix:** {fix_safety(rule.fix) or 'none'}" in section
        if rule.fix is not None:
            assert rule.fix.describe() in section
        assert rule.invalid[0].code.strip() in section


def test_options_table_lists_every_option() -> None:
    text = _generator().render()
    for option in FLAKE8_OPTIONS:
        assert f"| `{option.flake8_flag}` | {option.kind} |" in text


def test_check_mode_reports_a_stale_file(tmp_path: Path) -> None:
    generator = _generator()
    generator.OUTPUT = tmp_path / "rules.md"
    generator.OUTPUT.write_text("old\n", encoding="utf-8")
    for name in ("README", "CLI_DOC"):
        copy = tmp_path / getattr(generator, name).name
        copy.write_text(getattr(generator, name).read_text(encoding="utf-8"), encoding="utf-8")
        setattr(generator, name, copy)
    generator.README.write_text(
        generator.README.read_text(encoding="utf-8").replace("| `blocking-sleep` |", "| `x` |"),
        encoding="utf-8",
    )
    assert generator.main(["--check"]) == 1
    assert generator.main([]) == 0
    assert generator.main(["--check"]) == 0


def test_generator_runs_as_a_script_from_anywhere(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(DOCS / "generate_rules.py"), "--check"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
