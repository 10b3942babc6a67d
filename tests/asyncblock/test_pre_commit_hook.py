"""The pre-commit hooks are valid, run the asyncblock command, and the README's snippets work."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / ".pre-commit-hooks.yaml"


def _hook(hook_id: str) -> dict:
    clientlib = pytest.importorskip("pre_commit.clientlib")
    hooks = clientlib.load_manifest(str(MANIFEST))  # validates against pre-commit's schema
    return next(hook for hook in hooks if hook["id"] == hook_id)


def test_manifest_declares_the_check_and_fix_hooks() -> None:
    # --force-exclude: pre-commit names every staged file, and the project's excludes still apply.
    assert _hook("asyncblock")["entry"] == "asyncblock check --force-exclude"
    assert _hook("asyncblock-fix")["entry"] == "asyncblock check --force-exclude --fix"
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


def test_check_hook_keeps_the_project_excludes_for_named_files(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.asyncblock]\nexclude = ["generated"]\n', encoding="utf-8")
    target = tmp_path / "generated" / "api.py"
    target.parent.mkdir()
    target.write_text("import time\nasync def f():\n    time.sleep(1)\n", encoding="utf-8")
    result = _run_entry("asyncblock", target)
    assert (result.returncode, result.stdout) == (0, ""), result.stderr


def test_fix_hook_rewrites_the_file_and_passes(tmp_path: Path) -> None:
    target = tmp_path / "app.py"
    target.write_text("import time\nasync def f():\n    time.sleep(1)\n", encoding="utf-8")
    result = _run_entry("asyncblock-fix", target)
    assert result.returncode == 0, result.stderr
    assert target.read_text(encoding="utf-8") == (
        "import asyncio\nasync def f():\n    await asyncio.sleep(1)\n"
    )


README = (ROOT / "README.md").read_text(encoding="utf-8")
SLEEPY = "import time\n\n\nasync def poll():\n    time.sleep(1)\n"


def _snippet(marker: str) -> str:
    """The yaml block that follows `marker` in the README."""
    after = README.split(marker, 1)[1]
    return re.search(r"```yaml\n(.*?)```", after, re.S).group(1)  # type: ignore[union-attr]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _repository(tmp_path: Path, config: str) -> Path:
    repo = tmp_path / "project"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "dev@example.com")
    _git(repo, "config", "user.name", "dev")
    (repo / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
    (repo / "app.py").write_text(SLEEPY, encoding="utf-8")
    _git(repo, "add", ".")
    return repo


def _pre_commit(repo: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"),
           # `language: system` runs what is on PATH: this environment's asyncblock.
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files"],
                          cwd=repo, env=env, capture_output=True, text=True, check=False)


def test_the_local_hook_of_the_readme_reports_and_then_passes(tmp_path: Path) -> None:
    pytest.importorskip("pre_commit")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = _repository(tmp_path, _snippet("the installed `asyncblock` command"))
    result = _pre_commit(repo, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "app.py:5:5: ABL100" in result.stdout
    (repo / "app.py").write_text(SLEEPY.replace("time.sleep(1)", "await asyncio.sleep(1)")
                                 .replace("import time", "import asyncio"), encoding="utf-8")
    _git(repo, "add", ".")
    result = _pre_commit(repo, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def _remote(tmp_path: Path) -> str:
    """This project's working tree as a git repository tagged v0.1.0, as pre-commit fetches a release."""
    remote = tmp_path / "remote"
    remote.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml"):
        shutil.copy(ROOT / name, remote / name)
    for package in ("flake8_asyncblock", "pytest_loopguard"):
        shutil.copytree(ROOT / package, remote / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _git(remote, "init", "-q")
    _git(remote, "config", "user.email", "dev@example.com")
    _git(remote, "config", "user.name", "dev")
    _git(remote, "add", ".")
    _git(remote, "commit", "-q", "-m", "release")
    _git(remote, "tag", "v0.1.0")
    return remote.as_uri()


def test_the_remote_hooks_of_the_readme_install_from_a_tag_and_run(tmp_path: Path) -> None:
    """The README's remote form, with a file:// repository in place of the GitHub one.

    pre-commit clones the tag and pip-installs the project into a hook
    environment of its own (from the package index), as it does for users.
    """
    pytest.importorskip("pre_commit")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    snippet = _snippet("or from this repository, in an environment pre-commit builds itself")
    assert "rev: v0.1.0" in snippet and "id: asyncblock " in snippet
    config = snippet.replace("https://github.com/pytest-loopguard/pytest-loopguard", _remote(tmp_path))
    config = config.replace("# - id: asyncblock-fix", "- id: asyncblock-fix")
    repo = _repository(tmp_path, config)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}
    run = [sys.executable, "-m", "pre_commit", "run", "--all-files"]
    result = subprocess.run([*run, "asyncblock"], cwd=repo, env=env, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "app.py:5:5: ABL100" in result.stdout
    fixed = subprocess.run([*run, "asyncblock-fix"], cwd=repo, env=env, capture_output=True,
                           text=True, check=False)
    assert fixed.returncode == 1, fixed.stdout + fixed.stderr  # pre-commit fails a hook that edits
    assert "await asyncio.sleep(1)" in (repo / "app.py").read_text(encoding="utf-8")
    _git(repo, "add", ".")
    again = subprocess.run(run, cwd=repo, env=env, capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stdout + again.stderr
