"""The options tables of README.md and docs/loopguard.md are rendered from OPTIONS."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from pytest_loopguard.options import OPTIONS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_options", DOCS / "generate_options.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_options_tables_are_current() -> None:
    outputs = _generator().render_outputs()
    assert {path.name for path in outputs} == {"README.md", "loopguard.md"}
    for path, fresh in outputs.items():
        committed = path.read_text(encoding="utf-8")
        assert committed == fresh, f"{path} is stale; run: python docs/generate_options.py"


@pytest.mark.parametrize("render", ["render_readme_table", "render_guide_table"])
def test_each_option_has_a_row_naming_each_place_it_is_set(render: str) -> None:
    rows = getattr(_generator(), render)().splitlines()[2:]
    assert len(rows) == len(OPTIONS)
    for row, option in zip(rows, OPTIONS):
        for where in option.where:
            assert f"`{option.spelled(where)}`" in row
        assert f" {option.shown_default} " in row


def test_check_flags_a_stale_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generator = _generator()
    stale = tmp_path / "README.md"
    stale.write_text("<!-- loopguard-options:start -->\nold\n<!-- loopguard-options:end -->\n")
    guide = tmp_path / "loopguard.md"
    guide.write_text(generator.GUIDE.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(generator, "README", stale)
    monkeypatch.setattr(generator, "GUIDE", guide)
    assert generator.main(["--check"]) == 1
    assert "old" in stale.read_text()
    assert generator.main([]) == 0
    assert "`--loopguard=DURATION`" in stale.read_text()
    assert generator.main(["--check"]) == 0


def test_generator_runs_as_a_script() -> None:
    result = subprocess.run(
        [sys.executable, str(DOCS / "generate_options.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
