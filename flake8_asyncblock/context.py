"""Where a checked file comes from, and what the project knows about its sync functions.

A leaf module: the engine, the rules and both front ends import it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["NOTHING_BLOCKS", "Chain", "Origin", "Project", "module_of"]


@dataclass(frozen=True)
class Chain:
    """How a sync function blocks: the functions down to the blocking call, and that call.

    `steps` starts with the function itself; `code` is the direct rule's code
    of the blocking call; `cached` when the chain passes through a function
    decorated with functools.cache or lru_cache.
    """

    steps: tuple[str, ...]
    code: str
    call: str
    path: str
    line: int
    cached: bool = False



@dataclass(frozen=True)
class Origin:
    """Where a file comes from, as the front end knows it.

    `path` is the file as the user named it. The `asyncblock` command also
    knows its dotted `module` name and `package` (relative imports start
    there), and `project`: the blocking sync functions of every checked file
    by dotted name (`pkg.util.load_config`), under the top-level packages `roots`.
    """

    path: str | None = None
    module: str = ""
    package: str = ""
    project: Mapping[str, Chain] | None = None
    roots: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Project:
    """What the check of each file needs to know about the others."""

    chains: Mapping[str, Chain]
    roots: frozenset[str]

    def origin(self, path: str) -> Origin:
        """Return the origin of `path`, one of the project's files."""
        module, package = module_of(path)
        return Origin(path, module, package, self.chains, self.roots)


#: While the files are first visited the helper rules see an empty project: they report nothing.
NOTHING_BLOCKS: Mapping[str, Chain] = {}


def module_of(path: str, cwd: str | None = None) -> tuple[str, str]:
    """Return (module, package) of a file: folders with an `__init__.py` make the package.

    `pkg/util.py` is ("pkg.util", "pkg"); `pkg/__init__.py` is ("pkg", "pkg").
    A relative `path` is taken from `cwd` (the current folder when None).
    """
    folder, name = os.path.split(path)
    stem = name.rpartition(".")[0] or name
    package = _package_at(os.getcwd() if cwd is None else cwd, folder)
    if stem == "__init__":
        return package, package
    return (f"{package}.{stem}" if package else stem), package


@lru_cache(maxsize=4096)
def _package_at(cwd: str, folder: str) -> str:
    """The package of `folder` as named from `cwd`: made absolute once per folder, not per file."""
    return _package(os.path.normpath(os.path.join(cwd, folder)))


@lru_cache(maxsize=4096)
def _package(folder: str) -> str:
    if not os.path.isfile(os.path.join(folder, "__init__.py")):
        return ""
    parent, name = os.path.split(folder)
    outer = _package(parent) if parent != folder else ""
    return f"{outer}.{name}" if outer else name
