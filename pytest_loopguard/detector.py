"""StallDetector: find the stretches during which an event loop could not poll for I/O.

Plain Python, no pytest. Interface (the plugin relies on exactly this)::

    detector = StallDetector(
        threshold_seconds=0.1,
        clock=time.perf_counter,      # injectable for tests
        frames=sys._current_frames,   # () -> {thread_id: innermost frame}
        is_user_frame=None,           # predicate(filename) -> bool; None: the default
    )
    detector.start()                  # install the probes, start the watchdog; idempotent
    detector.threshold_seconds = 0.5  # takes effect at once, also for a stretch under way
    stalls = detector.drain()         # Stalls recorded since the last drain; thread-safe
    detector.stop()                   # remove every patch, join the watchdog; idempotent
    with StallDetector(0.1) as detector: ...

How it measures. Each loop is timed from its own thread by a small probe
(`pytest_loopguard.probes`): asyncio's selector loops and trio report when they
enter and leave their I/O poll, so a busy stretch is measured to within a few
clock reads; uvloop can only be watched through a heartbeat timer, which bounds
a stall to within a quarter of the threshold. A stretch longer than the
threshold is a stall, recorded when it ends (on the loop's thread) or when the
loop stops (`ended_with_loop=True`).

Why a watchdog thread. A blocked loop cannot report what blocks it, so one
daemon thread (`loopguard-watchdog`) wakes every min(threshold/4, 10 ms)
while any loop runs (it sleeps when none does), and for each loop busy for
more than half the threshold samples that thread's stack with `frames()`.
The samples name the line blocking *now*; the most sampled one becomes
`Stall.blocking_frame`. A C call that holds the GIL for
the whole stall leaves no sample; then `Stall.running` names the task or
callback instead. An idle or healthy loop costs the watchdog nothing but its
wake-ups.

Only one detector should be started at a time; a second one started inside
the first (pytest's in-process pytester runs) works, but the first's wrappers
then stay installed, inert, after it stops.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from pytest_loopguard.frames import capture_stack, default_is_user_frame
from pytest_loopguard.probes import make_probes
from pytest_loopguard.probes.state import LoopState
from pytest_loopguard.stall import Stall

__all__ = ["SAMPLE_AFTER_FRACTION", "WATCHDOG_NAME", "StallDetector"]

WATCHDOG_NAME = "loopguard-watchdog"
# A loop busy for this fraction of the threshold gets its stack sampled.
SAMPLE_AFTER_FRACTION = 0.5
MAX_WAKE_INTERVAL_SECONDS = 0.010
MIN_WAKE_INTERVAL_SECONDS = 0.001


class StallDetector:
    """Record every stall of every event loop that runs while started."""

    def __init__(
        self,
        threshold_seconds: float,
        clock: Callable[[], float] = time.perf_counter,
        frames: Callable[[], dict[int, Any]] = sys._current_frames,
        is_user_frame: Callable[[str], bool] | None = None,
        *,
        watchdog: bool = True,
    ) -> None:
        """Prepare a detector; `watchdog=False` leaves sampling to explicit `sample()` calls."""
        self._threshold_seconds = _checked_threshold(threshold_seconds)
        self._clock = clock
        self._frames = frames
        self._is_user_frame = is_user_frame or default_is_user_frame
        self._use_watchdog = watchdog
        self._lock = threading.Lock()
        self._stalls: list[Stall] = []
        self._active: tuple[LoopState, ...] = ()
        self._closers: dict[LoopState, Callable[[], None]] = {}
        self._errors: list[BaseException] = []
        self._started = False
        self._probes = make_probes(self)
        self._wake = threading.Event()  # set by stop()
        self._loops_running = threading.Event()  # set while any probed loop runs
        self._thread: threading.Thread | None = None

    @property
    def threshold_seconds(self) -> float:
        """Return the longest busy stretch that is not a stall."""
        return self._threshold_seconds

    @threshold_seconds.setter
    def threshold_seconds(self, value: float) -> None:
        self._threshold_seconds = _checked_threshold(value)

    def start(self) -> None:
        """Install the probes and start the watchdog thread; a second call does nothing."""
        with self._lock:
            if self._started:
                return
            self._started = True
        try:
            for probe in self._probes:
                probe.install()
        except BaseException:
            self.stop()
            raise
        if self._use_watchdog:
            self._wake.clear()
            self._loops_running.clear()
            if self._active:
                self._loops_running.set()
            self._thread = threading.Thread(target=self._watch, name=WATCHDOG_NAME, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Remove every patch and join the watchdog; safe to call twice or in `finally`."""
        with self._lock:
            if not self._started:
                return
            self._started = False
            closers = list(self._closers.values())
        self._wake.set()
        self._loops_running.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self._thread = None
        for probe in reversed(self._probes):
            probe.uninstall()
        for close in closers:  # loops still running in other threads go unprobed from now on
            close()

    def drain(self) -> list[Stall]:
        """Return the stalls recorded since the last drain and forget them."""
        with self._lock:
            stalls, self._stalls = self._stalls, []
        return stalls

    def sample(self) -> None:
        """Sample the stack of every loop that has been busy for long; the watchdog's job."""
        active = self._active
        if not active:
            return
        now = self._clock()
        limit = self._threshold_seconds * SAMPLE_AFTER_FRACTION
        current: dict[int, Any] | None = None
        for state in active:
            since = state.busy_since
            stretch = state.stretch
            if since is None or now - since <= limit:
                continue
            if current is None:
                current = self._frames()
            frame = current.get(state.thread_id)
            if frame is None:
                continue
            stack = capture_stack(frame, self._is_user_frame)
            del frame
            if stack:
                with self._lock:
                    if state.stretch == stretch:
                        state.add_sample(stretch, stack)

    def __enter__(self) -> StallDetector:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _watch(self) -> None:
        # Parked while no loop runs: a test suite spends most of its time outside
        # any loop, and each wake-up costs the loop threads a GIL hand-over. Only
        # this thread clears the flag, so a loop run pays for setting it only when
        # the watchdog had parked.
        while self._loops_running.wait() and not self._wake.wait(self._wake_interval()):
            if not self._active:
                with self._lock:
                    if not self._active and self._started:
                        self._loops_running.clear()
                continue
            try:
                self.sample()
            except Exception as exc:  # keep watching; a bad predicate must not end detection
                self._internal_error(exc)

    def _wake_interval(self) -> float:
        interval = min(self._threshold_seconds / 4, MAX_WAKE_INTERVAL_SECONDS)
        return max(interval, MIN_WAKE_INTERVAL_SECONDS)

    # The probes' side of the detector: called from loop threads.

    def _activate(self, state: LoopState, close: Callable[[], None]) -> None:
        with self._lock:
            self._closers[state] = close
            self._active = tuple(self._closers)
            if not self._loops_running.is_set():
                self._loops_running.set()

    def _deactivate(self, state: LoopState) -> None:
        with self._lock:
            if self._closers.pop(state, None) is not None:
                self._active = tuple(self._closers)

    def _record(self, stall: Stall) -> None:
        with self._lock:
            self._stalls.append(stall)

    def _internal_error(self, exc: BaseException) -> None:
        # Kept for debugging and tests; detection errors must never reach the loop.
        with self._lock:
            if len(self._errors) < 100:
                self._errors.append(exc)


def _checked_threshold(value: object) -> float:
    """Return `value` as float seconds, or explain why it cannot be a threshold."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"threshold_seconds must be a number of seconds, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"threshold_seconds must be a positive number of seconds, got {value!r}")
    return float(value)
