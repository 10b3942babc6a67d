"""The `asyncblock` command's project-wide pass: summarize every file, then find what blocks.

Runs before the files are checked, in worker processes for large trees: each
worker returns the plain summaries of its files, the parent links them into
one call graph (imports, relative imports, `__init__.py` re-exports) and hands
the blocking functions to the check of every file.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

from flake8_asyncblock.chains import blocking_functions
from flake8_asyncblock.context import Chain, Origin
from flake8_asyncblock.registry import RULES
from flake8_asyncblock.settings import Settings
from flake8_asyncblock.source import Source, read_source
from flake8_asyncblock.summaries import ModuleSummary, summarize

__all__ = ["Project", "helper_codes", "module_of", "summarize_project"]


@dataclass(frozen=True)
class Project:
    """What the check of each file needs to know about the others."""

    chains: Mapping[str, Chain]
    roots: frozenset[str]

    def origin(self, path: str) -> Origin:
        """Return the origin of `path`, one of the project's files."""
        module, package = module_of(path)
        return Origin(path, module, package, self.chains, self.roots)


def helper_codes() -> frozenset[str]:
    """Return the codes whose findings need the project-wide pass."""
    return frozenset(rule.code for rule in RULES if hasattr(rule, "reaches"))


def module_of(path: str) -> tuple[str, str]:
    """Return (module, package) of a file: folders with an `__init__.py` make the package.

    `pkg/util.py` is ("pkg.util", "pkg"); `pkg/__init__.py` is ("pkg", "pkg").
    """
    folder, name = os.path.split(os.path.abspath(path))
    stem = name.rpartition(".")[0] or name
    package = _package(folder)
    if stem == "__init__":
        return package, package
    return (f"{package}.{stem}" if package else stem), package


@lru_cache(maxsize=4096)
def _package(folder: str) -> str:
    if not os.path.isfile(os.path.join(folder, "__init__.py")):
        return ""
    parent, name = os.path.split(folder)
    outer = _package(parent) if parent != folder else ""
    return f"{outer}.{name}" if outer else name


def summarize_project(
    files: Sequence[str], settings: Settings, workers: int, chunksize: int = 1
) -> Project:
    """Summarize `files` (in `workers` processes when above 1) and link the summaries."""
    roots = frozenset(module_of(path)[0].partition(".")[0] for path in files)
    if workers < 2:
        found = [_summarize_file(path, settings, roots) for path in files]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            found = list(pool.map(_summarize_file, files, [settings] * len(files),
                                  [roots] * len(files), chunksize=chunksize))
    summaries = [summary for summary in found if summary is not None]
    return Project(blocking_functions(summaries), roots)


def _summarize_file(path: str, settings: Settings, roots: Collection[str]) -> ModuleSummary | None:
    """Summarize one file; None when it cannot be read or parsed (its check says why)."""
    read = read_source(path)  # regular files only: a FIFO named *.py must not hang the pass
    if not isinstance(read, Source):
        return None
    source = read.text
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    module, package = module_of(path)
    try:
        return summarize(tree, source, RULES, settings, (path, module, package), frozenset(roots))
    except RecursionError:
        return None
