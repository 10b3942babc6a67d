"""Which files `asyncblock check` reads: walk folders, skip the usual excludes and .gitignore."""

from __future__ import annotations

import errno
import fnmatch
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flake8_asyncblock.options import UsageError

__all__ = ["DEFAULT_EXCLUDES", "Discovery", "discover", "forced_out", "is_excluded", "matches"]

#: Folder names skipped at any depth while walking, as ruff skips them (ruff's
#: default `exclude`, which no longer holds `build`); folders holding a
#: `pyvenv.cfg` are skipped too. A path named on the command line is always entered, unless
#: `--force-exclude` is given (see `forced_out`).
DEFAULT_EXCLUDES = frozenset({
    ".asyncblock_cache", ".bzr", ".direnv", ".eggs", ".git", ".git-rewrite", ".hg", ".ipynb_checkpoints",
    ".mypy_cache", ".nox", ".pants.d", ".pyenv", ".pytest_cache", ".pytype", ".ruff_cache",
    ".svn", ".tox", ".venv", ".vscode", "__pycache__", "__pypackages__", "_build", "buck-out",
    "dist", "node_modules", "site-packages", "venv",
})


@dataclass(frozen=True)
class Discovery:
    """The files to check, and the folders that could not be listed (`path: reason`).

    `stats` holds the status of each file named on the command line, taken
    before any was read (the cache compares it and need not stat again).
    """

    files: list[str]
    problems: list[str] = field(default_factory=list)
    stats: dict[str, os.stat_result] = field(default_factory=dict)


def matches(path: str, pattern: str) -> bool:
    """A pattern without `/` matches the base name; one with `/` (made absolute) the whole path."""
    if "/" not in pattern:
        return fnmatch.fnmatch(os.path.basename(path), pattern)
    absolute = os.path.abspath(path)
    return fnmatch.fnmatch(absolute, pattern) or absolute.startswith(pattern + os.sep)


def is_excluded(path: str, patterns: Sequence[str]) -> bool:
    """Tell whether any of the `exclude` patterns matches `path`."""
    return any(matches(path, pattern) for pattern in patterns)


def forced_out(path: str, exclude: Sequence[str], root: str) -> bool:
    """Tell whether `--force-exclude` leaves out the named `path`.

    It is left out when an `exclude` pattern matches it or a folder above it,
    or when it or a folder above it is an always-skipped folder name or a
    virtual environment. Folders above count up to `root` (the configuration
    file's folder, else the current one), so where the project lives does not.
    """
    absolute = os.path.abspath(path)
    top = os.path.abspath(root)
    chain = [absolute]
    parent = os.path.dirname(absolute)
    while parent != top and parent.startswith(os.path.join(top, "")):
        chain.append(parent)
        parent = os.path.dirname(parent)
    for index, candidate in enumerate(chain):
        folder = index > 0 or os.path.isdir(candidate)
        if folder and (os.path.basename(candidate) in DEFAULT_EXCLUDES or _is_virtualenv(candidate)):
            return True
        if is_excluded(candidate, exclude):
            return True
    return False


def discover(paths: Sequence[str], exclude: Sequence[str], gitignore: bool = True,
             force_root: str | None = None) -> Discovery:
    """Return the Python files under `paths`, sorted per argument, without duplicates.

    Files named explicitly are checked whatever their suffix unless an
    `exclude` pattern matches them; folders contribute their `*.py` files.
    With `force_root` (`--force-exclude`), a named path that `forced_out`
    leaves out contributes nothing.
    """
    found: list[str] = []
    problems: list[str] = []
    stats: dict[str, os.stat_result] = {}
    seen: set[str] = set()
    cwd = os.getcwd()
    for raw in paths:
        info = _check_exists(raw)
        if force_root is not None and forced_out(raw, exclude, force_root):
            continue
        path = os.path.normpath(raw)
        if stat.S_ISDIR(info.st_mode):
            ignored = _git_ignored(path) if gitignore else frozenset()
            candidates: Sequence[str] = sorted(_walk(path, exclude, ignored, problems))
        elif exclude and is_excluded(path, exclude):
            continue
        else:  # a named file: the common case with thousands of paths (pre-commit, xargs)
            stats[path] = info
            candidates = (path,)
        for candidate in candidates:
            key = _absolute(candidate, cwd)
            if key not in seen:
                seen.add(key)
                found.append(candidate)
    return Discovery(found, problems, stats)


def _absolute(path: str, cwd: str) -> str:
    """`os.path.abspath` of a normalized `path` for the folder `cwd`, without a getcwd per file."""
    if path.startswith(os.sep):
        return path
    if path == ".." or path.startswith(".." + os.sep):
        return os.path.normpath(os.path.join(cwd, path))
    return f"{cwd.rstrip(os.sep)}{os.sep}{path}"


def _check_exists(raw: str) -> os.stat_result:
    try:
        return os.stat(raw)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UsageError(f"symlink loop: {raw}") from None
        if exc.errno == errno.ENOENT and os.path.lexists(raw):
            raise UsageError(f"broken symlink: {raw} -> {os.readlink(raw)}") from None
        if exc.errno == errno.ENOENT:
            raise UsageError(f"no such file or folder: {raw}") from None
        raise UsageError(f"{raw}: {exc.strerror or exc}") from None


def _walk(top: str, exclude: Sequence[str], ignored: frozenset[str],
          problems: list[str]) -> list[str]:
    def unlistable(exc: OSError) -> None:
        problems.append(f"{exc.filename or top}: cannot read folder: {exc.strerror or exc}")

    files = []
    for folder, dirs, names in os.walk(top, onerror=unlistable):
        dirs[:] = [
            d for d in dirs
            if d not in DEFAULT_EXCLUDES
            and not _is_virtualenv(os.path.join(folder, d))
            and not is_excluded(os.path.join(folder, d), exclude)
            and not (ignored and os.path.abspath(os.path.join(folder, d)) in ignored)
        ]
        for name in names:
            path = os.path.join(folder, name)
            if (
                name.endswith(".py")
                and not is_excluded(path, exclude)
                and not (ignored and os.path.abspath(path) in ignored)
            ):
                files.append(os.path.normpath(path))
    return files


def _is_virtualenv(folder: str) -> bool:
    try:
        return os.path.exists(os.path.join(folder, "pyvenv.cfg"))
    except OSError:
        return False


def _git_ignored(folder: str) -> frozenset[str]:
    """Absolute paths of what git ignores under `folder` (empty outside a work tree)."""
    import subprocess  # only a folder with .gitignore in effect runs git: a run on named files saves the import

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
