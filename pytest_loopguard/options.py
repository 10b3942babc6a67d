"""Loopguard options: user text turned into checked values once, at the edge."""

from __future__ import annotations

import fnmatch
import os
import re
from typing import NamedTuple

import pytest

__all__ = [
    "ALLOW_HELP",
    "ENV_VAR",
    "MARKER_HELP",
    "MARKER_NAME",
    "MODE_HELP",
    "MODES",
    "REPORT_HELP",
    "THRESHOLD_HELP",
    "AllowList",
    "MarkerCache",
    "Settings",
    "closest_marker",
    "load_settings",
    "marker_threshold",
    "parse_duration",
    "resolve_threshold",
]

ENV_VAR = "LOOPGUARD"
MODES = ("fail", "warn")
MARKER_NAME = "loopguard"

# Parent node (module, class, ...) -> the loopguard marker closest to it, or None.
MarkerCache = dict[pytest.Item | pytest.Collector, pytest.Mark | None]

# Each help text is shared by the command-line option and the ini key.
THRESHOLD_HELP = (
    "fail tests during which an event loop was blocked longer than DURATION "
    "(e.g. 100ms, 0.5s, 500us; 0 or off disables). Also env LOOPGUARD."
)
MODE_HELP = "what a stall does: 'fail' the test (default) or 'warn' and keep the outcome."
REPORT_HELP = "write every stall as JSON to PATH (one record per stall)."
ALLOW_HELP = (
    "stalls to accept: 'module:function' or path glob patterns matched "
    "against the blocking frame, one per line."
)
MARKER_HELP = (
    "loopguard(duration): change the stall threshold for this test, class or "
    "module, e.g. loopguard('500ms'); loopguard('off') disables it."
)

_DURATION = re.compile(r"(?P<number>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>us|ms|s)")
_UNIT_SECONDS = {"us": 1e-6, "ms": 1e-3, "s": 1.0}
_OFF = {"0", "off"}


def parse_duration(text: object, source: str) -> float:
    """Turn '100ms', '0.5s' or '500us' into seconds; 0.0 means off.

    Raises pytest.UsageError naming `source` (where the text came from) for
    anything else, so users see what they typed and a valid example.
    """
    cleaned = str(text).strip().lower()
    if cleaned in _OFF:
        return 0.0
    match = _DURATION.fullmatch(cleaned)
    if match is None:
        raise pytest.UsageError(
            f"{source}: expected a duration such as 100ms or 0.5s, got {str(text)!r}"
        )
    return float(match["number"]) * _UNIT_SECONDS[match["unit"]]


class Settings(NamedTuple):
    """Session-wide loopguard settings, checked once at configure time."""

    threshold_seconds: float  # 0.0 when the session gives no threshold
    threshold_source: str  # where the threshold came from, for the header
    mode: str
    allow: AllowList
    report_path: str | None

    @property
    def warn_only(self) -> bool:
        """Tell whether stalls become warnings instead of failures."""
        return self.mode == "warn"


def _session_threshold(config: pytest.Config) -> tuple[float, str]:
    """Apply CLI > env > ini and return (seconds, source)."""
    cli = config.getoption("loopguard", default=None)
    if cli is not None:
        return parse_duration(cli, "--loopguard"), "--loopguard"
    env = os.environ.get(ENV_VAR)
    if env is not None and env.strip():
        return parse_duration(env, f"{ENV_VAR} environment variable"), ENV_VAR
    ini = config.getini("loopguard")
    if ini:
        return parse_duration(ini, "loopguard (ini)"), "ini"
    return 0.0, "default"


def _mode(config: pytest.Config) -> str:
    """Apply CLI > ini for the mode and check it."""
    cli = config.getoption("loopguard_mode", default=None)
    source, value = ("--loopguard-mode", cli) if cli else ("loopguard_mode (ini)", None)
    if value is None:
        value = config.getini("loopguard_mode") or "fail"
    cleaned = str(value).strip().lower()
    if cleaned not in MODES:
        raise pytest.UsageError(
            f"{source}: expected one of {', '.join(MODES)}, got {str(value)!r}"
        )
    return cleaned


def load_settings(config: pytest.Config) -> Settings:
    """Read and check every loopguard option; raise pytest.UsageError on bad input."""
    threshold_seconds, source = _session_threshold(config)
    lines = config.getini("loopguard_allow")
    allow = AllowList(tuple(line.strip() for line in lines if line.strip()))
    report_path = config.getoption("loopguard_report", default=None) or None
    return Settings(threshold_seconds, source, _mode(config), allow, report_path)


def closest_marker(item: pytest.Item, parents: MarkerCache | None = None) -> pytest.Mark | None:
    """Return the loopguard marker closest to `item`, as `get_closest_marker` does.

    `get_closest_marker` walks the item's whole node chain, which costs more
    than the rest of loopguard's work for a test. A test's parents (module,
    class) and their markers are settled once collection is over, so with a
    `parents` cache each parent is asked once per session.
    """
    for mark in item.own_markers:
        if mark.name == MARKER_NAME:
            return mark
    parent = item.parent
    if parent is None:
        return None
    if parents is None:
        return parent.get_closest_marker(MARKER_NAME)
    try:
        return parents[parent]
    except KeyError:
        found = parents[parent] = parent.get_closest_marker(MARKER_NAME)
        return found


def marker_threshold(item: pytest.Item, parents: MarkerCache | None = None) -> float | None:
    """Return the closest loopguard marker's threshold, or None without a marker.

    Raises pytest.UsageError when the marker's value is not a duration.
    """
    marker = closest_marker(item, parents)
    if marker is None:
        return None
    if len(marker.args) != 1 or marker.kwargs:
        raise pytest.UsageError(
            "@pytest.mark.loopguard: expected one duration such as '100ms' or 'off', "
            f"got args={marker.args!r} kwargs={marker.kwargs!r}"
        )
    return parse_duration(marker.args[0], "@pytest.mark.loopguard")


def resolve_threshold(
    settings: Settings, item: pytest.Item | None = None, parents: MarkerCache | None = None
) -> float:
    """Return the threshold in seconds for `item`: marker > the session's (CLI > env > ini).

    0.0 means loopguard is off. A marker may turn loopguard on for its tests
    even when the session has no threshold.
    """
    if item is not None:
        from_marker = marker_threshold(item, parents)
        if from_marker is not None:
            return from_marker
    return settings.threshold_seconds


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
