"""StallDetector and the life of a loop: unwrapped at stop and close, new selectors, trio, GC."""

from __future__ import annotations

import asyncio
import gc
import selectors
import threading
import weakref

import pytest
from detector_fakes import THRESHOLD, run

from pytest_loopguard.detector import StallDetector


def test_detector_sees_nothing_after_stop(clock):
    detector = StallDetector(THRESHOLD, clock=clock, watchdog=False)
    with detector:
        pass

    async def main():
        clock.advance(0.2)
        await asyncio.sleep(0)

    run(main())
    assert detector.drain() == []


def test_stop_unwraps_a_loop_still_running_in_another_thread(clock):
    detector = StallDetector(THRESHOLD, clock=clock, watchdog=False)
    loop = asyncio.new_event_loop()
    running = threading.Event()
    detector.start()
    thread = threading.Thread(target=loop.run_forever)  # binds the patched method
    try:
        loop.call_soon(running.set)
        thread.start()
        assert running.wait(10)
        assert "select" in vars(loop._selector)
        detector.stop()
        assert "select" not in vars(loop._selector)
        clock.advance(1.0)  # would be a stall if the loop were still timed
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
    finally:
        detector.stop()
        if thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
        loop.close()
    assert detector.drain() == []


def test_stop_unwraps_an_idle_open_loop_and_a_restart_wraps_it_again(clock, cpu):
    detector = StallDetector(THRESHOLD, clock=clock, watchdog=False, cpu_clock=cpu)
    loop = asyncio.new_event_loop()

    async def block():
        clock.advance(0.2)
        await asyncio.sleep(0)

    try:
        for _ in range(2):
            with detector:
                loop.run_until_complete(asyncio.sleep(0))
                assert "select" in vars(loop._selector)
            assert "select" not in vars(loop._selector)
            loop.run_until_complete(block())  # unwatched while stopped
        with detector:
            loop.run_until_complete(block())
            [stall] = detector.drain()
    finally:
        loop.close()
    assert stall.duration_seconds == pytest.approx(0.2)
    assert not stall.ended_with_loop  # timed by the select wrapper, not at loop exit
    assert detector._errors == []


def test_a_loop_given_a_new_selector_is_timed_through_the_new_one(clock, detector):
    loop = asyncio.new_event_loop()

    async def block():
        clock.advance(0.2)
        await asyncio.sleep(0)

    try:
        loop.run_until_complete(asyncio.sleep(0))
        old = loop._selector
        assert "select" in vars(old)
        loop._selector = selectors.DefaultSelector()
        loop._add_reader(loop._ssock.fileno(), loop._read_from_self)  # its self-pipe
        old.close()
        loop.run_until_complete(block())
        [stall] = detector.drain()
        assert "select" not in vars(old)  # the old selector's wrapper was taken off
        assert "select" in vars(loop._selector)
    finally:
        loop.close()
    assert not stall.ended_with_loop  # timed between two polls of the new selector
    assert detector._errors == []


def test_trio_stall_is_timed_between_io_waits_and_names_the_run(detector, clock):
    trio = pytest.importorskip("trio")

    async def crunch():
        await trio.sleep(0)
        clock.advance(0.05)  # short step, then the poll
        await trio.sleep(0)
        clock.advance(0.3)  # long step
        await trio.sleep(0)

    trio.run(crunch)
    [stall] = detector.drain()
    assert (stall.loop_kind, stall.duration_seconds) == ("trio", pytest.approx(0.3))
    assert stall.running.startswith("a task of the trio run of")
    assert "crunch" in stall.running


@pytest.mark.parametrize("kind", ["asyncio", "uvloop"])
def test_a_closed_loop_is_freed_without_the_cyclic_gc(detector, kind):
    """pytest-asyncio makes a loop per test: leaving each to the GC costs every test."""
    if kind == "uvloop":
        new_loop = pytest.importorskip("uvloop").new_event_loop
    else:
        new_loop = asyncio.new_event_loop

    async def nothing():
        pass

    loop = new_loop()
    try:
        loop.run_until_complete(nothing())
    finally:
        loop.close()
    freed = weakref.ref(loop)
    gc.disable()
    try:
        del loop
        assert freed() is None
    finally:
        gc.enable()
