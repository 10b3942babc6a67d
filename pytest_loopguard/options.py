"""Loopguard options: one OPTIONS table, and user text turned into checked values once, at the edge.

Each option is written once, in OPTIONS: the command-line flags, the ini keys,
`--help`, the settings of the session and the options tables of README.md and
docs/loopguard.md (docs/generate_options.py) all come from it.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from typing import Any, Literal, NamedTuple

import pytest

from pytest_loopguard.allow import AllowList

__all__ = [
    "CALLS_MODES",
    "ENV_VAR",
    "LOGGING_POLICIES",
    "MARKER_NAME",
    "MAX_THRESHOLD_SECONDS",
    "MIN_THRESHOLD_SECONDS",
    "MODES",
    "BY_NAME",
    "OPTIONS",
    "CallsMode",
    "Mode",
    "Option",
    "Settings",
    "Where",
    "add_options",
    "load_settings",
    "parse_allow",
    "parse_call_names",
    "parse_calls_mode",
    "parse_duration",
    "parse_logging_policy",
    "parse_threshold",
    "parse_mode",
    "parse_path",
    "session_value",
]

ENV_VAR = "LOOPGUARD"
MARKER_NAME = "loopguard"
Mode = Literal["fail", "warn"]
MODES: tuple[Mode, ...] = ("fail", "warn")
CallsMode = Literal["fail", "warn", "off"]
CALLS_MODES: tuple[CallsMode, ...] = ("fail", "warn", "off")
# What calls mode does with the I/O of logging's handlers: "report" counts it.
LOGGING_POLICIES = ("ignore", "report")
# Where an option may be set, strongest first.
Where = Literal["marker", "command line", "environment", "ini"]

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


# Below a millisecond the watchdog (which wakes at most once a millisecond) cannot sample
# a stall and libuv's timers, which count whole milliseconds, cannot time one.
MIN_THRESHOLD_SECONDS = 0.001
# The watchdog waits up to half the threshold: the longest wait the platform allows, doubled.
MAX_THRESHOLD_SECONDS = 2 * threading.TIMEOUT_MAX


def parse_threshold(text: object, source: str) -> float:
    """Turn a threshold's text into seconds (0.0: off), refusing what cannot be measured."""
    seconds = parse_duration(text, source)
    if seconds == 0.0:
        return seconds
    if seconds < MIN_THRESHOLD_SECONDS:
        raise pytest.UsageError(
            f"{source}: {str(text).strip()!r} is below the smallest stall loopguard can "
            "measure, 1ms"
        )
    if seconds > MAX_THRESHOLD_SECONDS:
        raise pytest.UsageError(
            f"{source}: {str(text).strip()!r} is longer than the clock can wait for, "
            f"{MAX_THRESHOLD_SECONDS:.0f}s"
        )
    return seconds


def parse_mode(text: object, source: str) -> Mode:
    """Turn 'fail' or 'warn' (any case) into a Mode; raise a usage error naming `source`."""
    cleaned = str(text).strip().lower()
    for mode in MODES:
        if cleaned == mode:
            return mode
    raise pytest.UsageError(f"{source}: expected one of {', '.join(MODES)}, got {str(text)!r}")


def parse_calls_mode(text: object, source: str) -> CallsMode:
    """Turn 'fail', 'warn' or 'off' (any case) into a CallsMode; raise a usage error naming `source`."""
    cleaned = str(text).strip().lower()
    for mode in CALLS_MODES:
        if cleaned == mode:
            return mode
    raise pytest.UsageError(
        f"{source}: expected one of {', '.join(CALLS_MODES)}, got {str(text)!r}"
    )


def parse_logging_policy(text: object, source: str) -> bool:
    """Turn 'ignore' or 'report' into whether logging handlers' calls count."""
    cleaned = str(text).strip().lower()
    if cleaned not in LOGGING_POLICIES:
        raise pytest.UsageError(
            f"{source}: expected one of {', '.join(LOGGING_POLICIES)}, got {str(text)!r}"
        )
    return cleaned == "report"


def parse_call_names(lines: object, source: str) -> tuple[str, ...]:
    """Turn the ini key's lines into call name patterns, several per line allowed."""
    if isinstance(lines, str):
        lines = lines.splitlines()
    if not isinstance(lines, (list, tuple)):
        raise pytest.UsageError(f"{source}: expected call names such as os.stat, got {lines!r}")
    return tuple(word for line in lines for word in str(line).split())


def parse_allow(lines: object, source: str) -> AllowList:
    """Turn the ini key's lines into an AllowList; blank lines are skipped."""
    if isinstance(lines, str):
        lines = lines.splitlines()
    if not isinstance(lines, (list, tuple)):
        raise pytest.UsageError(f"{source}: expected patterns, one per line, got {lines!r}")
    return AllowList(tuple(str(line).strip() for line in lines if str(line).strip()))


def parse_path(text: object, source: str) -> str | None:
    """Keep a file path as given; unset means none, an empty one given is an error."""
    if source != "default" and not str(text).strip():
        raise pytest.UsageError(f"{source}: expected a file path, got {str(text)!r}")
    return str(text) or None


class Option(NamedTuple):
    """One loopguard option: its name, how the docs show it, where it may be set, its parser."""

    name: str  # the ini key and the flag's dest; the flag is --name with dashes
    metavar: str  # what the docs and --help call the value
    type: str  # as the docs name it
    default: str  # the text the parser gets when the option is set nowhere
    shown_default: str  # the default as the docs show it
    help: str  # for --help, shared by the flag and the ini key
    meaning: str  # for the README's table
    where: tuple[Where, ...]  # strongest first
    parse: Callable[[Any, str], Any]  # (value, where it came from) -> value, or UsageError
    ini_type: Literal["string", "linelist"] = "string"

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return self.name.upper()

    def spelled(self, where: Where) -> str:
        """Return how a user writes this option in one place, e.g. `LOOPGUARD=DURATION`."""
        value = self.metavar
        if where == "command line":
            return f"{self.flag}={value}"
        if where == "environment":
            return f"{self.env}={value}"
        if where == "marker":
            return f"@pytest.mark.{MARKER_NAME}({value})"
        return f"{self.name} = {value}" if value else self.name

    def source(self, where: Where) -> str:
        """Name one place of this option in a usage error, e.g. `loopguard (ini)`."""
        if where == "command line":
            return self.flag
        if where == "environment":
            return f"{self.env} environment variable"
        if where == "marker":
            return f"@pytest.mark.{MARKER_NAME}"
        return f"{self.name} (ini)"


OPTIONS: tuple[Option, ...] = (
    Option(
        name="loopguard",
        metavar="DURATION",
        type="duration",
        default="off",
        shown_default="off",
        help="fail tests during which an event loop was blocked longer than DURATION "
        "(e.g. 100ms, 0.5s, 2500us; 0 or off disables). Also env LOOPGUARD.",
        meaning="Threshold: `2500us`, `100ms`, `0.25s`, at least 1 ms; `0` or `off` turns it "
        'off. A marker overrides it for its test, class or module; `"off"` disables.',
        where=("marker", "command line", "environment", "ini"),
        parse=parse_threshold,
    ),
    Option(
        name="loopguard_mode",
        metavar="MODE",
        type="`fail` or `warn`",
        default="fail",
        shown_default="`fail`",
        help="what a stall does: 'fail' the test (default) or 'warn' and keep the outcome.",
        meaning="`warn` reports stalls as `LoopguardWarning`s and keeps outcomes.",
        where=("command line", "ini"),
        parse=parse_mode,
    ),
    Option(
        name="loopguard_allow",
        metavar="",
        type="list of patterns, one per line",
        default="",
        shown_default="empty",
        help="stalls to accept: 'module:function' or path glob patterns matched "
        "against the blocking frame, one per line.",
        meaning="Accepted stalls, by `module:function` or path glob of the blocking frame.",
        where=("ini",),
        parse=parse_allow,
        ini_type="linelist",
    ),
    Option(
        name="loopguard_report",
        metavar="PATH",
        type="file path",
        default="",
        shown_default="none",
        help="write every stall as JSON to PATH (one record per stall).",
        meaning="Writes every stall as JSON (test id, phase, ms, file, line, stack) for CI tools.",
        where=("command line",),
        parse=parse_path,
    ),
    Option(
        name="loopguard_calls",
        metavar="MODE",
        type="`fail`, `warn` or `off`",
        default="off",
        shown_default="`off`",
        help="calls mode: what a known blocking call made on a running event loop does, "
        "however fast: 'fail' the test, 'warn', or 'off' (default).",
        meaning="Calls mode: `fail` or `warn` on any known blocking call made on a running loop, "
        'however fast. `@pytest.mark.loopguard(calls="off")` switches it per test, class or module.',
        where=("command line", "ini"),
        parse=parse_calls_mode,
    ),
    Option(
        name="loopguard_allow_calls",
        metavar="",
        type="call names (fnmatch patterns), space or line separated",
        default="",
        shown_default="empty",
        help="blocking calls to accept in calls mode, by name: e.g. os.stat socket.getaddrinfo",
        meaning="Accepted blocking calls, by name (`os.stat socket.getaddrinfo`).",
        where=("ini",),
        parse=parse_call_names,
        ini_type="linelist",
    ),
    Option(
        name="loopguard_calls_logging",
        metavar="POLICY",
        type="`ignore` or `report`",
        default="ignore",
        shown_default="`ignore`",
        help="calls mode and logging handlers: 'ignore' (default) never counts their I/O, "
        "'report' counts it like any other call.",
        meaning="`report` counts the I/O of logging handlers in calls mode too.",
        where=("ini",),
        parse=parse_logging_policy,
    ),
)
BY_NAME = {option.name: option for option in OPTIONS}


def add_options(parser: pytest.Parser) -> None:
    """Declare every option's flag and ini key to pytest."""
    group = parser.getgroup("loopguard", "event loop stall detection")
    for option in OPTIONS:
        if "command line" in option.where:
            group.addoption(
                option.flag, dest=option.name, metavar=option.metavar, help=option.help
            )
    for option in OPTIONS:
        if "ini" in option.where:
            default: object = [] if option.ini_type == "linelist" else ""
            parser.addini(option.name, option.help, type=option.ini_type, default=default)


def _given(config: pytest.Config, option: Option, where: Where) -> object | None:
    """Return what the session gives `option` in one place, None when it is not set there."""
    if where == "command line":
        value: object = config.getoption(option.name, default=None)
        return value
    if where == "environment":
        text = os.environ.get(option.env)
        return text if text is not None and text.strip() else None
    if where == "ini":
        return config.getini(option.name) or None
    return None  # the marker is read per test


def session_value(config: pytest.Config, name: str) -> tuple[Any, str]:
    """Return an option's value for the session and where it came from (flag, env, ini, default)."""
    option = BY_NAME[name]
    for where in option.where:
        value = _given(config, option, where)
        if value is not None:
            source = {"command line": option.flag, "environment": option.env}.get(where, "ini")
            return option.parse(value, option.source(where)), source
    return option.parse(option.default, "default"), "default"


class Settings(NamedTuple):
    """Session-wide loopguard settings, checked once at configure time."""

    threshold_seconds: float  # 0.0 when the session gives no threshold
    threshold_source: str  # where the threshold came from, for the header
    mode: Mode
    allow: AllowList
    report_path: str | None
    calls_mode: CallsMode = "off"
    allow_calls: tuple[str, ...] = ()  # call name patterns calls mode accepts
    count_logging: bool = False  # calls mode counts logging handlers' calls

    @property
    def warn_only(self) -> bool:
        """Tell whether stalls become warnings instead of failures."""
        return self.mode == "warn"


def load_settings(config: pytest.Config) -> Settings:
    """Read and check every loopguard option; raise pytest.UsageError on bad input."""
    threshold_seconds, source = session_value(config, "loopguard")
    return Settings(
        threshold_seconds,
        source,
        session_value(config, "loopguard_mode")[0],
        session_value(config, "loopguard_allow")[0],
        session_value(config, "loopguard_report")[0],
        session_value(config, "loopguard_calls")[0],
        session_value(config, "loopguard_allow_calls")[0],
        session_value(config, "loopguard_calls_logging")[0],
    )
