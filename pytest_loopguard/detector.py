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
    detector.charge_in_flight()       # at a phase end: record stretches still under way
    stalls = detector.drain()         # Stalls recorded since the last drain; thread-safe
    detector.starved                  # stretches dismissed as CPU starvation (see below)
    dismissed = detector.drain_starved()  # their StarvedStretch records; thread-safe
    detector.stop()                   # remove every patch, join the watchdog; idempotent
    with StallDetector(0.1) as detector: ...

How it measures. Each loop is timed from its own thread by a probe
(`pytest_loopguard.probes`: asyncio and trio to within a few clock reads,
uvloop through a heartbeat) and its stack sampled by a watchdog thread while
it is busy (`watchdog`). A stretch longer than the threshold is a stall,
recorded when it ends (on the loop's thread), when the loop stops
(`ended_with_loop`), or, if still under way when a test phase ends, at once by
`charge_in_flight` (`still_blocked`; its end then only brings the final
length, `late`).

Own time. Every stretch over the threshold is judged on the time its own
code held the loop thread (`threadmarks`, by the rule in `accounting`); one
dismissed is counted in `starved` and kept as a `StarvedStretch` until drained
(the first MAX_STARVED_KEPT between two drains). `Stall.running` names the task or callback
of a stall without a stack sample.

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
from typing import Any

from pytest_loopguard.accounting import StretchAccount
from pytest_loopguard.cputime import ThreadCpuClock
from pytest_loopguard.frames import capture_stack, default_is_user_frame
from pytest_loopguard.gcpauses import GcPauses
from pytest_loopguard.probes import make_probes
from pytest_loopguard.probes.hub import Finding, WatchedLoop
from pytest_loopguard.probes.state import NO_MARK
from pytest_loopguard.schedstat import SchedStat
from pytest_loopguard.stall import StackFrame, StarvedStretch
from pytest_loopguard.threadmarks import ThreadMarks
from pytest_loopguard.watchdog import MAX_SAMPLE_INTERVAL_SECONDS, WATCHDOG_NAME, look

__all__ = [
    "MARK_AGE_FRACTION",
    "MAX_STARVED_KEPT",
    "MIN_MARK_AGE_SECONDS",
    "WATCHDOG_NAME",
    "StallDetector",
    "mark_age",
]

MAX_ERRORS_KEPT = 100
MAX_STARVED_KEPT = 100
# A stretch starting later than this fraction of the threshold after its thread's last
# schedstat mark takes a new one (`stretch_starts`): under load the loop thread waits for a
# CPU about half of the time, and wait between that mark and the stretch's start counts as
# its own. A twentieth of the threshold keeps that to a few ms at 100 ms on a loaded
# two-core machine (benchmarks/cpu_wait_accuracy.py), for at most 20 reads (10 us each)
# per threshold per thread.
MARK_AGE_FRACTION = 0.05
# ... and at least this: at low thresholds the reads would cost the loop thread over 0.5%.
MIN_MARK_AGE_SECONDS = 0.002


def mark_age(threshold_seconds: float) -> float:
    """Return how old a thread's latest schedstat mark may be for a stretch start to use it."""
    return max(threshold_seconds * MARK_AGE_FRACTION, MIN_MARK_AGE_SECONDS)


class StallDetector:
    """Record every stall of every event loop that runs while started; the probes' `Hub`."""

    def __init__(
        self,
        threshold_seconds: float,
        clock: Callable[[], float] = time.perf_counter,
        frames: Callable[[], dict[int, Any]] = sys._current_frames,
        is_user_frame: Callable[[str], bool] | None = None,
        *,
        watchdog: bool = True,
        cpu_clock: ThreadCpuClock | None = None,
        schedstat: SchedStat | None = None,
        gc_pauses: GcPauses | None = None,
    ) -> None:
        """Prepare a detector; `watchdog=False` leaves sampling to explicit `sample()` calls."""
        self._wake = threading.Event()  # set by stop() and by a threshold change
        self.threshold_seconds = threshold_seconds
        self.clock = clock
        self._frames = frames
        self._is_user_frame = is_user_frame or default_is_user_frame
        self._use_watchdog = watchdog
        self._lock = threading.Lock()  # findings, errors, starved, start/stop; never hot
        self._findings: list[Finding] = []
        # Watched loops -> how to unhook each: asyncio loops from their first run until
        # they close, the others while they run. Plain dict operations, atomic under the GIL.
        self._closers: dict[WatchedLoop, Callable[[], None]] = {}
        self._gc = gc_pauses or GcPauses(clock, capture=self._capture)
        self._marks = ThreadMarks(clock, cpu_clock or ThreadCpuClock(), schedstat or SchedStat(), self._gc)
        self._errors: list[BaseException] = []  # the first MAX_ERRORS_KEPT
        self.internal_error_count = 0  # every one, kept or not
        self.starved = 0
        self._starved: list[StarvedStretch] = []  # since the last drain_starved
        self.started = False
        self._probes = make_probes(self)
        self._thread: threading.Thread | None = None

    # The longest busy stretch that is not a stall: a plain attribute, since probes read it
    # on every loop iteration, where a property would cost more than the rest of their work.
    threshold_seconds: float

    def __setattr__(self, name: str, value: Any) -> None:
        """Check a new threshold and wake the watchdog for it; other attributes as usual."""
        if name == "threshold_seconds":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"threshold_seconds must be a number of seconds, got {value!r}")
            if not math.isfinite(value) or value <= 0:
                raise ValueError(
                    f"threshold_seconds must be a positive number of seconds, got {value!r}"
                )
            value = float(value)
            self._wake.set()  # the watchdog may be sleeping for half the old threshold
            # A running loop's next mark was timed by the old threshold: take it at once.
            for state in tuple(getattr(self, "_closers", ())):
                state.mark_due = NO_MARK
        object.__setattr__(self, name, value)

    def start(self) -> None:
        """Install the probes and start the watchdog thread; a second call does nothing."""
        with self._lock:
            if self.started:
                return
            self.started = True
        try:
            self._gc.install()
            for probe in self._probes:
                probe.install()
        except BaseException:
            self.stop()
            raise
        if self._use_watchdog:
            self._wake.clear()
            self._thread = threading.Thread(target=self._watch, name=WATCHDOG_NAME, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Remove every patch and join the watchdog; safe to call twice or in `finally`."""
        with self._lock:
            if not self.started:
                return
            self.started = False
            closers = list(self._closers.values())
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self._thread = None
        for probe in reversed(self._probes):
            probe.uninstall()
        self._gc.uninstall()
        for close in closers:  # loops still running in other threads go unprobed from now on
            close()

    def drain(self) -> list[Finding]:
        """Return the findings recorded since the last drain and forget them."""
        if not self._findings:
            return []
        with self._lock:
            findings, self._findings = self._findings, []
        return findings

    def drain_starved(self) -> list[StarvedStretch]:
        """Return the dismissed stretches kept since the last call and forget them."""
        if not self._starved:
            return []
        with self._lock:
            dismissed, self._starved = self._starved, []
        return dismissed

    def charge_in_flight(self) -> None:
        """Record every stretch under way that is already a stall by own time, as still blocked.

        The guard calls this at the end of each test phase, before `drain`: a
        loop in another thread (a live server, a helper `asyncio.run`) blocked
        then is charged to that phase with the samples so far. When the stretch
        ends, its loop thread records only its final length (`Stall.late`).
        """
        now = self.clock()
        threshold = self.threshold_seconds
        for state in tuple(self._closers):
            since = state.busy_since
            if since is None or now - since <= threshold:
                continue
            try:
                stretch = state.stretch
                judged = self._marks.judge_under_way(state.thread_id, stretch, since, now, threshold)
                if judged is None:
                    continue  # not (yet) the loop's own doing: judged when it ends
                stall = state.snapshot(stretch, now, *judged)
                if stall is not None:
                    self.record(stall)
            except Exception as exc:  # a phase end must not fail on the detector's account
                self.internal_error(exc)

    def _capture(self, frame: Any) -> tuple[StackFrame, ...]:
        """Capture a stack the way the watchdog does, for an explicit gc.collect()'s caller."""
        return capture_stack(frame, self._is_user_frame)

    def sample(self) -> float:
        """Look at every running loop once, the watchdog's job; return when to look next."""
        return look(
            tuple(self._closers), self._marks, self._frames, self._is_user_frame,
            self.clock(), self.threshold_seconds,
        )

    def __enter__(self) -> StallDetector:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _watch(self) -> None:
        wake = self._wake
        while self.started:
            try:
                delay = self.sample()
            except Exception as exc:  # keep watching; a bad predicate must not end detection
                self.internal_error(exc)
                delay = MAX_SAMPLE_INTERVAL_SECONDS
            wake.wait(delay)
            wake.clear()

    # The Hub: what the probes call, from loop threads.

    def activate(self, state: WatchedLoop, close: Callable[[], None]) -> None:
        """Show a loop to the watchdog until `deactivate` or stop, which calls `close`."""
        self._closers[state] = close
        thread_id = state.thread_id
        # Probes call this on each run of a loop, or when it moves to another thread:
        # the thread is noted on the first call for a loop in a thread only.
        if state.cpu_checked_in == thread_id and self._marks.knows(thread_id):
            return
        state.cpu_checked_in = thread_id
        # Probes call this on the loop's thread; a recent mark of it serves (`stretch_starts`).
        self._marks.activate(thread_id, mark_age(self.threshold_seconds))

    def stretch_starts(self, state: WatchedLoop) -> float:
        """Take a schedstat mark of the calling loop thread as a stretch starts; return the next due time.

        The most CPU wait a stretch can hold counts all the wait since the
        latest mark before it, and a starved watchdog takes none: these marks
        keep it at most `mark_age` old. A mark of the
        thread that recent, by any loop or the watchdog, serves: at most a few
        reads (3 syscalls each) per threshold per thread, however many loops
        and runs start in it (a test suite starts several per test).
        """
        now = self.clock()
        fresh = mark_age(self.threshold_seconds)
        try:
            return self._marks.mark_start(state.thread_id, now, fresh)
        except Exception as exc:  # called from the loop's hot path: never raise there
            self.internal_error(exc)
        return now + fresh

    def deactivate(self, state: WatchedLoop) -> None:
        """Stop watching a loop."""
        self._closers.pop(state, None)

    def watched_loops(self) -> tuple[WatchedLoop, ...]:
        """Return the loops shown to the watchdog now."""
        return tuple(self._closers)

    def judge_stretch(
        self, thread_id: int, stretch: int, start: float, end: float, sampled: bool
    ) -> StretchAccount | None:
        """Account for a stretch over the threshold that ended on the calling loop thread.

        None, counted in `starved` and kept for `drain_starved`, when it was not
        the loop's own doing (`threadmarks`).
        """
        threshold = self.threshold_seconds
        judged = self._marks.judge_ended(thread_id, stretch, start, end, sampled, threshold)
        if judged.counted:
            return judged.account
        dismissed = StarvedStretch(
            end - start, threshold, threading.current_thread().name,
            judged.account.cpu_wait_seconds, judged.most_cpu_wait_seconds, sampled,
        )
        with self._lock:
            self.starved += 1
            if len(self._starved) < MAX_STARVED_KEPT:
                self._starved.append(dismissed)
        return None

    def record(self, finding: Finding) -> None:
        """Keep a finding of a probe until the next drain."""
        with self._lock:
            self._findings.append(finding)

    def internal_error(self, exc: BaseException) -> None:
        """Keep an error of a probe or of the watchdog; it must never reach the loop."""
        with self._lock:
            self.internal_error_count += 1
            if len(self._errors) < MAX_ERRORS_KEPT:
                self._errors.append(exc)

    def internal_errors(self) -> list[BaseException]:
        """Return the errors kept so far (`internal_error_count` counts them all), for the report."""
        with self._lock:
            return list(self._errors)

