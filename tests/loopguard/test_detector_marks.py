"""How often the loop threads read schedstat: a recent mark of the thread serves every loop and run."""

from __future__ import annotations

import asyncio
import threading

import pytest
from detector_fakes import THRESHOLD, run, sleep_the_kernel_counts_as_wait

from pytest_loopguard.detector import MIN_MARK_AGE_SECONDS, mark_age

# Loop runs this close together share one mark.
FRESH_SECONDS = mark_age(THRESHOLD)


def test_a_mark_is_young_for_a_twentieth_of_the_threshold_and_at_least_2_ms():
    assert mark_age(0.1) == pytest.approx(0.005)
    assert mark_age(0.01) == MIN_MARK_AGE_SECONDS == 0.002


def test_loops_and_runs_started_within_a_marks_age_read_schedstat_once(
    detector, clock, schedstat
):
    for _ in range(10):  # ten tests' loops, each run several times by asyncio.run
        run(asyncio.sleep(0))
        clock.advance(FRESH_SECONDS / 20)
    assert schedstat.reads == 1


def test_a_run_starting_after_its_threads_mark_got_old_takes_a_new_one(
    detector, clock, schedstat
):
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(asyncio.sleep(0))
        clock.advance(FRESH_SECONDS * 1.2)
        loop.run_until_complete(asyncio.sleep(0))
        assert schedstat.reads == 2
        clock.advance(FRESH_SECONDS / 2)
        loop.run_until_complete(asyncio.sleep(0))
        assert schedstat.reads == 2
    finally:
        loop.close()


def test_the_age_of_a_mark_is_judged_by_the_threshold_of_the_run(detector, clock, schedstat):
    run(asyncio.sleep(0))
    detector.threshold_seconds = 10 * THRESHOLD
    clock.advance(FRESH_SECONDS * 2)
    run(asyncio.sleep(0))
    assert schedstat.reads == 1  # young for a ten times longer threshold
    detector.threshold_seconds = THRESHOLD
    run(asyncio.sleep(0))
    assert schedstat.reads == 2


def test_a_lowered_threshold_times_the_next_mark_of_a_loop_already_running(
    detector, clock, schedstat
):
    # A loop that runs across tests (a live server's): its next mark was due by the old
    # threshold, which is ten times the new one.
    detector.threshold_seconds = 10 * THRESHOLD
    reads = []

    async def main() -> None:
        await asyncio.sleep(0)
        reads.append(schedstat.reads)
        detector.threshold_seconds = THRESHOLD
        clock.advance(FRESH_SECONDS * 2)
        await asyncio.sleep(0)  # this stretch starts with a mark
        reads.append(schedstat.reads)

    run(main())
    assert reads[1] == reads[0] + 1


def test_a_new_loops_long_stretch_never_takes_the_looks_at_an_old_loops(
    detector, clock, schedstat
):
    # Each test's loop is new; the watchdog's looks at the last loop's long stretch must not
    # pass for this loop's: the sleep the kernel counts as wait is told only from its own.
    for _ in range(2):
        sleep_the_kernel_counts_as_wait(detector, schedstat, runs_between=0.0)
        clock.advance(1.0)
    assert [stall.kind for stall in detector.drain()] == ["waiting", "waiting"]
    assert detector.starved == 0


def test_a_new_thread_never_uses_the_mark_of_another(detector, schedstat):
    def loop_in_a_thread() -> None:
        worker = threading.Thread(target=run, args=(asyncio.sleep(0),))
        worker.start()
        worker.join()

    loop_in_a_thread()
    loop_in_a_thread()  # often with the ended thread's id, always with its own counters
    assert schedstat.reads == 2


def test_wait_in_a_new_loops_first_stretch_is_left_out_with_the_threads_recent_mark(
    detector, clock, schedstat
):
    run(asyncio.sleep(0))  # the previous test's loop: the thread's mark
    clock.advance(FRESH_SECONDS * 0.8)  # pytest between the tests, on a CPU

    async def slowed_down() -> None:
        clock.advance(0.02)  # 20 ms of CPU work ...
        schedstat.wait_for_cpu(0.2)  # ... and 200 ms in a run queue

    run(slowed_down())
    assert detector.drain() == []
    assert detector.starved == 1


def test_a_sleep_in_a_new_loops_first_stretch_with_the_threads_recent_mark_is_a_stall(
    detector, clock, schedstat
):
    run(asyncio.sleep(0))
    clock.advance(FRESH_SECONDS * 0.8)

    def blocking_callback() -> None:  # a C callback such as time.sleep: no frame, no CPU
        schedstat.sleep(0.3)

    async def main() -> None:
        asyncio.get_running_loop().call_soon(blocking_callback)
        await asyncio.sleep(0)

    run(main())
    [stall] = detector.drain()
    assert (stall.kind, stall.cpu_wait_seconds) == ("waiting", 0.0)
    assert detector.starved == 0
