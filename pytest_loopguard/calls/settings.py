"""Calls mode per test: the marker, the session's records, and whether a guard is needed.

The options themselves (`--loopguard-calls`, `loopguard_calls`,
`loopguard_allow_calls`, `loopguard_calls_logging`) live in the OPTIONS table
of `pytest_loopguard.options`, with every other loopguard option. The
`loopguard(calls=...)` marker beats them for its test, class or module.
"""

from __future__ import annotations

import fnmatch
from typing import Any, Protocol

import pytest

from pytest_loopguard.marker import MarkerCache
from pytest_loopguard.options import MARKER_NAME, CallsMode, Settings, parse_calls_mode

__all__ = [
    "CALLS_ATTRIBUTE",
    "CALL_RECORDS_KEY",
    "MARKER_SOURCE",
    "CallRecords",
    "ErrorSource",
    "allows",
    "marker_calls",
    "needs_guard",
]

# The attribute of TestReport that carries call records (plain dicts); pytest
# serializes every report attribute, so xdist brings it to the controller.
CALLS_ATTRIBUTE = "loopguard_calls"
MARKER_SOURCE = f"@pytest.mark.{MARKER_NAME}(calls=...)"


class ErrorSource(Protocol):
    """What keeps the calls probe's own errors (its CallRecorder)."""

    error_count: int
    errors: list[BaseException]


class CallRecords:
    """The session's call records: made here by the guard, or sent by xdist workers."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.used = False  # calls mode was on for the session or some of its tests
        self.errors: ErrorSource | None = None  # set by the guard: the probe's recorder

    def internal_errors(self) -> tuple[int, list[BaseException]]:
        """Count the calls probe's own errors and return those kept, for the report."""
        source = self.errors
        return (0, []) if source is None else (source.error_count, list(source.errors))


CALL_RECORDS_KEY = pytest.StashKey[CallRecords]()


def allows(settings: Settings, *names: str) -> bool:
    """Tell whether `loopguard_allow_calls` accepts a call known by any of `names`."""
    return any(fnmatch.fnmatchcase(n, p) for p in settings.allow_calls for n in names)


def _calls_marker(node: pytest.Item | pytest.Collector) -> pytest.Mark | None:
    for mark in node.iter_markers(MARKER_NAME):
        if "calls" in mark.kwargs:
            return mark
    return None


def marker_calls(item: pytest.Item, parents: MarkerCache | None = None) -> CallsMode | None:
    """Return the calls mode of the closest `loopguard(calls=...)` marker, or None.

    `parents` caches the answer of each parent node (module, class), as the
    threshold's marker lookup does.
    """
    mark = None
    for own in item.own_markers:
        if own.name == MARKER_NAME and "calls" in own.kwargs:
            mark = own
            break
    if mark is None and item.parent is not None:
        parent = item.parent
        if parents is None:
            mark = _calls_marker(parent)
        elif parent in parents:
            mark = parents[parent]
        else:
            mark = parents[parent] = _calls_marker(parent)
    if mark is None:
        return None
    return parse_calls_mode(mark.kwargs["calls"], MARKER_SOURCE)


def needs_guard(settings: Settings, items: list[pytest.Item]) -> bool:
    """Tell whether calls mode can be on for any test: by the option or by a marker."""
    if settings.calls_mode != "off":
        return True
    parents: MarkerCache = {}
    for item in items:
        try:
            if marker_calls(item, parents) not in (None, "off"):
                return True
        except pytest.UsageError:
            return True  # the guard reports the bad marker with its test
    return False
