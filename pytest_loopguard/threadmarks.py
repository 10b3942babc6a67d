"""ThreadMarks: each loop thread's CPU time, schedstat marks and GC pauses, for the verdict.

The detector's accounting side. A stretch is judged on its own time (the rule
is in `accounting`), and that needs readings taken around it, never per
callback. Per loop thread (by `threading.get_ident()`) this keeps:

- its CPU clock handle and the CPU seconds when the watchdog last noted it
  (`note`): a stretch without a stack sample whose thread used under a given
  CPU time since then barely ran (`barely_ran`): it slept, or got no CPU;
- schedstat marks: the watchdog's at its wake-ups, of the threads with no
  stretch under way (a mark inside a stretch would pass for one before it and
  hide the wait between its start and the mark), and one at activation
  (`note`, `activate`), the loop thread's own as stretches start
  (`mark_start`), and its looks at each long stretch (`mark_inside`): the
  first is the stretch's inside mark; each also reads whether the thread is
  blocked. A thread blocked at two looks that used no CPU time in between
  slept throughout, so what its wait counter grew by then is not CPU wait
  (`schedstat` says why the kernel may count it) and is left out.

`_account` turns them and the GC pauses into a stretch's `StretchAccount` and
the most CPU wait the stretch can hold, and `judge_ended`/`judge_under_way`
give the verdict: a stretch is dismissed when it is not over the threshold
without its CPU wait, or when it has no stack sample (a C call held the GIL
throughout, or the process was not scheduled), its thread barely ran, and it
is not over the threshold with all the CPU wait it can hold taken out: then
it may have waited for a CPU rather than slept. Interface (the detector
relies on exactly this)::

    marks = ThreadMarks(clock, cpu_clock, schedstat, gc_pauses)
    marks.activate(thread_id, fresh)       # on the loop thread: a new loop or thread
    marks.knows(thread_id)                 # its CPU clock is noted
    marks.note(skip, busy)                 # the watchdog: all threads but `skip`
    marks.mark_inside(thread_id, stretch, since)  # the watchdog: a stretch seen long
    marks.mark_start(thread_id, now, fresh)  # on the loop thread: a stretch starts; -> next due
    marks.judge_ended(thread_id, stretch, start, end, sampled, threshold)  # on the loop thread: a Judgement
    marks.judge_under_way(thread_id, stretch, start, now, threshold)  # at a phase end

Activation and a stretch's start read schedstat only when the thread's latest
mark is more than `fresh` seconds old (the detector passes `mark_age`, a
twentieth of the threshold): a test suite starts a loop run or a new loop every millisecond or
so, and a mark that recent bounds the wait before the stretch as well.

A new thread often gets the id of one that ended: its CPU clock handle tells
them apart, and the watchdog forgets an ended thread (its marks) only under
the lock activation holds, so it never takes a new thread's marks with it.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import NamedTuple

from pytest_loopguard.accounting import (
    StretchAccount,
    ThreadMark,
    account,
    judge,
    most_cpu_wait,
    surely_own,
)
from pytest_loopguard.cputime import ThreadCpuClock
from pytest_loopguard.gcpauses import GcPauses
from pytest_loopguard.schedstat import NS, SchedStat, ThreadTimes

__all__ = ["MIN_CPU_FRACTION", "Judgement", "ThreadMarks"]

# A stall without a sample counts only if its thread used this much of the threshold in CPU.
MIN_CPU_FRACTION = 0.5


class Judgement(NamedTuple):
    """A stretch's account, the most CPU wait it can hold (None: unknown), and whether it counts."""

    account: StretchAccount
    most_cpu_wait_seconds: float | None
    counted: bool


class _Looks:
    """The watchdog's looks at one long stretch: its first mark, the latest, the sleep's wait."""

    __slots__ = ("stretch", "first", "last", "last_blocked", "asleep_wait")

    def __init__(self, stretch: int, mark: ThreadMark, blocked: bool | None) -> None:
        self.stretch = stretch
        self.first = self.last = mark
        self.last_blocked = blocked
        self.asleep_wait = 0.0  # wait counted while the thread slept: not CPU wait

    def add(self, mark: ThreadMark, blocked: bool | None) -> None:
        """Take a later look; count the wait since the last one if the thread slept throughout.

        Blocked at both looks and not a nanosecond on a CPU in between: it never woke. A
        thread waiting for the GIL is blocked at a look too, but it is woken at least every
        switch interval (5 ms) and runs to check the GIL, or is still runnable at the next look.
        """
        last = self.last.times
        ran = mark.times.on_cpu_seconds - last.on_cpu_seconds
        if blocked and self.last_blocked and ran < NS:
            self.asleep_wait += max(0.0, mark.times.cpu_wait_seconds - last.cpu_wait_seconds)
        self.last, self.last_blocked = mark, blocked


class ThreadMarks:
    """What the detector knows of its loop threads' CPU time, run-queue wait and GC."""

    def __init__(
        self,
        clock: Callable[[], float],
        cpu_clock: ThreadCpuClock,
        schedstat: SchedStat,
        gc_pauses: GcPauses,
    ) -> None:
        self._clock = clock
        self._cpu_clock = cpu_clock
        self._schedstat = schedstat
        self._gc = gc_pauses
        self._lock = threading.Lock()  # activation against the watchdog forgetting a thread
        # Thread id -> (CPU clock handle, CPU seconds when the watchdog last looked).
        self._cpu: dict[int, tuple[object, float]] = {}
        self._native: dict[int, int] = {}  # thread id -> native id, for schedstat
        self._before: dict[int, ThreadMark] = {}  # the watchdog's and activation's
        self._started: dict[int, ThreadMark] = {}  # the loop thread's, as stretches start
        self._inside: dict[int, _Looks] = {}  # the watchdog's looks at a stretch seen long

    def knows(self, thread_id: int) -> bool:
        """Tell whether the thread's CPU clock is noted."""
        return thread_id in self._cpu

    def activate(self, thread_id: int, fresh: float = 0.0) -> None:
        """Note the calling thread, a loop's (again, or a new one that may reuse an ended id).

        Its schedstat is read unless its latest mark is at most `fresh` seconds old.
        """
        noted = self._cpu.get(thread_id)
        handle = self._cpu_clock.handle()
        native = threading.get_native_id()
        now = self._clock()
        with self._lock:
            # The loop's first stretch needs a mark before it; the watchdog may not wake in
            # time. Another thread's marks (an ended one with the same id) never count.
            if self._native.get(thread_id) != native:
                self._native[thread_id] = native
                self._started.pop(thread_id, None)
                self._mark(self._before, thread_id)
            elif self._due(thread_id, fresh) < now:
                self._mark(self._before, thread_id)
            if handle is not None and (noted is None or noted[0] != handle):
                cpu = self._cpu_clock.read(handle)
                if cpu is not None:
                    self._cpu[thread_id] = (handle, cpu)

    def note(self, skip: set[int], busy: set[int]) -> None:
        """Note each thread's CPU time and schedstat, except of those in `skip`; forget ended ones.

        Threads in `busy` (a stretch under way, not yet long) get no schedstat mark.
        """
        noted = self._cpu
        read = self._cpu_clock.read
        for thread_id, (handle, _) in tuple(noted.items()):
            if thread_id in skip:
                continue
            cpu = read(handle)
            # A new thread may take an ended one's id and activate meanwhile: only this
            # handle's own entries are replaced or forgotten, under the lock activate holds.
            with self._lock:
                if noted.get(thread_id, (None,))[0] is not handle:
                    continue
                if cpu is None:  # the thread has ended
                    noted.pop(thread_id, None)
                    self._forget(thread_id)
                    continue
                noted[thread_id] = (handle, cpu)
            if thread_id not in busy:
                self._mark(self._before, thread_id)

    def mark_inside(self, thread_id: int, stretch: int, since: float) -> None:
        """Read schedstat and whether the thread is blocked, at each look at a long stretch.

        `since` is the stretch's start: each loop numbers its stretches from 0, so looks
        taken before it were at another loop's stretch of the same number.
        """
        native = self._native.get(thread_id)
        if native is None:
            return
        now = self._clock()
        times = self._schedstat.read(native)
        if times is None:
            return
        mark, blocked = ThreadMark(now, times), self._schedstat.blocked(native)
        looks = self._inside.get(thread_id)
        if looks is None or looks.stretch != stretch or looks.first.at_seconds < since:
            self._inside[thread_id] = _Looks(stretch, mark, blocked)
        else:
            looks.add(mark, blocked)

    def mark_start(self, thread_id: int, now: float, fresh: float = 0.0) -> float:
        """Take the calling loop thread's mark as a stretch starts; return when the next is due.

        No read when its latest mark is at most `fresh` seconds old: that one serves.
        """
        due = self._due(thread_id, fresh)
        if due >= now:
            return due
        self._mark(self._started, thread_id)
        return now + fresh

    def _due(self, thread_id: int, fresh: float) -> float:
        """Return when the thread's latest mark gets older than `fresh` (-inf: it has none)."""
        latest = _latest(self._before.get(thread_id), self._started.get(thread_id))
        return -math.inf if latest is None else latest.at_seconds + fresh

    def _account(
        self, thread_id: int, stretch: int, start: float, end: float
    ) -> tuple[StretchAccount, float | None]:
        """Return the stretch's account and the most CPU wait it can hold (None: unknown)."""
        final = self._read(thread_id)
        looks = self._inside.get(thread_id)
        inside, asleep = None, 0.0
        if looks is not None and looks.stretch == stretch and start <= looks.first.at_seconds <= end:
            inside, asleep = looks.first, looks.asleep_wait
        before = _latest(self._before.get(thread_id), self._started.get(thread_id))
        gc = self._gc.overlap(thread_id, start, end)
        stretch_account = account(
            start, end, before, inside, final,
            gc.automatic_seconds, gc.explicit_seconds, gc.explicit_stack, asleep,
        )
        return stretch_account, most_cpu_wait(start, end, before, inside, final, asleep)

    def judge_ended(
        self, thread_id: int, stretch: int, start: float, end: float, sampled: bool,
        threshold: float,
    ) -> Judgement:
        """Account for a stretch over the threshold that ended on the calling thread."""
        stretch_account, most_wait = self._account(thread_id, stretch, start, end)
        verdict = judge(stretch_account, threshold)
        if not sampled and self._barely_ran(thread_id, threshold * MIN_CPU_FRACTION):
            # It slept, got no CPU, or stood still while another thread collected (holding
            # the GIL): the collection, or else the bound on its CPU wait, tells which.
            if verdict != "gc" and not surely_own(stretch_account, most_wait, threshold):
                return Judgement(stretch_account, most_wait, False)
        return Judgement(stretch_account, most_wait, verdict != "cpu_wait")

    def judge_under_way(
        self, thread_id: int, stretch: int, start: float, now: float, threshold: float
    ) -> tuple[StretchAccount, bool] | None:
        """Account for a stretch still under way: None while only CPU wait makes it long.

        Else its account so far, and whether it may be charged without a sample.
        """
        stretch_account, most_wait = self._account(thread_id, stretch, start, now)
        if judge(stretch_account, threshold) == "cpu_wait":
            return None
        return stretch_account, surely_own(stretch_account, most_wait, threshold)

    def _barely_ran(self, thread_id: int, cpu_seconds: float) -> bool:
        """Tell whether the calling thread used under `cpu_seconds` of CPU since last noted."""
        noted = self._cpu.get(thread_id)
        if noted is None or thread_id != threading.get_ident():
            return False
        cpu = self._cpu_clock.read(noted[0])
        return cpu is not None and cpu - noted[1] < cpu_seconds

    def _read(self, thread_id: int) -> ThreadTimes | None:
        native = self._native.get(thread_id)
        return None if native is None else self._schedstat.read(native)

    def _mark(self, marks: dict[int, ThreadMark], thread_id: int) -> None:
        """Take a mark timed just before its read: under load the watchdog, which looks at
        several threads with the GIL handed over at each syscall, reads each one later than
        it woke, and a mark timed at its wake-up would pass for one before a stretch that
        had already started."""
        now = self._clock()
        times = self._read(thread_id)
        if times is not None:
            marks[thread_id] = ThreadMark(now, times)

    def _forget(self, thread_id: int) -> None:
        self._native.pop(thread_id, None)
        self._before.pop(thread_id, None)
        self._started.pop(thread_id, None)
        self._inside.pop(thread_id, None)


def _latest(first: ThreadMark | None, second: ThreadMark | None) -> ThreadMark | None:
    """Return the more recent of two marks, either possibly missing."""
    if first is None or (second is not None and second.at_seconds > first.at_seconds):
        return second
    return first
