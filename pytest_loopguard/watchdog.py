"""The watchdog's look at the running loops: which to sample, their stacks, the marks.

A blocked loop cannot report what blocks it, so one daemon thread of the
detector (`WATCHDOG_NAME`) calls `look` at each wake-up. It samples the stack
of every loop busy for more than half the threshold, every min(threshold/4,
10 ms) for as long as the stretch lasts; the samples name the line blocking
*now*, and the most sampled one becomes `Stall.blocking_frame`. It notes the
other loop threads' CPU time, and the schedstat of those with no stretch under
way (`ThreadMarks.note`), and at each
look at a long stretch reads its thread's schedstat and whether it is blocked
(`ThreadMarks.mark_inside`). Otherwise the watchdog sleeps until
the earliest moment a stretch under way could need a sample, and never longer
than half the threshold (a loop may start meanwhile; it tells nobody). The
loop threads never wake it and take no lock on the hot path, so a healthy loop
costs it about two wake-ups per threshold and no GIL hand-over of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pytest_loopguard.frames import capture_stack
from pytest_loopguard.probes.hub import WatchedLoop
from pytest_loopguard.threadmarks import ThreadMarks

__all__ = [
    "MAX_SAMPLE_INTERVAL_SECONDS",
    "MIN_WAKE_INTERVAL_SECONDS",
    "SAMPLE_AFTER_FRACTION",
    "WATCHDOG_NAME",
    "look",
]

WATCHDOG_NAME = "loopguard-watchdog"
# A loop busy for this fraction of the threshold gets its stack sampled.
SAMPLE_AFTER_FRACTION = 0.5
MAX_SAMPLE_INTERVAL_SECONDS = 0.010
MIN_WAKE_INTERVAL_SECONDS = 0.001


def look(
    loops: Iterable[WatchedLoop],
    marks: ThreadMarks,
    frames: Callable[[], dict[int, Any]],
    is_user_frame: Callable[[str], bool],
    now: float,
    threshold: float,
) -> float:
    """Look at every running loop once; return how long to sleep until the next look."""
    limit = threshold * SAMPLE_AFTER_FRACTION
    delay = limit
    long_stretches: list[tuple[WatchedLoop, int, float]] = []  # (loop, stretch, its start)
    in_stretch: set[int] = set()  # threads with a stretch under way
    for state in loops:
        since = state.busy_since
        if since is None:
            continue
        in_stretch.add(state.thread_id)
        stretch = state.stretch
        busy = now - since
        if busy > limit:
            long_stretches.append((state, stretch, since))
        elif limit - busy < delay:
            delay = limit - busy
    marks.note({state.thread_id for state, _, _ in long_stretches}, in_stretch)
    if long_stretches:
        for state, stretch, since in long_stretches:
            marks.mark_inside(state.thread_id, stretch, since)
        _sample_stacks(long_stretches, frames, is_user_frame)
        delay = min(threshold / 4, MAX_SAMPLE_INTERVAL_SECONDS)
    return max(delay, MIN_WAKE_INTERVAL_SECONDS)


def _sample_stacks(
    long_stretches: list[tuple[WatchedLoop, int, float]],
    frames: Callable[[], dict[int, Any]],
    is_user_frame: Callable[[str], bool],
) -> None:
    current = frames()
    for state, stretch, _ in long_stretches:
        frame = current.get(state.thread_id)
        if frame is None:
            continue
        stack = capture_stack(frame, is_user_frame)
        del frame
        if stack:
            state.add_sample(stretch, stack)
