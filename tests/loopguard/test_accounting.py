"""Stall accounting: CPU wait and GC pauses taken out of a stretch, and the rule that judges it."""

from __future__ import annotations

import gc
import itertools
import os
import sys
import threading
import time

import pytest

from pytest_loopguard.accounting import (
    CURES,
    StretchAccount,
    ThreadMark,
    account,
    judge,
    most_cpu_wait,
    surely_own,
)
from pytest_loopguard.frames import capture_stack
from pytest_loopguard.gcpauses import GcPauses
from pytest_loopguard.schedstat import SchedStat, ThreadTimes

THRESHOLD = 0.1


def times(on_cpu: float, wait: float) -> ThreadTimes:
    return ThreadTimes(on_cpu, wait)


def test_a_sleep_takes_no_cpu_and_stays_a_stall_that_waited():
    stretch = account(
        10.0, 10.3, ThreadMark(9.99, times(1.0, 0.5)), ThreadMark(10.05, times(1.0, 0.5)),
        times(1.001, 0.5),
    )
    assert stretch.cpu_wait_seconds == 0.0
    assert judge(stretch, THRESHOLD) == "stall"
    assert stretch.kind == "waiting"


def test_cpu_work_is_a_stall_that_computed():
    stretch = account(
        10.0, 10.3, ThreadMark(10.0, times(1.0, 0.5)), ThreadMark(10.05, times(1.05, 0.5)),
        times(1.3, 0.5),
    )
    assert judge(stretch, THRESHOLD) == "stall"
    assert stretch.kind == "cpu"


def test_a_stretch_long_only_because_its_thread_waited_for_a_cpu_is_dismissed():
    # 300 ms of wall time, 240 ms of it in the run queue: 60 ms of the loop's own.
    stretch = account(
        10.0, 10.3, ThreadMark(10.0, times(1.0, 0.5)), ThreadMark(10.05, times(1.01, 0.54)),
        times(1.06, 0.74),
    )
    assert stretch.cpu_wait_seconds == pytest.approx(0.24)
    assert judge(stretch, THRESHOLD) == "cpu_wait"


def test_cpu_wait_before_the_stretch_began_is_not_subtracted():
    # The mark is 50 ms older than the stretch: up to 50 ms of the 60 ms of waiting
    # since may lie before it, so only 10 ms provably fell inside.
    stretch = account(10.0, 10.15, ThreadMark(9.95, times(1.0, 0.5)), None, times(1.0, 0.56))
    assert stretch.cpu_wait_seconds == pytest.approx(0.01)
    assert judge(stretch, THRESHOLD) == "stall"


def test_a_stretch_is_surely_its_own_only_over_the_threshold_without_all_the_wait_it_can_hold():
    stretch = StretchAccount(0.3, cpu_wait_seconds=0.0, gc_seconds=0.05)
    assert surely_own(stretch, 0.1, 0.1)  # 0.3 - 0.1 - 0.05 > 0.1
    assert not surely_own(stretch, 0.2, 0.1)  # 0.05 s left: it may have been waiting
    assert not surely_own(stretch, None, 0.1)  # no schedstat: never sure


def test_the_most_cpu_wait_counts_all_since_the_earliest_mark_and_the_unmarked_head():
    final = times(1.0, 0.56)
    # Before the stretch: all 60 ms since the mark may lie inside it.
    assert most_cpu_wait(10.0, 10.15, ThreadMark(9.95, times(1.0, 0.5)), None, final) == (
        pytest.approx(0.06)
    )
    # Only a mark inside: the 50 ms before it may all have been waiting too.
    assert most_cpu_wait(10.0, 10.15, None, ThreadMark(10.05, times(1.0, 0.5)), final) == (
        pytest.approx(0.11)
    )
    # Never more than the stretch, and unknown without marks or a final reading.
    assert most_cpu_wait(10.0, 10.15, ThreadMark(9.0, times(1.0, 0.0)), None, final) == (
        pytest.approx(0.15)
    )
    assert most_cpu_wait(10.0, 10.15, None, None, final) is None
    assert most_cpu_wait(10.0, 10.15, ThreadMark(9.95, times(1.0, 0.5)), None, None) is None


def test_without_schedstat_the_stretch_is_judged_on_wall_time():
    stretch = account(10.0, 10.2, None, None, None)
    assert stretch == StretchAccount(pytest.approx(0.2))
    assert stretch.kind is None
    assert judge(stretch, THRESHOLD) == "stall"


def test_a_stretch_long_only_because_of_an_automatic_collection_is_a_gc_pause():
    stretch = account(10.0, 10.3, None, None, None, gc_seconds=0.25)
    assert judge(stretch, THRESHOLD) == "gc"


def test_an_explicit_collection_stays_the_callers_stall():
    stretch = account(10.0, 10.3, None, None, None, explicit_gc_seconds=0.25)
    assert judge(stretch, THRESHOLD) == "stall"


def test_gc_and_cpu_wait_together_make_a_gc_pause_only_when_gc_tipped_it():
    both = account(
        10.0, 10.3, ThreadMark(10.0, times(1.0, 0.5)), None, times(1.0, 0.6), gc_seconds=0.15
    )
    assert both.own_seconds == pytest.approx(0.05)
    assert judge(both, THRESHOLD) == "gc"


def test_every_kind_has_a_cure():
    assert "process pool" in CURES["cpu"] and "asyncio.sleep(0)" in CURES["cpu"]
    assert "asyncio.to_thread" in CURES["waiting"]


# schedstat


def test_schedstat_parses_the_first_two_fields_as_seconds():
    files = {"/proc/7/schedstat": b"1 2 3\n", "/proc/7/task/9/schedstat": b"3000000 500000000 4\n"}
    stat = SchedStat(read=files.get, pid=7)
    assert stat.available
    assert stat.read(9) == ThreadTimes(pytest.approx(0.003), pytest.approx(0.5))
    assert stat.read(10) is None  # a thread that has ended


@pytest.mark.parametrize("content", [None, b"", b"garbage", b"1 x 3"])
def test_schedstat_where_absent_or_unreadable_says_so(content):
    stat = SchedStat(read=lambda path: content, pid=7)
    assert stat.read(9) is None
    assert not stat.available


@pytest.mark.parametrize(
    ("content", "blocked"),
    [
        (b"9 (python3) S 1 9 9 0 -1", True),
        (b"9 (a (b) R) D 1 9", True),  # a thread name may hold spaces and parentheses
        (b"9 (worker) R 1 9 9", False),
        (b"9 (worker) t 1 9", True),  # stopped by a debugger
        (None, None),
        (b"garbage", None),
    ],
)
def test_schedstat_tells_a_blocked_thread_from_its_stat_file(content, blocked):
    files = {"/proc/7/schedstat": b"1 2 3\n", "/proc/7/task/9/stat": content}
    assert SchedStat(read=files.get, pid=7).blocked(9) is blocked


@pytest.mark.skipif(not SchedStat().available, reason="no /proc/<pid>/task/<tid>/schedstat")
def test_a_real_sleeping_thread_is_blocked_and_a_computing_one_is_not():
    stat = SchedStat()
    asleep = threading.Event()
    natives: list[int] = []

    def sleeper() -> None:
        natives.append(threading.get_native_id())
        asleep.set()
        time.sleep(0.5)

    thread = threading.Thread(target=sleeper)
    thread.start()
    asleep.wait()
    time.sleep(0.05)  # well inside its sleep
    assert stat.blocked(natives[0]) is True
    assert stat.blocked(threading.get_native_id()) is False  # this thread runs
    thread.join()


@pytest.mark.skipif(not SchedStat().available, reason="no /proc/<pid>/task/<tid>/schedstat")
def test_schedstat_of_a_real_thread_grows_while_it_computes_not_while_it_sleeps():
    stat = SchedStat()
    native = threading.get_native_id()
    start = stat.read(native)
    time.sleep(0.05)
    slept = stat.read(native)
    deadline = time.thread_time() + 0.05
    while time.thread_time() < deadline:
        pass
    computed = stat.read(native)
    assert slept.on_cpu_seconds - start.on_cpu_seconds < 0.02
    assert computed.on_cpu_seconds - slept.on_cpu_seconds >= 0.04


# GC pauses


@pytest.fixture
def pauses():
    ticks = itertools.count()
    tracker = GcPauses(clock=lambda: next(ticks) * 0.01)  # each collection: 10 ms
    tracker.install()
    yield tracker
    tracker.uninstall()


@pytest.fixture
def no_automatic_gc():
    """Keep automatic collections out: on the fake clock each one would count 10 ms."""
    gc.disable()
    yield
    gc.enable()


def test_an_explicit_collection_is_marked_explicit(pauses, no_automatic_gc):
    gc.collect()
    automatic, explicit, stack = pauses.overlap(threading.get_ident(), -1.0, 1e9)
    assert explicit == pytest.approx(0.01)
    assert automatic == 0.0
    assert stack == ()  # no capture given


def test_an_explicit_collection_keeps_its_callers_stack(no_automatic_gc):
    ticks = itertools.count()
    tracker = GcPauses(clock=lambda: next(ticks) * 0.01, capture=capture_stack)
    tracker.install()
    try:
        gc.collect()  # the line the stall will name
        line = sys._getframe().f_lineno - 1
        overlap = tracker.overlap(threading.get_ident(), -1.0, 1e9)
    finally:
        tracker.uninstall()
    assert overlap.explicit_seconds == pytest.approx(0.01)
    blocking = overlap.explicit_stack[-1]
    assert (blocking.filename, blocking.lineno) == (__file__, line)
    assert blocking.function.endswith("test_an_explicit_collection_keeps_its_callers_stack")


def test_an_automatic_collection_is_marked_automatic(pauses):
    before = gc.get_count()[0]
    threshold = gc.get_threshold()[0]
    garbage = [[] for _ in range(threshold * 3 + before)]  # crosses generation 0's threshold
    del garbage
    automatic, explicit, _ = pauses.overlap(threading.get_ident(), -1.0, 1e9)
    assert automatic > 0.0
    assert explicit == 0.0


def test_another_threads_collection_pauses_the_loop_but_is_not_its_call(pauses, no_automatic_gc):
    """It held the GIL, so the loop's thread stood still; its code did not ask for it."""
    worker = threading.Thread(target=gc.collect)
    worker.start()
    worker.join()
    here = threading.get_ident()
    assert pauses.overlap(here, -1.0, 1e9) == (pytest.approx(0.01), 0.0, ())
    assert pauses.overlap(worker.ident, -1.0, 1e9).explicit_seconds == pytest.approx(0.01)
    assert pauses.overlap(here, 1e8, 1e9) == (0.0, 0.0, ())


class CollectThenAnotherThread:
    """A gc module whose collection is followed, before `collect` returns, by one in another thread."""

    def __init__(self) -> None:
        self.callbacks: list = []

    def _collection(self) -> None:
        for callback in list(self.callbacks):
            callback("start", {"generation": 2})
        for callback in list(self.callbacks):
            callback("stop", {"generation": 2})

    def collect(self, *args: object) -> int:
        self._collection()
        other = threading.Thread(target=self._collection)
        other.start()
        other.join()
        return 0


def test_an_explicit_call_keeps_its_stack_when_another_threads_collection_came_after_it():
    ticks = itertools.count()
    fake_gc = CollectThenAnotherThread()
    tracker = GcPauses(
        clock=lambda: next(ticks) * 0.01, gc_module=fake_gc, capture=lambda frame: ("caller",)
    )
    tracker.install()
    try:
        fake_gc.collect()  # the wrapper
        overlap = tracker.overlap(threading.get_ident(), -1.0, 1e9)
    finally:
        tracker.uninstall()
    assert overlap.explicit_stack == ("caller",)
    assert overlap.explicit_seconds == pytest.approx(0.01)
    assert overlap.automatic_seconds == pytest.approx(0.01)  # the other thread's


def test_uninstall_puts_gc_back():
    original = gc.collect
    tracker = GcPauses(clock=time.perf_counter)
    tracker.install()
    assert gc.collect is not original and tracker._callback in gc.callbacks
    tracker.uninstall()
    assert gc.collect is original
    assert tracker._callback not in gc.callbacks


def test_schedstat_reads_this_process_by_default():
    assert SchedStat()._prefix == f"/proc/{os.getpid()}/task/"


@pytest.mark.skipif(not SchedStat().available, reason="no /proc/<pid>/task/<tid>/schedstat")
def test_schedstat_reads_past_a_patcher_of_os_read(monkeypatch: pytest.MonkeyPatch):
    # blockbuster, active in anyio's and aiohttp's suites, raises on os.read in a loop: the
    # detector's own /proc read there is an internal error and a lost mark unless it goes past.
    def refuse(*args: object) -> bytes:
        raise RuntimeError("Blocking call to os.read")

    monkeypatch.setattr(os, "read", refuse)
    monkeypatch.setattr(os, "open", refuse)
    assert SchedStat().read(threading.get_native_id()) is not None
