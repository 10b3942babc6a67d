"""Which files `asyncblock check` reads: walk folders, skip the usual excludes and .gitignore."""

from __future__ import annotations

import fnmatch
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from flake8_asyncblock.config import UsageError

__all__ = ["DEFAULT_EXCLUDES", "discover", "is_excluded"]

#: Folder names never entered; folders holding a `pyvenv.cfg` are skipped too.
DEFAULT_EXCLUDES = frozenset({
    ".git", ".hg", ".svn", ".tox", ".nox", "__pycache__", "node_modules", "build", "dist",
    ".eggs", ".mypy_cache", ".pytest_cache", ".ruff_cache",
})


def is_excluded(path: str, patterns: Sequence[str]) -> bool:
    """Match `path` against the patterns: by base name, or whole path for absolute patterns."""
    if not patterns:
        return False
    name = os.path.basename(path)
    absolute = os.path.abspath(path)
    for pattern in patterns:
        if fnmatch.fnmatch(name, pattern):
            return True
        if "/" in pattern and (fnmatch.fnmatch(absolute, pattern) or absolute.startswith(pattern + os.sep)):
            return True
    return False


def discover(paths: Sequence[str], exclude: Sequence[str], gitignore: bool = True) -> list[str]:
    """Return the Python files under `paths`, sorted per argument, without duplicates.

    Files named explicitly are checked whatever their suffix unless an
    `exclude` pattern matches them; folders contribute their `*.py` files.
    """
    found: list[str] = []
    seen: set[str] = set()
    for raw in paths:
        if not os.path.exists(raw):
            raise UsageError(f"no such file or folder: {raw}")
        path = os.path.normpath(raw)
        if os.path.isdir(path):
            ignored = _git_ignored(path) if gitignore else frozenset()
            candidates = sorted(_walk(path, exclude, ignored))
        else:
            candidates = [] if is_excluded(path, exclude) else [path]
        for candidate in candidates:
            key = os.path.abspath(candidate)
            if key not in seen:
                seen.add(key)
                found.append(candidate)
    return found


def _walk(top: str, exclude: Sequence[str], ignored: frozenset[str]) -> list[str]:
    files = []
    for folder, dirs, names in os.walk(top):
        dirs[:] = [
            d for d in dirs
            if d not in DEFAULT_EXCLUDES
            and not os.path.exists(os.path.join(folder, d, "pyvenv.cfg"))
            and not is_excluded(os.path.join(folder, d), exclude)
            and os.path.abspath(os.path.join(folder, d)) not in ignored
        ]
        for name in names:
            path = os.path.join(folder, name)
            if (
                name.endswith(".py")
                and not is_excluded(path, exclude)
                and os.path.abspath(path) not in ignored
            ):
                files.append(os.path.normpath(path))
    return files


def _git_ignored(folder: str) -> frozenset[str]:
    """Absolute paths of what git ignores under `folder` (empty outside a work tree)."""
    try:
        result = subprocess.run(
            ["git", "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"],
            cwd=folder, capture_output=True, check=False, timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    if result.returncode != 0:
        return frozenset()
    base = Path(os.path.abspath(folder))
    entries = result.stdout.decode("utf-8", "surrogateescape").split("\0")
    return frozenset(os.path.normpath(base / entry) for entry in entries if entry)
