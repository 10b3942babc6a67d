"""Frozen Settings built once from the `--asyncblock-*` options, and the options table."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["OPTIONS", "Option", "Settings", "SettingsError", "parse_args"]


class SettingsError(ValueError):
    """An option value that cannot be used; the message names the option."""


@dataclass(frozen=True)
class Option:
    """One `--asyncblock-*` option as flake8, the docs and the tests see it."""

    flag: str
    dest: str
    kind: str
    default: str
    help: str
    comma_separated_list: bool = False


OPTIONS: tuple[Option, ...] = (
    Option(
        flag="--asyncblock-blocking",
        dest="asyncblock_blocking",
        kind="comma-separated dotted names",
        default="",
        help="Extra calls that block the event loop, as module.func or "
        "module.Class.method, reported as ABL900 inside coroutines.",
        comma_separated_list=True,
    ),
    Option(
        flag="--asyncblock-range-limit",
        dest="asyncblock_range_limit",
        kind="positive integer",
        default="10000",
        help="Loops over range() with a constant bound at or above this many "
        "iterations count as CPU-bound work without an await.",
    ),
)

_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*\Z")


@dataclass(frozen=True)
class Settings:
    """Everything the rules read from the user, validated once."""

    blocking: frozenset[str] = frozenset()
    range_limit: int = 10_000

    @classmethod
    def from_options(cls, options: Any) -> Settings:
        """Build Settings from a flake8 or argparse namespace; raise SettingsError."""
        blocking = getattr(options, "asyncblock_blocking", None)
        limit = getattr(options, "asyncblock_range_limit", None)
        return cls(
            blocking=_parse_blocking(blocking),
            range_limit=_parse_limit(limit),
        )


def _parse_blocking(value: str | Iterable[str] | None) -> frozenset[str]:
    if value is None:
        return frozenset()
    items = value.split(",") if isinstance(value, str) else value
    names = [item.strip() for item in items if item.strip()]
    for name in names:
        if not _DOTTED.match(name):
            raise SettingsError(
                "--asyncblock-blocking: expected dotted names such as "
                f"vendor.db.query, got {name!r}"
            )
    return frozenset(names)


def _parse_limit(value: str | int | None) -> int:
    if value is None:
        return Settings.range_limit
    try:
        limit = int(value)
    except (TypeError, ValueError):
        limit = 0
    if limit < 1 or isinstance(value, bool):
        raise SettingsError(
            f"--asyncblock-range-limit: expected a positive integer such as 10000, got {value!r}"
        )
    return limit


def parse_args(args: Sequence[str]) -> tuple[Settings, list[str]]:
    """Read the `--asyncblock-*` options from `args` without flake8.

    Returns the Settings and the arguments that are not ours (such as flake8's
    `--extend-select`), for callers that check code in-process.
    """
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    for option in OPTIONS:
        parser.add_argument(option.flag, dest=option.dest, default=None)
    namespace, rest = parser.parse_known_args(list(args))
    return Settings.from_options(namespace), rest
