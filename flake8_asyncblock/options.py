"""The linter's options, each defined once: flake8 options, `[tool.asyncblock]` keys and CLI flags.

Every option is a row of OPTIONS: its name (the config key; `--NAME` on the
`asyncblock` command line; `--asyncblock-NAME` under flake8 for the rule
settings), where it may be set, its default, its help text, and a parser that
takes `(value, where)` and raises UsageError naming `where`. The parsers are
the only place user text becomes values, for both front ends.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from flake8_asyncblock.catalog import CATALOG
from flake8_asyncblock.formats import FORMATS
from flake8_asyncblock.settings import Settings

__all__ = [
    "FLAKE8_OPTIONS", "OPTIONS", "Option", "UsageError", "Where", "by_name", "parse_args",
    "rule_settings",
]

Where = Literal["cli", "config", "flake8"]
_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*\Z")
_CODE = re.compile(r"[A-Z]+[0-9]*\Z")


class UsageError(Exception):
    """Bad input from the user: printed as one line naming where it came from, exit status 2."""


def strings(value: Any, where: str) -> tuple[str, ...]:
    """A comma-separated string or a list of strings, each stripped; empty items are errors."""
    if isinstance(value, str):
        items = value.split(",")
        items = items[:-1] if len(items) > 1 and not items[-1].strip() else items  # "a,b,"
    elif isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        items = list(value)
    else:
        raise UsageError(f"{where}: expected a list of strings or a comma-separated string, "
                         f"got {value!r}")
    stripped = tuple(item.strip() for item in items)
    if value and not all(stripped):
        raise UsageError(f"{where}: empty entry in {value!r}")
    return tuple(item for item in stripped if item)


def codes(value: Any, where: str) -> tuple[str, ...]:
    """Rule codes or prefixes (`ABL100`, `ABL1`, `ABL`), checked against the registry."""
    known = [rule.code for rule in CATALOG]
    found = tuple(code.upper() for code in strings(value, where))
    for code in found:
        if not _CODE.match(code) or not any(k.startswith(code) for k in known):
            raise UsageError(f"{where}: unknown code {code!r} (known: {', '.join(known)}; "
                             "a prefix such as ABL1 selects a family)")
    return found


def dotted_names(value: Any, where: str) -> frozenset[str]:
    names = strings(value, where)
    for name in names:
        if not _DOTTED.match(name):
            raise UsageError(f"{where}: expected dotted names such as vendor.db.query, got {name!r}")
    return frozenset(names)


def positive_int(example: int) -> Callable[[Any, str], int]:
    """A parser of integers >= 1, from text or TOML; `1.5`, `true` and `"10k"` are refused."""
    def parse(value: Any, where: str) -> int:
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and value.strip().isdigit():
            number = int(value)
        if number is None or number < 1:
            raise UsageError(f"{where}: expected a positive integer such as {example}, "
                             f"got {value!r}")
        return number
    return parse


def boolean(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    raise UsageError(f"{where}: expected true or false, got {value!r}")


def choice(*allowed: str) -> Callable[[Any, str], str]:
    def parse(value: Any, where: str) -> str:
        if value not in allowed:
            raise UsageError(f"{where}: expected one of {', '.join(allowed)}, got {value!r}")
        return str(value)
    parse.__doc__ = f"One of {', '.join(allowed)}."
    return parse


def text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise UsageError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def per_file_ignores(value: Any, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """`{"tests/*.py" = ["ABL100"]}` in the config; `tests/*.py:ABL100,ABL1;...` as a flag."""
    if isinstance(value, str):
        pairs = []
        for entry in filter(None, (part.strip() for part in value.split(";"))):
            pattern, colon, listed = entry.rpartition(":")
            if not colon or not pattern.strip():
                raise UsageError(f"{where}: expected PATTERN:CODES[;...], got {entry!r}")
            pairs.append((pattern.strip(), listed))
    elif isinstance(value, Mapping):
        pairs = list(value.items())
    else:
        raise UsageError(f"{where}: expected a table of glob = [codes], got {value!r}")
    return tuple((str(pattern), codes(listed, f"{where} {pattern!r}")) for pattern, listed in pairs)


@dataclass(frozen=True)
class Option:
    """One option: everything its three surfaces and the docs need."""

    name: str
    parse: Callable[[Any, str], Any]
    default: Any
    kind: str
    help: str
    where: frozenset[Where] = frozenset({"cli", "config"})
    switch: bool = False  # a flag without a value on the command line
    many: bool = False  # a list: comma-separated on a command line
    short: str = ""
    metavar: str = ""

    @property
    def flag(self) -> str:
        return f"--{self.name}"

    @property
    def flake8_flag(self) -> str:
        return f"--asyncblock-{self.name}"

    @property
    def field(self) -> str:
        """The attribute of Settings (for the rule settings) that holds the value."""
        return self.name.replace("-", "_")

    @property
    def dest(self) -> str:
        """The attribute on argparse's namespace: flake8 adds its `asyncblock_` prefix."""
        return f"asyncblock_{self.field}" if "flake8" in self.where else self.field

    @property
    def shown_default(self) -> str:
        """The default as the docs show it."""
        if self.default is None or self.default in ((), frozenset()):
            return "none"
        if isinstance(self.default, bool):
            return "true" if self.default else "false"
        return str(self.default)


_BOTH: frozenset[Where] = frozenset({"cli", "config"})
_CLI: frozenset[Where] = frozenset({"cli"})
_RULES: frozenset[Where] = frozenset({"cli", "config", "flake8"})

OPTIONS: tuple[Option, ...] = (
    Option("select", codes, None, "codes", "Codes or prefixes to check, replacing the default "
           "selection (the rules on by default).", many=True, metavar="CODES"),
    Option("extend-select", codes, (), "codes", "Codes or prefixes to check in addition, "
           "such as the rules that are off by default.", many=True, metavar="CODES"),
    Option("ignore", codes, (), "codes", "Codes or prefixes to skip.", many=True, metavar="CODES"),
    Option("extend-ignore", codes, (), "codes", "Codes or prefixes to skip in addition.",
           many=True, metavar="CODES"),
    Option("per-file-ignores", per_file_ignores, (), "glob -> codes", "Codes to skip in the "
           "files a glob matches: `PATTERN:CODES;...` as a flag, a table in the config.",
           metavar="PATTERN:CODES"),
    Option("blocking", dotted_names, frozenset(), "comma-separated dotted names",
           "Extra calls that block the event loop, as module.func or module.Class.method, "
           "reported as ABL900 inside coroutines.", where=_RULES, many=True, metavar="NAMES"),
    Option("range-limit", positive_int(10_000), 10_000, "positive integer",
           "Loops over range() with a constant bound at or above this many iterations count "
           "as CPU-bound work without an await.", where=_RULES, metavar="N"),
    Option("exclude", strings, (), "globs", "Files and folders to skip: a name glob anywhere "
           "(`*_pb2.py`), or a path glob with `/` relative to the config file.", many=True,
           metavar="GLOBS"),
    Option("respect-gitignore", boolean, True, "boolean", "Skip what git ignores "
           "(`--no-gitignore` on the command line turns it off).", where=frozenset({"config"})),
    Option("no-gitignore", boolean, False, "switch", "Also check files git ignores.",
           where=_CLI, switch=True),
    Option("force-exclude", boolean, False, "switch", "Apply `exclude` and the always-skipped "
           "folders also to the paths named on the command line and to --stdin-filename, as "
           "ruff's option does (for pre-commit, which names every file).", switch=True),
    Option("format", choice(*FORMATS), "text", "format",
           f"Output format: {', '.join(FORMATS)} (docs/cli.md describes each).",
           metavar="FORMAT"),
    Option("color", choice("auto", "always", "never"), "auto", "auto, always or never",
           "Colour the text output: `auto` colours a terminal (a non-empty `NO_COLOR` turns "
           "it off, `FORCE_COLOR` on, also in a pipe).", where=_CLI, metavar="WHEN"),
    Option("show-source", boolean, False, "switch", "Print the source line under each "
           "finding, the flagged code underlined (text format).", switch=True),
    Option("show-fixes", boolean, False, "switch", "With --fix or --diff, list the fixes by "
           "file and code; without, mark with `[*]` the findings --fix would rewrite.",
           switch=True),
    Option("output-file", text, None, "path", "Write the report to this file instead of "
           "standard output.", where=_CLI, short="-o", metavar="PATH"),
    Option("stdin-filename", text, None, "path", "Read the code from standard input (as `-` "
           "does) and name it so: the name picks the configuration and the per-file ignores.",
           where=_CLI, metavar="PATH"),
    Option("config", text, None, "path", "Read `[tool.asyncblock]` from this pyproject.toml "
           "instead of searching for one.", where=_CLI, metavar="FILE"),
    Option("isolated", boolean, False, "switch", "Read no configuration file.", where=_CLI,
           switch=True),
    Option("jobs", positive_int(4), None, "positive integer", "Worker processes (default: all "
           "cores; fewer than 48 files stay in one process).", where=_CLI, short="-j",
           metavar="N"),
    Option("fix", boolean, False, "switch", "Rewrite files in place with the safe fixes.",
           where=_CLI, switch=True),
    Option("diff", boolean, False, "switch", "Print the fixes as a unified diff; write nothing.",
           where=_CLI, switch=True),
    Option("unsafe-fixes", boolean, False, "switch", "With --fix or --diff: also apply the "
           "fixes that may change behaviour.", switch=True),
    Option("no-cache", boolean, False, "switch", "Neither read nor write the cache of results "
           "(`.asyncblock_cache/`).", where=_CLI, switch=True),
    Option("cache-dir", text, None, "path", "Where to keep the cache of results (default: "
           "`.asyncblock_cache` beside the configuration file, else in the current folder).",
           metavar="PATH"),
    Option("statistics", boolean, False, "switch", "Print how many findings each code has, "
           "instead of the findings.", where=_CLI, switch=True),
    Option("exit-zero", boolean, False, "switch", "Exit 0 even when findings are left "
           "(usage and file errors still fail).", where=_CLI, switch=True),
)

_BY_NAME = {option.name: option for option in OPTIONS}
#: The rows flake8 knows, as `--asyncblock-NAME`: the settings the rules read.
FLAKE8_OPTIONS = tuple(option for option in OPTIONS if "flake8" in option.where)


def by_name(name: str) -> Option:
    return _BY_NAME[name]


def rule_settings(values: Mapping[str, tuple[Any, str]]) -> Settings:
    """Settings from raw values by option name, each with where it came from."""
    parsed = {}
    for option in FLAKE8_OPTIONS:
        if option.name in values:
            raw, where = values[option.name]
            parsed[option.field] = option.parse(raw, where)
    return Settings(**parsed)


def parse_args(args: Sequence[str]) -> tuple[Settings, list[str]]:
    """Read the `--asyncblock-*` options from `args` without flake8.

    Returns the Settings and the arguments that are not ours (such as flake8's
    `--extend-select`), for callers that check code in-process.
    """
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    for option in FLAKE8_OPTIONS:
        parser.add_argument(option.flake8_flag, dest=option.dest, default=None)
    namespace, rest = parser.parse_known_args(list(args))
    values = {option.name: (getattr(namespace, option.dest), option.flake8_flag)
              for option in FLAKE8_OPTIONS if getattr(namespace, option.dest) is not None}
    return rule_settings(values), rest
