"""Stall accounting: how much of a busy stretch the loop's own code held its thread.

A busy stretch's wall time has four parts: the loop thread ran the loop's code,
slept or waited in a blocking call (`time.sleep`, socket or file I/O), sat in
a run queue while another process had the CPU (an overloaded machine), or was
paused by an automatic garbage collection (whose length depends on the whole
heap, not on the code that happened to allocate) or by any collection in
another thread (it holds the GIL). The first two are the
loop's own doing; the rule (`judge`) is::

    own time = wall time - CPU wait - automatic GC pauses
    own time > threshold            -> a stall of the code that ran
    else, without GC pauses > limit -> dismissed: the machine was overloaded
    else                            -> a GC pause, reported apart, no failure

An explicit `gc.collect()` on the loop's thread is the caller's doing and is never subtracted.

CPU wait comes from `schedstat` at two marks the watchdog takes (one before
the stretch, one when it first samples it) and a read when the stretch ends.
What lies between a mark taken before the stretch and the stretch's start is
unknown, so only what provably fell inside the stretch is subtracted: the
figures are lower bounds, and a stretch is never dismissed on a guess.
`most_cpu_wait` gives the other bound, all the wait the marks could hold:
a stretch that is over the threshold even without it was surely the code's.
The kernel may count part of a sleep as wait (`schedstat`): wait counted
between two of the watchdog's looks that found the thread blocked, with no
CPU time in between, is left out of both bounds.

The same figures say which cure fits: a loop thread that spent most of its
own time in `gc.collect()` calls collected (`collect`: the stall names that
call, since no stack sample can be taken while a collection holds the GIL),
one that was on a CPU for most of it was computing (`cpu`), otherwise it
waited (`waiting`).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from pytest_loopguard.schedstat import ThreadTimes
from pytest_loopguard.stall import StackFrame, StallKind

__all__ = [
    "CPU_BOUND_FRACTION",
    "CURES",
    "Kind",
    "StretchAccount",
    "ThreadMark",
    "Verdict",
    "account",
    "judge",
    "most_cpu_wait",
    "surely_own",
]

Kind = StallKind
Verdict = Literal["stall", "cpu_wait", "gc"]

# A stretch whose thread was on a CPU this much of its own time was computing.
CPU_BOUND_FRACTION = 0.5

CURES: dict[Kind, str] = {
    "cpu": (
        "the loop thread was computing: move the work to a process pool "
        "(loop.run_in_executor with a ProcessPoolExecutor; threads do not help "
        "pure-Python CPU work because of the GIL), or give the loop a turn with "
        "`await asyncio.sleep(0)` every N iterations"
    ),
    "waiting": (
        "the loop thread was waiting in a blocking call: use the library's async API, "
        "or run the call in a thread with `await asyncio.to_thread(...)` "
        "(loop.run_in_executor)"
    ),
    "collect": (
        "an explicit gc.collect() held the loop: a full collection pauses every thread "
        "for as long as the whole heap takes; call it outside the event loop (before the "
        "loop starts or after it ends), or collect the young generation only with "
        "gc.collect(0)"
    ),
}


class ThreadMark(NamedTuple):
    """A thread's schedstat counters, read at `at_seconds` on the detector's clock."""

    at_seconds: float
    times: ThreadTimes


class StretchAccount(NamedTuple):
    """Where a busy stretch's wall time went, in seconds; `on_cpu` None when unknown."""

    wall_seconds: float
    cpu_wait_seconds: float = 0.0
    gc_seconds: float = 0.0  # automatic collections: subtracted
    explicit_gc_seconds: float = 0.0  # gc.collect() calls: the code's own time
    on_cpu_seconds: float | None = None
    # The stack of the gc.collect() call that covered most of the stretch; () when none.
    explicit_gc_stack: tuple[StackFrame, ...] = ()

    @property
    def own_seconds(self) -> float:
        """Return the time the loop's own code held the thread."""
        return max(0.0, self.wall_seconds - self.cpu_wait_seconds - self.gc_seconds)

    @property
    def kind(self) -> Kind | None:
        """Tell a collecting, computing or waiting stretch; None when the CPU time is unknown."""
        own = self.own_seconds
        if own <= 0:
            return None
        if self.explicit_gc_seconds >= own * CPU_BOUND_FRACTION:
            return "collect"
        if self.on_cpu_seconds is None:
            return None
        return "cpu" if self.on_cpu_seconds >= own * CPU_BOUND_FRACTION else "waiting"


def judge(stretch: StretchAccount, threshold_seconds: float) -> Verdict:
    """Decide what a stretch longer than the threshold in wall time was."""
    if stretch.own_seconds > threshold_seconds:
        return "stall"
    if stretch.wall_seconds - stretch.cpu_wait_seconds > threshold_seconds:
        return "gc"  # without the collections it would have been a stall
    return "cpu_wait"


def _inside(delta: float, mark_at: float, start: float, span: float) -> float:
    """Part of a counter's growth since `mark_at` that provably fell after `start`.

    Before `start` the counter grew by at most the wall time that passed.
    """
    return min(span, max(0.0, delta - max(0.0, start - mark_at)))


def most_cpu_wait(
    start: float, end: float, before: ThreadMark | None, inside: ThreadMark | None,
    final: ThreadTimes | None, asleep_wait: float = 0.0,
) -> float | None:
    """Return the most CPU wait the stretch [start, end] can hold; None when unknown.

    All the wait since the earliest mark may have fallen inside it, and so may
    the whole time from the stretch's start to a mark taken after it; none of
    `asleep_wait`, counted after `inside` while the thread slept.
    """
    earliest = before if before is not None else inside
    if final is None or earliest is None:
        return None
    grown = max(0.0, final.cpu_wait_seconds - earliest.times.cpu_wait_seconds - asleep_wait)
    return min(end - start, grown + max(0.0, earliest.at_seconds - start))


def surely_own(stretch: StretchAccount, most_wait: float | None, threshold_seconds: float) -> bool:
    """Tell whether a stretch is over the threshold even with all the CPU wait it can hold taken out.

    The test for a stretch without a stack sample whose thread barely ran: it
    slept (the code's own time) or got no CPU, and only this bound tells.
    """
    if most_wait is None:
        return False
    return stretch.wall_seconds - most_wait - stretch.gc_seconds > threshold_seconds


def account(
    start: float,
    end: float,
    before: ThreadMark | None,
    inside: ThreadMark | None,
    final: ThreadTimes | None,
    gc_seconds: float = 0.0,
    explicit_gc_seconds: float = 0.0,
    explicit_gc_stack: tuple[StackFrame, ...] = (),
    asleep_wait: float = 0.0,
) -> StretchAccount:
    """Account for the stretch [start, end] from the marks around it.

    `before` was taken before the stretch got long (possibly before it began),
    `inside` when the watchdog first sampled it, `final` as it ended; any may
    be missing (no schedstat, the watchdog could not run), which only makes
    the CPU wait smaller. `asleep_wait`, wait the counter grew by after
    `inside` while the thread slept, is not CPU wait.
    """
    wall = end - start
    if final is None or (before is None and inside is None):
        return StretchAccount(
            wall, 0.0, gc_seconds, explicit_gc_seconds, explicit_gc_stack=explicit_gc_stack
        )
    wait = run = 0.0
    head_end, head_times = end, final
    if inside is not None and start <= inside.at_seconds <= end:
        wait = max(0.0, final.cpu_wait_seconds - inside.times.cpu_wait_seconds - asleep_wait)
        run = max(0.0, final.on_cpu_seconds - inside.times.on_cpu_seconds)
        head_end, head_times = inside.at_seconds, inside.times
    head = head_end - start
    if before is not None and before.at_seconds <= head_end:
        wait += _inside(
            head_times.cpu_wait_seconds - before.times.cpu_wait_seconds,
            before.at_seconds, start, head,
        )
        # An upper bound for the head: a computing C call often leaves no inside mark.
        run += min(head, max(0.0, head_times.on_cpu_seconds - before.times.on_cpu_seconds))
    elif end > head_end:  # no mark before: the head ran as the tail did
        run *= wall / (end - head_end)
    wait = min(wait, max(0.0, wall - gc_seconds))
    return StretchAccount(wall, wait, gc_seconds, explicit_gc_seconds, run, explicit_gc_stack)
