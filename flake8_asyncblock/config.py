"""`[tool.asyncblock]` and the command line, layered as ruff layers them, into one Config.

pyproject.toml is found and read once. Values are parsed by the options
table's parsers, each told where the value came from. Precedence: command
line > `[tool.asyncblock]` > default; rule selection is layered the same way
(a `select` in a later layer starts over, `extend-select` adds, `ignore` and
`extend-ignore` remove; within a layer the more specific prefix wins).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flake8_asyncblock.catalog import CATALOG
from flake8_asyncblock.options import OPTIONS, UsageError, by_name, rule_settings
from flake8_asyncblock.settings import Settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["Config", "Selection", "Table", "UsageError", "find_table", "load_config",
           "select_codes"]

#: Keys of `[tool.asyncblock]`, from the options table.
KEYS = tuple(option.name for option in OPTIONS if "config" in option.where)
_SELECTION = ("select", "extend-select", "ignore", "extend-ignore")


@dataclass(frozen=True)
class Table:
    """`[tool.asyncblock]` of one pyproject.toml, read once."""

    path: Path
    values: Mapping[str, Any]

    def where(self, key: str) -> str:
        return f"{self.path} [tool.asyncblock] {key}"


@dataclass(frozen=True)
class Selection:
    """One layer's rule selection (the config file's or the command line's)."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    extend_ignore: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    """What to check and how, every option parsed, after file and flags are layered."""

    codes: frozenset[str]
    settings: Settings
    exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    values: Mapping[str, Any] = field(default_factory=dict)
    source: Path | None = None


def find_table(start: Path) -> Table | None:
    """The `[tool.asyncblock]` of the nearest pyproject.toml at or above `start` that has one."""
    folder = start if _is_dir(start) else start.parent
    for candidate in (folder.resolve(), *folder.resolve().parents):
        path = candidate / "pyproject.toml"
        if _is_file(path):
            text = _read_text(path)
            if "asyncblock" in text:
                table = _parse(path, text)
                if table is not None:
                    return table
    return None


def read_table(path: Path) -> Table:
    """The `[tool.asyncblock]` of `path` (`--config`); an empty one if the file has none."""
    if not _is_file(path):
        raise UsageError(f"--config: no such file: {path}")
    return _parse(path, _read_text(path)) or Table(path, {})


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a folder we may not look into holds no config we can use
        return False


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read: {exc}") from None


def _parse(path: Path, text: str) -> Table | None:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: invalid TOML: {exc}") from None
    table = data.get("tool", {}).get("asyncblock")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise UsageError(f"{path}: [tool.asyncblock] must be a table")
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise UsageError(f"{path} [tool.asyncblock]: unknown key {unknown[0]!r} "
                         f"(expected one of: {', '.join(KEYS)})")
    return Table(path, table)


def load_config(flags: Mapping[str, Any], start: Path) -> Config:
    """Layer `flags` (option name -> raw value, only those given) over the config file.

    `--config FILE` names the file; `--isolated` reads none; otherwise the
    nearest pyproject.toml with a `[tool.asyncblock]` table above `start`.
    """
    if flags.get("isolated"):
        table = None
    elif flags.get("config") is not None:
        table = read_table(Path(flags["config"]))
    else:
        table = find_table(start)
    raw: dict[str, tuple[Any, str]] = {}
    if table is not None:
        raw.update({key: (value, table.where(key)) for key, value in table.values.items()})
    raw.update({name: (value, f"--{name}") for name, value in flags.items() if value is not None})
    values = {o.name: o.parse(*raw[o.name]) if o.name in raw else o.default for o in OPTIONS}
    layers = [_selection(table.values, table.where) if table else Selection(),
              _selection(flags, lambda key: f"--{key}")]
    base = Path.cwd()
    return Config(
        codes=select_codes(layers),
        settings=rule_settings(raw),
        exclude=_anchored(_exclude(raw, table, base)),
        per_file_ignores=tuple((_anchored(((pattern, anchor),))[0], listed)
                               for pattern, listed, anchor in _per_file(raw, table, base)),
        values=values,
        source=table.path if table else None,
    )


def _selection(values: Mapping[str, Any], where: Any) -> Selection:
    parsed = {key: by_name(key).parse(values[key], where(key))
              for key in _SELECTION if values.get(key) is not None}
    return Selection(parsed.get("select"), parsed.get("extend-select", ()),
                     parsed.get("ignore", ()), parsed.get("extend-ignore", ()))


def select_codes(layers: Sequence[Selection]) -> frozenset[str]:
    """The codes on after each layer in turn, starting from the rules on by default."""
    enabled = {rule.code for rule in CATALOG if rule.default_enabled}
    for layer in layers:
        base = set() if layer.select is not None else enabled
        picks = (*(layer.select or ()), *layer.extend_select)
        drops = (*layer.ignore, *layer.extend_ignore)
        enabled = {rule.code for rule in CATALOG if _on(rule.code, base, picks, drops)}
    return frozenset(enabled)


def _on(code: str, base: set[str], picks: Sequence[str], drops: Sequence[str]) -> bool:
    pick = max((len(p) for p in picks if code.startswith(p)), default=-1)
    drop = max((len(d) for d in drops if code.startswith(d)), default=-1)
    if pick < 0 and drop < 0:
        return code in base
    return pick > drop


def _anchor(table: Table | None, where: str, cwd: Path) -> Path:
    """The folder a `/` pattern is relative to: the config file's, or the cwd for a flag."""
    return table.path.parent if table is not None and not where.startswith("--") else cwd


def _exclude(raw: Mapping[str, tuple[Any, str]], table: Table | None,
             cwd: Path) -> tuple[tuple[str, Path], ...]:
    if "exclude" not in raw:
        return ()
    value, where = raw["exclude"]
    return tuple((p, _anchor(table, where, cwd)) for p in by_name("exclude").parse(value, where))


def _per_file(raw: Mapping[str, tuple[Any, str]], table: Table | None,
              cwd: Path) -> list[tuple[str, tuple[str, ...], Path]]:
    if "per-file-ignores" not in raw:
        return []
    value, where = raw["per-file-ignores"]
    anchor = _anchor(table, where, cwd)
    return [(p, c, anchor) for p, c in by_name("per-file-ignores").parse(value, where)]


def _anchored(patterns: Sequence[tuple[str, Path]]) -> tuple[str, ...]:
    """Patterns with a slash are made absolute against their anchor folder."""
    out = []
    for pattern, anchor in patterns:
        pattern = pattern.rstrip("/")
        if "/" in pattern and not pattern.startswith(("*", "/")):
            pattern = str((anchor / pattern).resolve())
        out.append(pattern)
    return tuple(out)
