"""AllowList: the `loopguard_allow` patterns that accept a known stall by its blocking frame."""

from __future__ import annotations

import fnmatch
import os
from typing import NamedTuple

__all__ = ["AllowList"]


class AllowList(NamedTuple):
    """The `loopguard_allow` patterns, matched against a stall's blocking frame.

    `module:function` patterns match on the frame's dotted module path, taken
    from its file path, so `app.db:connect` also matches `src/app/db.py`.
    Anything else is a glob matched against the path relative to rootdir and
    against the absolute path. Both sides accept fnmatch wildcards.
    """

    patterns: tuple[str, ...]

    def matches(self, filename: str, function: str, rootdir: str) -> bool:
        """Tell whether a frame in `filename` running `function` is accepted."""
        absolute = os.path.abspath(filename)
        relative = _relative(absolute, rootdir)
        return any(
            _matches_one(pattern, absolute, relative, function) for pattern in self.patterns
        )


def _relative(path: str, rootdir: str) -> str:
    """Return `path` relative to rootdir with '/' separators, or absolute if outside."""
    try:
        relative = os.path.relpath(path, rootdir)
    except ValueError:  # another drive on Windows
        return path.replace(os.sep, "/")
    if relative.startswith(".."):
        return path.replace(os.sep, "/")
    return relative.replace(os.sep, "/")


def _dotted(relative: str) -> str:
    """Turn 'src/app/db.py' (or '.../site-packages/app/db.py') into 'src.app.db'."""
    relative = relative.rsplit("site-packages/", 1)[-1].lstrip("/")
    if relative.endswith(".py"):
        relative = relative[:-3]
    return relative.removesuffix("/__init__").replace("/", ".")


def _matches_one(pattern: str, absolute: str, relative: str, function: str) -> bool:
    """Match one allow pattern against one frame."""
    module, sep, func = pattern.rpartition(":")
    if sep and module and "/" not in module and not module.endswith(".py"):
        dotted = _dotted(relative)
        module_ok = fnmatch.fnmatchcase(dotted, module) or fnmatch.fnmatchcase(
            dotted, "*." + module
        )
        return module_ok and fnmatch.fnmatchcase(function, func or "*")
    posix_absolute = absolute.replace(os.sep, "/")
    return fnmatch.fnmatchcase(relative, pattern) or fnmatch.fnmatchcase(posix_absolute, pattern)
