"""StallDetector's accounting: CPU wait and GC pauses left out of the verdict, the kind kept."""

from __future__ import annotations

import asyncio
import json.decoder
from types import SimpleNamespace

import pytest
from detector_fakes import (
    THRESHOLD,
    FakeSchedStat,
    run,
    sleep_the_kernel_counts_as_wait,
    started,
    write_app,
)

from pytest_loopguard.detector import StallDetector, mark_age
from pytest_loopguard.gcpauses import GcPauses
from pytest_loopguard.stall import StackFrame


def test_sampled_stretch_long_only_because_its_thread_waited_for_a_cpu_is_dismissed(
    detector, clock, frames, schedstat, tmp_path
):
    frames.show((write_app(tmp_path), 2, "work"))

    async def main():
        detector.sample()  # a note before the stretch grows long
        clock.advance(0.03)
        schedstat.wait_for_cpu(0.03)
        detector.sample()  # the watchdog sees it long and samples it
        schedstat.wait_for_cpu(0.2)
        clock.advance(0.02)
        await asyncio.sleep(0)

    run(main())
    assert detector.drain() == []
    assert detector.starved == 1
    [dismissed] = detector.drain_starved()
    # 50 ms of the thread's own and 230 ms of waiting for a CPU, each advancing the clock.
    assert (dismissed.duration_seconds, dismissed.cpu_wait_seconds) == pytest.approx((0.28, 0.23))
    assert dismissed.sampled
    assert detector.drain_starved() == []


def test_a_blocking_sleep_under_load_is_still_a_stall_that_waited(
    detector, clock, frames, schedstat, tmp_path
):
    frames.show((write_app(tmp_path), 2, "work"))

    async def main():
        detector.sample()
        schedstat.sleep(0.06)
        detector.sample()
        schedstat.sleep(0.2)
        schedstat.wait_for_cpu(0.02)  # woken late: the machine was busy
        await asyncio.sleep(0)

    run(main())
    [stall] = detector.drain()
    assert stall.duration_seconds == pytest.approx(0.28)
    assert stall.cpu_wait_seconds == pytest.approx(0.02)
    assert stall.kind == "waiting"
    assert not stall.gc_only


def test_a_sleep_the_kernel_counts_as_cpu_wait_is_still_a_stall(
    detector, frames, schedstat, tmp_path
):
    frames.show((write_app(tmp_path), 2, "work"))
    sleep_the_kernel_counts_as_wait(detector, schedstat, runs_between=0.0)
    [stall] = detector.drain()
    assert stall.duration_seconds == pytest.approx(0.26)
    assert stall.cpu_wait_seconds == pytest.approx(0.0)
    assert stall.kind == "waiting"
    assert detector.starved == 0


@pytest.mark.parametrize("runs_between", [0.001, 0.000_005])
def test_wait_between_looks_at_a_blocked_thread_that_ran_is_cpu_wait(
    detector, frames, schedstat, tmp_path, runs_between
):
    # Blocked at each look but running in between, if only for microseconds (a starved
    # thread waiting for the GIL the watchdog holds while it looks): its wait is believed.
    frames.show((write_app(tmp_path), 2, "work"))
    sleep_the_kernel_counts_as_wait(detector, schedstat, runs_between=runs_between)
    assert detector.drain() == []
    assert detector.starved == 1


def test_cpu_work_slowed_by_load_is_a_stall_of_its_own_time_that_computed(
    detector, clock, frames, schedstat, tmp_path
):
    frames.show((write_app(tmp_path), 2, "work"))

    async def main():
        detector.sample()
        clock.advance(0.06)
        detector.sample()
        for _ in range(3):
            clock.advance(0.05)
            schedstat.wait_for_cpu(0.05)
        await asyncio.sleep(0)

    run(main())
    [stall] = detector.drain()
    assert stall.cpu_wait_seconds == pytest.approx(0.15)
    assert stall.kind == "cpu"


def test_a_look_inside_a_stretch_before_it_grows_long_does_not_hide_the_wait_before_it(
    detector, clock, frames, schedstat, tmp_path
):
    # Under load the watchdog wakes at any moment of a stretch: a mark it took then would
    # pass for one before the stretch, and the wait up to it would count as the loop's own.
    frames.show((write_app(tmp_path), 2, "work"))

    async def main():
        schedstat.wait_for_cpu(0.04)  # the stretch starts in a run queue
        detector.sample()  # the watchdog looks: busy 40 ms, not yet half the threshold
        clock.advance(0.015)
        detector.sample()  # now long: sampled
        clock.advance(0.05)
        await asyncio.sleep(0)

    run(main())
    assert detector.drain() == []  # 65 ms of its own in 105 ms
    [dismissed] = detector.drain_starved()
    assert (dismissed.duration_seconds, dismissed.cpu_wait_seconds) == pytest.approx((0.105, 0.04))


def test_unsampled_stretch_whose_thread_waited_for_a_cpu_is_dismissed(detector, schedstat):
    async def main():
        detector.sample()  # the watchdog notes the thread, then gets no CPU itself
        schedstat.wait_for_cpu(0.3)
        await asyncio.sleep(0)

    run(main())
    assert detector.drain() == []
    assert detector.starved == 1
    [dismissed] = detector.drain_starved()
    assert (dismissed.duration_seconds, dismissed.most_cpu_wait_seconds) == pytest.approx((0.3, 0.3))
    assert not dismissed.sampled


def test_unsampled_stretch_whose_thread_slept_is_a_stall(detector, schedstat):
    def blocking_callback() -> None:  # a C callback such as time.sleep leaves no frame
        schedstat.sleep(0.3)

    async def main():
        detector.sample()
        asyncio.get_running_loop().call_soon(blocking_callback)
        await asyncio.sleep(0)

    run(main())
    [stall] = detector.drain()
    assert stall.blocking_frame is None
    assert (stall.kind, stall.cpu_wait_seconds) == ("waiting", 0.0)
    assert detector.starved == 0


def test_unsampled_stretch_that_may_have_waited_for_a_cpu_is_given_the_doubt(
    detector, clock, schedstat
):
    fresh = mark_age(THRESHOLD)

    async def main():
        await asyncio.sleep(0)  # a stretch starts: the loop thread takes a mark
        schedstat.wait_for_cpu(fresh * 0.8)  # a short stretch that waited for a CPU
        await asyncio.sleep(0)
        # The mark is too recent to be renewed, so this sleep, just over the limit, may
        # have been that wait and, under the limit, of its own.
        schedstat.sleep(THRESHOLD + fresh * 0.4)
        await asyncio.sleep(0)

    run(main())
    assert detector.drain() == []
    assert detector.starved == 1


def test_a_stall_after_cpu_wait_since_an_old_mark_is_not_taken_for_that_wait(
    detector, clock, schedstat
):
    """The CI flake: the wait before a stretch must not excuse a C callback that sleeps.

    The watchdog gets no CPU (no sample, no mark of its own); the loop thread
    waited in a run queue in earlier short stretches, 0.27 s in all since
    the loop's first mark, then a callback slept 0.3 s holding the GIL.
    """

    def blocking_callback() -> None:  # a C callback such as time.sleep: no frame, no CPU
        schedstat.sleep(0.3)

    async def main():
        for _ in range(3):
            schedstat.wait_for_cpu(0.09)  # each stretch under the limit
            await asyncio.sleep(0)
        asyncio.get_running_loop().call_soon(blocking_callback)
        await asyncio.sleep(0)

    run(main())
    [stall] = detector.drain()
    assert stall.blocking_frame is None
    assert stall.duration_seconds == pytest.approx(0.3)
    assert (stall.kind, stall.cpu_wait_seconds) == ("waiting", 0.0)
    assert detector.starved == 0


def test_a_mark_at_each_run_lets_its_first_stretch_leave_out_the_wait(detector, clock, schedstat):
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(asyncio.sleep(0))  # the loop's first run: marks taken then
        clock.advance(0.3)  # between runs the thread ran pytest: the old mark cannot tell

        async def slowed_down() -> None:
            clock.advance(0.02)  # 20 ms of CPU work ...
            schedstat.wait_for_cpu(0.2)  # ... and 200 ms in a run queue
            await asyncio.sleep(0)

        loop.run_until_complete(slowed_down())
    finally:
        loop.close()
    assert detector.drain() == []
    assert detector.starved == 1


class FakeGc:
    """A gc module whose collections the test runs by hand."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self.callbacks: list = []
        self.collect_seconds = 0.2  # what gc.collect() costs in a big heap

    def collect(self) -> int:
        self.pause(self.collect_seconds)
        return 0

    def pause(self, seconds: float) -> None:
        for callback in self.callbacks:
            callback("start", {"generation": 2})
        self.clock.advance(seconds)
        for callback in self.callbacks:
            callback("stop", {"generation": 2})


@pytest.fixture
def fake_gc(clock):
    return FakeGc(clock)


@pytest.fixture
def gc_detector(clock, frames, cpu, schedstat, fake_gc):
    yield from started(
        StallDetector(
            THRESHOLD, clock=clock, frames=frames, watchdog=False, cpu_clock=cpu,
            schedstat=schedstat, gc_pauses=GcPauses(clock, gc_module=fake_gc),
        )
    )


def test_a_stretch_long_only_because_of_an_automatic_collection_is_a_gc_pause(
    gc_detector, clock, fake_gc
):
    async def main():
        clock.advance(0.05)
        fake_gc.pause(0.2)
        await asyncio.sleep(0)

    run(main())
    [stall] = gc_detector.drain()
    assert stall.gc_only
    assert stall.gc_seconds == pytest.approx(0.2)


def test_an_explicit_collection_stays_the_callers_stall(gc_detector, clock, fake_gc):
    async def main():
        clock.advance(0.05)
        fake_gc.collect()  # the detector's wrapper: a collection the code asked for
        await asyncio.sleep(0)

    run(main())
    [stall] = gc_detector.drain()
    assert not stall.gc_only
    assert stall.gc_seconds == 0.0


def test_without_schedstat_stretches_are_judged_on_wall_time(clock, frames, cpu, tmp_path):
    absent = SimpleNamespace(available=False, read=lambda native_id: None)
    frames.show((write_app(tmp_path), 2, "work"))
    detector = StallDetector(
        THRESHOLD, clock=clock, frames=frames, watchdog=False, cpu_clock=cpu,
        schedstat=absent,  # type: ignore[arg-type]
    )

    async def main():
        detector.sample()
        cpu.starve(0.06)
        detector.sample()
        cpu.starve(0.2)
        await asyncio.sleep(0)

    for _ in started(detector):
        run(main())
        [stall] = detector.drain()
        assert stall.kind is None and stall.cpu_wait_seconds == 0.0


def test_fake_schedstat_follows_the_cpu_clock(cpu, clock):
    stat = FakeSchedStat(cpu)
    before = stat.read(1)
    stat.wait_for_cpu(0.1)
    clock.advance(0.1)
    after = stat.read(1)
    assert after.cpu_wait_seconds - before.cpu_wait_seconds == pytest.approx(0.1)
    assert after.on_cpu_seconds - before.on_cpu_seconds == pytest.approx(0.1)


def test_a_thread_that_takes_an_ended_threads_id_keeps_its_marks(detector, cpu, schedstat):
    """The watchdog forgetting the ended thread never takes the new thread's marks with it."""
    run(asyncio.sleep(0))  # a loop in a thread that then ends ...
    cpu.end_thread()  # ... and a new thread gets its id
    real_handle = cpu.handle

    def handle_while_the_watchdog_notes_the_ended_thread() -> object | None:
        cpu.handle = real_handle
        detector.sample()  # the watchdog finds the old thread gone, in the midst of activation
        return real_handle()

    cpu.handle = handle_while_the_watchdog_notes_the_ended_thread

    def blocking_callback() -> None:  # holds the GIL, leaves no frame, uses no CPU
        schedstat.sleep(0.3)

    async def main():
        detector.sample()
        asyncio.get_running_loop().call_soon(blocking_callback)
        await asyncio.sleep(0)

    run(main())
    [stall] = detector.drain()
    assert stall.kind == "waiting"
    assert detector.starved == 0


@pytest.fixture
def gc_caller(tmp_path):
    """The stack gc.collect()'s wrapper keeps: the project's line that called it."""
    return (StackFrame(str(tmp_path / "app.py"), 7, "main", "gc.collect()"),)


@pytest.fixture
def gc_stack_detector(clock, frames, cpu, schedstat, fake_gc, gc_caller):
    pauses = GcPauses(clock, gc_module=fake_gc, capture=lambda frame: gc_caller)
    yield from started(
        StallDetector(
            THRESHOLD, clock=clock, frames=frames, watchdog=False, cpu_clock=cpu,
            schedstat=schedstat, gc_pauses=pauses,
        )
    )


def test_a_stall_mostly_spent_in_gc_collect_names_that_call_over_its_samples(
    gc_stack_detector, clock, frames, fake_gc, gc_caller
):
    # What a sample saw before the collection: library code, with no frame of the project.
    frames.show((json.decoder.__file__, 3, "decode"))

    async def main():
        gc_stack_detector.sample()
        clock.advance(0.06)
        gc_stack_detector.sample()  # the watchdog samples the stretch: json's line
        fake_gc.collect()  # 200 ms the code asked for, no sample possible
        await asyncio.sleep(0)

    run(main())
    [stall] = gc_stack_detector.drain()
    assert stall.kind == "collect"
    assert stall.blocking_frame == gc_caller[-1]
    assert stall.stack == gc_caller
    assert [frame.function for frame, _ in stall.samples] == ["decode"]  # still shown
