"""`[tool.asyncblock]` in pyproject.toml and the command-line flags, merged into one Config."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flake8_asyncblock.registry import RULES
from flake8_asyncblock.settings import Settings, SettingsError

__all__ = ["KEYS", "Config", "UsageError", "find_pyproject", "load_config", "select_codes"]

#: Keys of `[tool.asyncblock]`; each has a command-line flag of the same name.
KEYS = ("select", "ignore", "blocking", "range-limit", "exclude")
_CODE = re.compile(r"[A-Z]+[0-9]*\Z")


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit status 2."""


@dataclass(frozen=True)
class Config:
    """What to check and how, after config file and flags are merged."""

    codes: frozenset[str]
    settings: Settings
    exclude: tuple[str, ...] = ()
    source: Path | None = None


def find_pyproject(start: Path) -> Path | None:
    """Return the nearest pyproject.toml at or above `start` that has `[tool.asyncblock]`."""
    folder = start if start.is_dir() else start.parent
    for candidate in (folder.resolve(), *folder.resolve().parents):
        path = candidate / "pyproject.toml"
        if _is_file(path) and "asyncblock" in _read_text(path) and _table(path):
            return path
    return None


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a folder we may not look into holds no config we can use
        return False


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read: {exc}") from None


def _table(path: Path) -> Mapping[str, Any] | None:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ModuleNotFoundError:
            raise UsageError(
                f"{path}: reading pyproject.toml needs Python 3.11 or the 'tomli' package"
            ) from None
    try:
        data = tomllib.loads(_read_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: invalid TOML: {exc}") from None
    table = data.get("tool", {}).get("asyncblock")
    if table is not None and not isinstance(table, dict):
        raise UsageError(f"{path}: [tool.asyncblock] must be a table")
    return table


def load_config(flags: Mapping[str, Any], config_path: Path | None, start: Path) -> Config:
    """Merge `flags` (key -> value or None when not given) over the config file.

    `config_path` is `--config`; without it the nearest pyproject.toml with a
    `[tool.asyncblock]` table above `start` is used, if any.
    """
    if config_path is not None and not config_path.is_file():
        raise UsageError(f"--config: no such file: {config_path}")
    path = config_path or find_pyproject(start)
    table = dict((_table(path) or {}) if path else {})
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise UsageError(
            f"{path} [tool.asyncblock]: unknown key {unknown[0]!r} "
            f"(expected one of: {', '.join(KEYS)})"
        )
    values: dict[str, tuple[str, Any]] = {
        key: (f"{path} [tool.asyncblock] {key}", value) for key, value in table.items()
    }
    for key, value in flags.items():
        if value is not None:
            values[key] = (f"--{key}", value)
    select = _codes(*values["select"]) if "select" in values else None
    ignore = _codes(*values["ignore"]) if "ignore" in values else []
    return Config(
        codes=select_codes(select, ignore),
        settings=_settings(values),
        exclude=_exclude(values.get("exclude"), path),
        source=path,
    )


def _strings(where: str, value: Any) -> list[str]:
    """Accept a comma-separated string or a list of strings."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return [item.strip() for item in value if item.strip()]
    raise UsageError(f"{where}: expected a list of strings or a comma-separated string")


def _codes(where: str, value: Any) -> list[str]:
    codes = [code.upper() for code in _strings(where, value)]
    known = [rule.code for rule in RULES]
    for code in codes:
        if not _CODE.match(code) or not any(k.startswith(code) for k in known):
            raise UsageError(
                f"{where}: unknown code {code!r} (known: {', '.join(known)}; "
                "a prefix such as ABL1 selects a family)"
            )
    return codes


def select_codes(select: Sequence[str] | None, ignore: Sequence[str]) -> frozenset[str]:
    """Apply flake8's prefix semantics: `select` (default: rules on by default) minus `ignore`."""
    chosen = set()
    for rule in RULES:
        on = rule.code.startswith(tuple(select)) if select is not None else rule.default_enabled
        if on and not rule.code.startswith(tuple(ignore)):
            chosen.add(rule.code)
    return frozenset(chosen)


def _settings(values: Mapping[str, tuple[str, Any]]) -> Settings:
    blocking = values.get("blocking")
    limit = values.get("range-limit")
    try:
        return Settings(
            blocking=Settings.from_options(
                _Namespace(asyncblock_blocking=_strings(*blocking) if blocking else None)
            ).blocking,
            range_limit=Settings.from_options(
                _Namespace(asyncblock_range_limit=limit[1] if limit else None)
            ).range_limit,
        )
    except SettingsError as exc:
        where = (limit if "range-limit" in str(exc) else blocking) or ("", None)
        detail = str(exc).split(": ", 1)[-1]
        raise UsageError(f"{where[0]}: {detail}") from None


class _Namespace:
    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


def _exclude(value: tuple[str, Any] | None, path: Path | None) -> tuple[str, ...]:
    """Patterns with a slash are made absolute against the config file's folder (or the cwd)."""
    if value is None:
        return ()
    where, raw = value
    base = path.parent if path is not None and where != "--exclude" else Path.cwd()
    patterns = []
    for pattern in _strings(where, raw):
        pattern = pattern.rstrip("/")
        if "/" in pattern and not pattern.startswith(("*", "/")):
            pattern = str((base / pattern).resolve())
        patterns.append(pattern)
    return tuple(patterns)
