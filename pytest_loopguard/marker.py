"""The loopguard marker: which threshold applies to one test (marker > the session's)."""

from __future__ import annotations

import pytest

from pytest_loopguard.options import BY_NAME, MARKER_NAME, Settings

__all__ = ["MARKER_HELP", "MarkerCache", "closest_marker", "marker_threshold", "resolve_threshold"]

MARKER_HELP = (
    "loopguard(duration, calls=mode): change the stall threshold for this test, class or "
    "module, e.g. loopguard('500ms'); loopguard('off') disables it; "
    "loopguard(calls='off') switches calls mode (fail, warn, off)."
)

# Parent node (module, class, ...) -> the loopguard marker closest to it, or None.
MarkerCache = dict[pytest.Item | pytest.Collector, pytest.Mark | None]


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
    if not marker.args and set(marker.kwargs) == {"calls"}:
        # loopguard(calls=...) alone says nothing of the threshold: a marker further out may.
        marker = next((m for m in item.iter_markers(MARKER_NAME) if m.args), None)
        if marker is None:
            return None
    if len(marker.args) != 1 or set(marker.kwargs) - {"calls"}:
        raise pytest.UsageError(
            "@pytest.mark.loopguard: expected one duration such as '100ms' or 'off', "
            f"got args={marker.args!r} kwargs={marker.kwargs!r}"
        )
    threshold = BY_NAME["loopguard"]
    return float(threshold.parse(marker.args[0], threshold.source("marker")))


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
