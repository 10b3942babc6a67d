"""LoopState: the busy/idle bookkeeping of one running event loop.

A probe owns one LoopState per running loop and writes two fields from the
loop's own thread: `busy_since` (clock time the loop left its I/O poll, or None
while it waits in the poll) and `stretch` (a counter bumped at the start of each
busy stretch). Those writes are the whole hot path and take no lock.

The watchdog thread reads both fields, and when a stretch has lasted long
enough it samples the loop thread's stack and files the sample under that
stretch number (under the state's own lock). When the stretch ends on the loop
thread and turns out longer than the threshold, `finish` collects the samples
of that same stretch and records a Stall. Samples of any other stretch are
ignored, so a sample taken just as a stretch ended never lands on the next one.
A stall with no sample at all is first checked against the loop thread's CPU
time (`Hub.judge_stretch`): one the thread barely ran for is not recorded.
Every stall is then accounted for (`accounting`): a stretch long only because
its thread waited for a CPU is dropped, one long only because of automatic
garbage collection is recorded as `gc_only`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from pytest_loopguard.accounting import judge
from pytest_loopguard.probes.hub import Hub
from pytest_loopguard.stall import LoopKind, StackFrame, Stall

__all__ = ["LoopState", "describe"]

# Longest `Stall.running` text; a task repr can carry a long coroutine chain.
MAX_RUNNING_CHARS = 300


class LoopState:
    """Busy/idle state and stack samples of one running loop."""

    __slots__ = (
        "hub",
        "kind",
        "thread_id",
        "busy_since",
        "stretch",
        "current",
        "running_of",
        "cpu_checked_in",
        "_lock",
        "_sample_stretch",
        "_counts",
        "_stacks",
    )

    def __init__(self, hub: Hub, kind: LoopKind) -> None:
        self.hub = hub
        self.kind = kind
        self.thread_id = threading.get_ident()
        self.busy_since: float | None = None
        self.stretch = 0
        # What the loop runs now (a Handle or a task), kept by probes that can afford it.
        self.current: object = None
        # Names what runs, for stalls without a sample; None: describe `current`. Never a
        # bound method of an object that holds this state: the cycle would keep a closed
        # loop alive until the cyclic GC runs (one loop per test under pytest-asyncio).
        self.running_of: Callable[[], str | None] | None = None
        # The thread whose CPU clock handle the detector last checked for this loop.
        self.cpu_checked_in: int | None = None
        self._lock = threading.Lock()  # the samples; taken by the watchdog and by finish
        self._sample_stretch = -1
        self._counts: dict[StackFrame, int] = {}
        self._stacks: dict[StackFrame, tuple[StackFrame, ...]] = {}

    def begin_busy(self, now: float) -> None:
        """Mark the loop as busy from `now` (it just left its poll)."""
        self.stretch += 1
        self.busy_since = now

    def end_busy(self, now: float, ended_with_loop: bool = False) -> None:
        """Mark the loop as idle again, recording a stall if it was busy too long."""
        since = self.busy_since
        if since is not None and now - since > self.hub.threshold_seconds:
            self.finish(now, now - since, ended_with_loop=ended_with_loop)
        self.busy_since = None

    def add_sample(self, stretch: int, stack: tuple[StackFrame, ...]) -> None:
        """File one sampled stack under its stretch, unless that stretch has ended."""
        with self._lock:
            if self.stretch == stretch:
                self._file_sample(stretch, stack)

    def _file_sample(self, stretch: int, stack: tuple[StackFrame, ...]) -> None:
        if stretch != self._sample_stretch:
            self._sample_stretch = stretch
            self._counts = {}
            self._stacks = {}
        blocking = stack[-1]
        self._counts[blocking] = self._counts.get(blocking, 0) + 1
        self._stacks.setdefault(blocking, stack)

    def finish(self, now: float, duration: float, ended_with_loop: bool = False) -> None:
        """Record a stall of the current stretch; never raises into the loop."""
        try:
            self._record(now, duration, ended_with_loop)
        except Exception as exc:  # the loop must keep running whatever happens here
            self.hub.internal_error(exc)

    def _record(self, now: float, duration: float, ended_with_loop: bool) -> None:
        hub = self.hub
        with self._lock:
            if self._sample_stretch == self.stretch:
                counts, stacks = self._counts, self._stacks
            else:
                counts, stacks = {}, {}
            self._sample_stretch = -1
            self._counts = {}
            self._stacks = {}
        ranked = tuple(sorted(counts.items(), key=lambda item: -item[1]))
        start = now - duration
        stretch = hub.judge_stretch(self.thread_id, self.stretch, start, now, bool(ranked))
        if stretch is None:
            return  # the process was not scheduled: not a stall of this loop's code
        blocking = ranked[0][0] if ranked else None
        hub.record(
            Stall(
                duration_seconds=duration,
                threshold_seconds=hub.threshold_seconds,
                loop_kind=self.kind,
                thread_name=threading.current_thread().name,  # finish runs on the loop's thread
                blocking_frame=blocking,
                stack=stacks[blocking] if blocking is not None else (),
                samples=ranked,
                running=None if ranked else self._running(),
                ended_with_loop=ended_with_loop,
                started_at=start,
                cpu_wait_seconds=stretch.cpu_wait_seconds,
                gc_seconds=stretch.gc_seconds,
                kind=stretch.kind,
                gc_only=judge(stretch, hub.threshold_seconds) == "gc",
            )
        )

    def _running(self) -> str | None:
        running_of = self.running_of
        return describe(self.current) if running_of is None else running_of()


def describe(running: object) -> str | None:
    """Name a running callback or task briefly: the task when the callback steps one."""
    if running is None:
        return None
    callback = getattr(running, "_callback", None)
    owner = getattr(callback, "__self__", None)
    if owner is not None and hasattr(owner, "get_coro"):
        running = owner  # an asyncio task step: the task's repr names its coroutine
    text = repr(running)
    if len(text) > MAX_RUNNING_CHARS:
        text = text[: MAX_RUNNING_CHARS - 3] + "..."
    return text
