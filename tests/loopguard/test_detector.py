"""StallDetector with fake clocks and frames: stretches, samples, threshold, start and stop."""

from __future__ import annotations

import asyncio
import json.decoder
import sys
import threading
from asyncio import base_events, events

import _pytest.python
import pytest
from detector_fakes import THRESHOLD, run, write_app

from pytest_loopguard.detector import StallDetector


def test_busy_stretch_over_the_threshold_is_a_stall(detector, clock):
    async def main():
        clock.advance(0.25)
        await asyncio.sleep(0)

    run(main())
    [stall] = detector.drain()
    assert stall.duration_seconds == pytest.approx(0.25)
    assert stall.threshold_seconds == THRESHOLD
    assert (stall.loop_kind, stall.thread_name) == ("asyncio", threading.current_thread().name)
    assert stall.ended_with_loop is False


def test_busy_stretch_under_the_threshold_is_not_a_stall(detector, clock):
    async def main():
        for _ in range(5):
            clock.advance(0.09)
            await asyncio.sleep(0)

    run(main())
    assert detector.drain() == []


def test_back_to_back_steps_without_a_poll_count_together(detector, clock):
    async def step():
        clock.advance(0.06)

    async def main():
        await asyncio.gather(step(), step())  # both first steps run in one iteration

    run(main())
    [stall] = detector.drain()
    assert stall.duration_seconds == pytest.approx(0.12)


def test_time_waiting_in_select_is_not_counted(detector, clock):
    loop = asyncio.new_event_loop()
    selector = loop._selector
    real_select = selector.select

    def slow_select(timeout=None):
        clock.advance(5.0)
        return real_select(timeout)

    selector.select = slow_select

    async def main():
        for _ in range(3):
            clock.advance(0.01)
            await asyncio.sleep(0)

    try:
        loop.run_until_complete(main())
        loop.run_until_complete(main())  # the wrapper stays on the loop between runs
        assert selector.select is not slow_select
    finally:
        loop.close()
    assert selector.select is slow_select  # closing the loop took our wrapper off again
    assert detector.drain() == []


def test_stall_at_loop_stop_counts_as_ended_with_loop(detector, clock):
    loop = asyncio.new_event_loop()

    def block_then_stop():
        clock.advance(0.3)
        loop.stop()

    loop.call_soon(block_then_stop)
    try:
        loop.run_forever()
    finally:
        loop.close()
    [stall] = detector.drain()
    assert stall.ended_with_loop is True
    assert stall.duration_seconds == pytest.approx(0.3)


def test_samples_name_the_deepest_user_frame_and_count_lines(
    detector, clock, frames, tmp_path
):
    app = write_app(tmp_path)
    test_file = str(tmp_path / "test_app.py")
    machinery = _pytest.python.__file__
    loop_code = base_events.__file__
    stdlib = json.decoder.__file__

    def show(line: int) -> None:
        frames.show(
            (machinery, 10, "pytest_pyfunc_call"),
            (test_file, 7, "test_it"),
            (loop_code, 20, "_run_once"),
            (app, line, "work"),
            (stdlib, 30, "decode"),
        )

    async def main():
        clock.advance(0.06)  # over half the threshold: sampling starts
        for line in (2, 2, 3, 2, 3):
            show(line)
            detector.sample()
            clock.advance(0.01)
        await asyncio.sleep(0)

    run(main())
    [stall] = detector.drain()
    first, second = stall.samples
    assert (first[0].lineno, first[1]) == (2, 3)
    assert (second[0].lineno, second[1]) == (3, 2)
    assert stall.blocking_frame == first[0]
    assert stall.blocking_frame.source_line == "total = crunch(1)"
    assert [(f.filename, f.lineno) for f in stall.stack] == [(test_file, 7), (app, 2)]
    assert stall.running is None


def test_loop_busy_for_less_than_half_the_threshold_is_not_sampled(
    detector, clock, frames, tmp_path
):
    app = write_app(tmp_path)
    frames.show((app, 2, "work"))

    async def main():
        clock.advance(0.04)
        detector.sample()
        clock.advance(0.08)
        await asyncio.sleep(0)

    run(main())
    [stall] = detector.drain()
    assert stall.samples == ()


def test_stall_without_samples_names_the_running_task(detector, clock):
    async def blocker():
        clock.advance(0.2)  # like a C call holding the GIL: no sample taken

    async def main():
        await asyncio.create_task(blocker(), name="crunch-task")

    run(main())
    [stall] = detector.drain()
    assert stall.blocking_frame is None
    assert stall.stack == ()
    assert "crunch-task" in stall.running
    assert "blocker" in stall.running


def test_threshold_change_takes_effect_at_once(detector, clock):
    async def main():
        clock.advance(0.2)
        detector.threshold_seconds = 0.5  # raised while the stretch is under way
        await asyncio.sleep(0)
        detector.threshold_seconds = 0.15
        clock.advance(0.2)
        await asyncio.sleep(0)

    run(main())
    [stall] = detector.drain()
    assert stall.threshold_seconds == 0.15


@pytest.mark.parametrize("value", [0, -1, float("nan"), float("inf")])
def test_threshold_must_be_positive(value):
    with pytest.raises(ValueError, match="positive number of seconds"):
        StallDetector(value)
    detector = StallDetector(0.1)
    with pytest.raises(ValueError, match="positive number of seconds"):
        detector.threshold_seconds = value
    assert detector.threshold_seconds == 0.1


def test_threshold_must_be_a_number():
    with pytest.raises(TypeError, match="number of seconds, got '100ms'"):
        StallDetector("100ms")


def test_drain_returns_each_stall_once(detector, clock):
    async def main():
        clock.advance(0.2)
        await asyncio.sleep(0)

    run(main())
    assert len(detector.drain()) == 1
    assert detector.drain() == []


def watchdog_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if "loopguard" in t.name]


def test_start_and_stop_are_idempotent_and_stop_removes_every_patch():
    trio_run = pytest.importorskip("trio")._core._run
    uvloop = pytest.importorskip("uvloop")
    originals = (
        base_events.BaseEventLoop.run_forever,
        base_events.BaseEventLoop.close,
        events.Handle._run,
        trio_run.setup_runner,
    )
    meta_path = list(sys.meta_path)
    detector = StallDetector(THRESHOLD)
    try:
        detector.start()
        detector.start()
        assert len(watchdog_threads()) == 1
        assert base_events.BaseEventLoop.run_forever is not originals[0]
        assert "run_forever" in vars(uvloop.Loop)
        assert trio_run.setup_runner is not originals[3]
    finally:
        detector.stop()
        detector.stop()
    assert (
        base_events.BaseEventLoop.run_forever,
        base_events.BaseEventLoop.close,
        events.Handle._run,
        trio_run.setup_runner,
    ) == originals
    assert "run_forever" not in vars(uvloop.Loop)
    assert sys.meta_path == meta_path
    assert watchdog_threads() == []


def test_context_manager_starts_and_stops():
    with StallDetector(THRESHOLD) as detector:
        assert detector.started and len(watchdog_threads()) == 1
    assert not detector.started and watchdog_threads() == []


def test_watchdog_sleeps_until_a_stretch_could_need_a_sample(detector, clock):
    assert detector.sample() == pytest.approx(THRESHOLD / 2)  # no loop: half the threshold
    delays = []

    async def main():
        clock.advance(0.03)
        delays.append(detector.sample())  # sampling is due in 0.02 s
        clock.advance(0.03)
        delays.append(detector.sample())  # a long stretch: sample every 10 ms
        await asyncio.sleep(0)

    run(main())
    assert delays == [pytest.approx(0.02), pytest.approx(0.01)]
    detector.drain()


class CountingLock:
    """A lock that counts how often it is taken."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.taken = 0

    def __enter__(self) -> None:
        self.lock.acquire()
        self.taken += 1

    def __exit__(self, *exc_info: object) -> None:
        self.lock.release()


def test_healthy_loop_runs_take_no_lock_after_the_first_activation(detector, clock):
    # Both of the detector's locks: its own, and its thread marks' (activation's).
    detector._lock = detector._marks._lock = counting = CountingLock()
    loop = asyncio.new_event_loop()

    async def step():
        clock.advance(0.01)
        await asyncio.sleep(0)

    try:
        for _ in range(3):  # like pytest-asyncio: fixture, test and teardown runs
            loop.run_until_complete(step())
    finally:
        loop.close()
    assert detector.drain() == []
    # Once, as the loop is first shown in its thread (the watchdog may be forgetting an
    # ended thread of the same id); never on a run or a callback.
    assert counting.taken == 1
