"""`--force-exclude`: excludes also apply to the paths named on the command line, as in ruff (for pre-commit)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SLEEPY = "import time\n\n\nasync def poll():\n    time.sleep(1)\n"


def asyncblock(*argv: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flake8_asyncblock", "check", "--no-cache", *argv],
                          input=stdin, capture_output=True, text=True, check=False, cwd=cwd)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.asyncblock]\nexclude = ["generated", "legacy/*.py"]\n',
                                             encoding="utf-8")
    for name in ("app.py", "generated/deep/api.py", "legacy/old.py", "dist/built.py", "venv/lib.py",
                 "pkg/legacy/kept.py"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(SLEEPY, encoding="utf-8")
    return tmp_path


NAMED = ["app.py", "generated/deep/api.py", "legacy/old.py", "dist/built.py", "venv/lib.py", "pkg/legacy/kept.py"]


def flagged(result: subprocess.CompletedProcess[str]) -> list[str]:
    return sorted(line.split(":", 1)[0] for line in result.stdout.splitlines())


def test_named_paths_are_checked_without_it(project: Path) -> None:
    result = asyncblock(*NAMED, cwd=project)
    # Without the flag a named file is checked unless a pattern matches the file itself.
    assert flagged(result) == ["app.py", "dist/built.py", "generated/deep/api.py", "pkg/legacy/kept.py",
                               "venv/lib.py"]


def test_it_applies_excludes_to_named_files_and_their_folders(project: Path) -> None:
    result = asyncblock("--force-exclude", *NAMED, cwd=project)
    assert result.returncode == 1, result.stderr
    # `generated` matches a folder above the file; `legacy/*.py` is anchored at the config's folder;
    # `dist` and `venv` are always-skipped folder names.
    assert flagged(result) == ["app.py", "pkg/legacy/kept.py"]


def test_a_named_folder_is_left_out_too(project: Path) -> None:
    result = asyncblock("--force-exclude", "generated", "dist", cwd=project)
    assert (result.returncode, result.stdout) == (0, "")
    assert "no Python files found" in result.stderr
    assert flagged(asyncblock("generated", "dist", cwd=project)) == ["dist/built.py", "generated/deep/api.py"]


def test_the_config_key_turns_it_on(project: Path) -> None:
    config = project / "pyproject.toml"
    config.write_text(config.read_text(encoding="utf-8") + "force-exclude = true\n", encoding="utf-8")
    assert flagged(asyncblock(*NAMED, cwd=project)) == ["app.py", "pkg/legacy/kept.py"]


def test_folders_above_the_project_do_not_count(tmp_path: Path) -> None:
    """Where the project lives (here under a folder named `dist`) is not an exclude."""
    inner = tmp_path / "dist" / "project"
    inner.mkdir(parents=True)
    (inner / "pyproject.toml").write_text("[tool.asyncblock]\n", encoding="utf-8")
    (inner / "app.py").write_text(SLEEPY, encoding="utf-8")
    assert flagged(asyncblock("--force-exclude", "app.py", cwd=inner)) == ["app.py"]


def test_an_excluded_stdin_filename_is_passed_through(project: Path) -> None:
    fixed = asyncblock("--force-exclude", "--fix", "--stdin-filename", "generated/new.py", "-",
                       cwd=project, stdin=SLEEPY)
    assert (fixed.returncode, fixed.stdout) == (0, SLEEPY)
    checked = asyncblock("--force-exclude", "--stdin-filename", "generated/new.py", cwd=project, stdin=SLEEPY)
    assert (checked.returncode, checked.stdout) == (0, "")
    kept = asyncblock("--force-exclude", "--stdin-filename", "pkg/new.py", cwd=project, stdin=SLEEPY)
    assert kept.returncode == 1 and "pkg/new.py:5:5: ABL100" in kept.stdout
