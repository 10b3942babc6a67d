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
    detector.stop()                   # remove every patch, join the watchdog; idempotent
    with StallDetector(0.1) as detector: ...

How it measures. Each loop is timed from its own thread by a small probe
(`pytest_loopguard.probes`): asyncio's selector loops and trio report when they
enter and leave their I/O poll, so a busy stretch is measured to within a few
clock reads; uvloop can only be watched through a heartbeat timer, which bounds
a stall to within a twentieth of the threshold (plus 1 ms). A stretch longer than the
threshold is a stall, recorded when it ends (on the loop's thread) or when the
loop stops (`ended_with_loop=True`), or, if still under way when a test phase
ends, at once by `charge_in_flight` (`still_blocked=True`; its end then only
brings the final length, `late=True`).

Why a watchdog thread. A blocked loop cannot report what blocks it, so one
daemon thread (`loopguard-watchdog`) samples the stack of every loop busy for
more than half the threshold, every min(threshold/4, 10 ms) for as long as the
stretch lasts. The samples name the line blocking *now*; the most sampled one
becomes `Stall.blocking_frame`. Otherwise the watchdog sleeps until the
earliest moment a stretch under way could need a sample, and never longer
than half the threshold (a loop may start meanwhile; it tells nobody). The
loop threads never wake it and take no lock on the hot path, so a healthy loop
costs it about two wake-ups per threshold and no GIL hand-over of its own.

Starvation. A C call that holds the GIL for the whole stall leaves no sample;
then `Stall.running` names the task or callback instead. A process the
operating system did not schedule (an overloaded CI machine) leaves no sample
either, and its loop looks just as busy. The two differ in the CPU time of the
loop thread: the watchdog notes it at each wake-up (reading the thread's CPU
clock, `cputime`) unless that thread is already in a long stretch, and when a
stall without a sample ends, the loop thread reads its clock again. If it used
less than half the threshold of CPU since the note, it was not running: the
stretch is not recorded, only counted in `starved`. A GIL-holding call that
sleeps instead of computing is dismissed the same way; that is rare, and
documented as a limit. Stalls with samples (time.sleep and blocking I/O release
the GIL, so they are always sampled) are recorded whatever the CPU time.

Own time. Every stretch over the threshold is then accounted for
(`accounting`): the run-queue wait of its thread (Linux schedstat, read by the
watchdog at its wake-ups and when it first samples a long stretch, by the loop
thread as a run starts and as a stretch starts over a quarter of the threshold
after its last such reading, and once by the loop thread as the stretch ends) and the automatic GC pauses inside it
(`gcpauses`) are taken out. A stretch that is not over the threshold without
its CPU wait is dismissed and counted in `starved`; one that is over it only
with its GC pauses is recorded as `gc_only`.

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

from pytest_loopguard.accounting import StretchAccount, ThreadMark, account, judge, most_cpu_wait
from pytest_loopguard.cputime import ThreadCpuClock
from pytest_loopguard.frames import capture_stack, default_is_user_frame
from pytest_loopguard.gcpauses import GcPauses
from pytest_loopguard.probes import make_probes
from pytest_loopguard.probes.hub import Finding, WatchedLoop
from pytest_loopguard.schedstat import SchedStat

__all__ = ["MARK_AGE_FRACTION", "MIN_CPU_FRACTION", "SAMPLE_AFTER_FRACTION", "WATCHDOG_NAME", "StallDetector"]

WATCHDOG_NAME = "loopguard-watchdog"
# A loop busy for this fraction of the threshold gets its stack sampled.
SAMPLE_AFTER_FRACTION = 0.5
# A stall without a sample counts only if its thread used this much of the threshold in CPU.
MIN_CPU_FRACTION = 0.5
MAX_SAMPLE_INTERVAL_SECONDS = 0.010
MIN_WAKE_INTERVAL_SECONDS = 0.001
MAX_ERRORS_KEPT = 100
# A stretch starting later than this fraction of the threshold after its thread's last
# stretch-start mark takes a new one (`stretch_starts`).
MARK_AGE_FRACTION = 0.25


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
        self._cpu_clock = cpu_clock or ThreadCpuClock()
        self._lock = threading.Lock()  # findings, errors, starved, start/stop; never hot
        self._findings: list[Finding] = []
        # Watched loops -> how to unhook each: asyncio loops from their first run until
        # they close, the others while they run. Plain dict operations, atomic under the GIL.
        self._closers: dict[WatchedLoop, Callable[[], None]] = {}
        # Loop thread id -> (CPU clock handle, CPU seconds when the watchdog last looked).
        self._cpu_marks: dict[int, tuple[object, float]] = {}
        # CPU-wait accounting (see `accounting`): loop thread id -> native id, and the
        # schedstat marks the watchdog took before and inside each thread's stretch.
        self._schedstat = schedstat or SchedStat()
        self._native: dict[int, int] = {}
        self._before: dict[int, ThreadMark] = {}  # the watchdog's and activate's
        self._started: dict[int, ThreadMark] = {}  # taken as stretches start (stretch_starts)
        self._inside: dict[int, tuple[int, ThreadMark]] = {}
        self._gc = gc_pauses or GcPauses(clock)
        self._errors: list[BaseException] = []  # the first MAX_ERRORS_KEPT
        self.internal_error_count = 0  # every one, kept or not
        self.starved = 0
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
                stretch_account, most_wait = self._account(state.thread_id, stretch, since, now)
                if judge(stretch_account, threshold) == "cpu_wait":
                    continue  # not (yet) the loop's own doing: judged when it ends
                # Without a sample, only if it surely did not wait for a CPU (see judge_stretch).
                unsampled_ok = most_wait is not None and (
                    stretch_account.wall_seconds - most_wait - stretch_account.gc_seconds
                    > threshold
                )
                stall = state.snapshot(stretch, now, stretch_account, unsampled_ok)
                if stall is not None:
                    self.record(stall)
            except Exception as exc:  # a phase end must not fail on the detector's account
                self.internal_error(exc)

    def sample(self) -> float:
        """Look at every running loop once, the watchdog's job; return when to look next.

        Samples the stack of each loop busy over half the threshold, notes the others' CPU.
        """
        now = self.clock()
        threshold = self.threshold_seconds
        limit = threshold * SAMPLE_AFTER_FRACTION
        delay = limit
        long_stretches: list[tuple[WatchedLoop, int]] = []
        for state in tuple(self._closers):
            since = state.busy_since
            if since is None:
                continue
            stretch = state.stretch
            busy = now - since
            if busy > limit:
                long_stretches.append((state, stretch))
            elif limit - busy < delay:
                delay = limit - busy
        self._note_cpu({state.thread_id for state, _ in long_stretches}, now)
        if long_stretches:
            self._mark_inside(long_stretches, now)
            self._sample_stacks(long_stretches)
            delay = min(threshold / 4, MAX_SAMPLE_INTERVAL_SECONDS)
        return max(delay, MIN_WAKE_INTERVAL_SECONDS)

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

    def _sample_stacks(self, long_stretches: list[tuple[WatchedLoop, int]]) -> None:
        current = self._frames()
        for state, stretch in long_stretches:
            frame = current.get(state.thread_id)
            if frame is None:
                continue
            stack = capture_stack(frame, self._is_user_frame)
            del frame
            if stack:
                state.add_sample(stretch, stack)

    def _note_cpu(self, skip: set[int], now: float) -> None:
        """Note each loop thread's CPU time and schedstat, except of those in a long stretch."""
        marks = self._cpu_marks
        read = self._cpu_clock.read
        for thread_id, (handle, _) in tuple(marks.items()):
            if thread_id in skip:
                continue
            cpu = read(handle)
            # A new thread may take an ended one's id and activate meanwhile: only this
            # handle's own entries are replaced or forgotten, under the lock activate holds.
            with self._lock:
                if marks.get(thread_id, (None,))[0] is not handle:
                    continue
                if cpu is None:  # the thread has ended
                    marks.pop(thread_id, None)
                    self._forget_thread(thread_id)
                    continue
                marks[thread_id] = (handle, cpu)
            self._mark(self._before, thread_id, now)

    def _mark(self, marks: dict[int, ThreadMark], thread_id: int, now: float) -> None:
        native = self._native.get(thread_id)
        times = None if native is None else self._schedstat.read(native)
        if times is not None:
            marks[thread_id] = ThreadMark(now, times)

    def _mark_inside(self, long_stretches: list[tuple[WatchedLoop, int]], now: float) -> None:
        """Read schedstat once per long stretch, when the watchdog first sees it long."""
        inside = self._inside
        for state, stretch in long_stretches:
            seen = inside.get(state.thread_id)
            if seen is not None and seen[0] == stretch:
                continue
            native = self._native.get(state.thread_id)
            times = None if native is None else self._schedstat.read(native)
            if times is not None:
                inside[state.thread_id] = (stretch, ThreadMark(now, times))

    def _forget_thread(self, thread_id: int) -> None:
        self._native.pop(thread_id, None)
        self._before.pop(thread_id, None)
        self._started.pop(thread_id, None)
        self._inside.pop(thread_id, None)
        self._gc.forget(thread_id)

    # The Hub: what the probes call, from loop threads.

    def activate(self, state: WatchedLoop, close: Callable[[], None]) -> None:
        """Show a loop to the watchdog until `deactivate` or stop, which calls `close`."""
        self._closers[state] = close
        thread_id = state.thread_id
        mark = self._cpu_marks.get(thread_id)
        # Probes call this on each run of a loop, or when it moves to another thread:
        # the clock handle is checked on the first call for a loop in a thread only.
        if mark is not None and state.cpu_checked_in == thread_id:
            return
        state.cpu_checked_in = thread_id
        handle = self._cpu_clock.handle()
        with self._lock:  # the watchdog forgets an ended thread of this id under it
            self._native[thread_id] = threading.get_native_id()  # probes call this on its thread
            # The loop's first stretch needs a mark before it; the watchdog may not wake in time.
            self._mark(self._before, thread_id, self.clock())
            # A new thread often gets the id of one that ended: the clock handle tells them apart.
            if handle is not None and (mark is None or mark[0] != handle):
                self._track_cpu(thread_id, handle)

    def stretch_starts(self, state: WatchedLoop) -> float:
        """Take a schedstat mark of the calling loop thread as a stretch starts; return the next due time.

        The most CPU wait a stretch can hold counts all the wait since the
        latest mark before it, and a starved watchdog takes none: the probes'
        own marks keep that mark at most MARK_AGE_FRACTION of the threshold old,
        so wait before a stretch never excuses a stall without a sample. At
        most a few reads (3 syscalls each) per threshold per loop, at a run's
        first stretch and then only at stretch starts.
        """
        now = self.clock()
        try:
            self._mark(self._started, state.thread_id, now)
        except Exception as exc:  # called from the loop's hot path: never raise there
            self.internal_error(exc)
        return now + self.threshold_seconds * MARK_AGE_FRACTION

    def deactivate(self, state: WatchedLoop) -> None:
        """Stop watching a loop."""
        self._closers.pop(state, None)

    def watched_loops(self) -> tuple[WatchedLoop, ...]:
        """Return the loops shown to the watchdog now."""
        return tuple(self._closers)

    def _track_cpu(self, thread_id: int, handle: object) -> None:
        """Start noting the CPU time of the calling loop thread, new to the detector."""
        cpu = self._cpu_clock.read(handle)
        if cpu is not None:
            self._cpu_marks[thread_id] = (handle, cpu)

    def judge_stretch(
        self, thread_id: int, stretch: int, start: float, end: float, sampled: bool
    ) -> StretchAccount | None:
        """Account for a stretch over the threshold that ended on the calling loop thread.

        Returns None, and counts the stretch in `starved`, when it was long
        only because its thread waited for a CPU, or when it has no stack
        sample and its thread barely ran, unless schedstat shows that it slept
        rather than waited for a CPU (a blocking C callback such as
        `time.sleep`, a watchdog that got no CPU in time); else its account.
        """
        threshold = self.threshold_seconds
        stretch_account, most_wait = self._account(thread_id, stretch, start, end)
        if not sampled and self._barely_ran(thread_id) and (
            most_wait is None
            or stretch_account.wall_seconds - most_wait - stretch_account.gc_seconds <= threshold
        ):
            self._dismissed()
            return None
        if stretch_account.wall_seconds - stretch_account.cpu_wait_seconds <= threshold:
            self._dismissed()
            return None
        return stretch_account

    def _account(
        self, thread_id: int, stretch: int, start: float, end: float
    ) -> tuple[StretchAccount, float | None]:
        """Return the stretch's account and the most CPU wait it can hold."""
        native = self._native.get(thread_id)
        final = None if native is None else self._schedstat.read(native)
        inside_mark = self._inside.get(thread_id)
        inside = inside_mark[1] if inside_mark is not None and inside_mark[0] == stretch else None
        before = _latest(self._before.get(thread_id), self._started.get(thread_id))
        automatic, explicit = self._gc.overlap(thread_id, start, end)
        stretch_account = account(start, end, before, inside, final, automatic, explicit)
        return stretch_account, most_cpu_wait(start, end, before, inside, final)

    def _dismissed(self) -> None:
        with self._lock:
            self.starved += 1

    def _barely_ran(self, thread_id: int) -> bool:
        """Tell whether the calling loop thread barely ran since the watchdog last noted it."""
        mark = self._cpu_marks.get(thread_id)
        if mark is None or thread_id != threading.get_ident():
            return False
        cpu = self._cpu_clock.read(mark[0])
        return cpu is not None and cpu - mark[1] < self.threshold_seconds * MIN_CPU_FRACTION

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


def _latest(first: ThreadMark | None, second: ThreadMark | None) -> ThreadMark | None:
    """Return the more recent of two marks, either possibly missing."""
    if first is None or (second is not None and second.at_seconds > first.at_seconds):
        return second
    return first
