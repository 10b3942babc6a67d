"""Settings: what the rules read from the user, validated once (by the options table's parsers)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Settings"]


@dataclass(frozen=True)
class Settings:
    """The rule settings; options.py builds them from flags, flake8 options or the config."""

    blocking: frozenset[str] = frozenset()
    range_limit: int = 10_000
