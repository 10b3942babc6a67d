"""Job: what the command does to each file (codes, settings, mode), as plain data that pickles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from flake8_asyncblock.context import Project
from flake8_asyncblock.discover import matches
from flake8_asyncblock.settings import Settings

__all__ = ["Job", "Mode"]

Mode = Literal["check", "fix", "diff"]


@dataclass(frozen=True)
class Job:
    """What to do with each file: which codes, which settings, and fix mode."""

    codes: frozenset[str]
    settings: Settings
    mode: Mode = "check"
    unsafe: bool = False
    #: The blocking functions of every checked file, for the ABL2xx rules.
    project: Project | None = None
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def codes_for(self, path: str | None) -> frozenset[str]:
        """The codes checked in `path`: `codes` less its per-file ignores."""
        dropped = tuple(c for pattern, listed in self.per_file_ignores
                        if path and matches(path, pattern) for c in listed)
        return frozenset(c for c in self.codes if not c.startswith(dropped)) if dropped else self.codes
