"""StallDetector's starvation check: a stall with no sample is judged by the thread's CPU.

These run without schedstat (macOS, Windows, a hidden /proc), where the thread's
CPU clock is all there is; test_detector_accounting has the same cases with it.
"""

from __future__ import annotations

import asyncio
from asyncio import base_events
from types import SimpleNamespace

import pytest
from detector_fakes import THRESHOLD, run, write_app

from pytest_loopguard.detector import StallDetector


@pytest.fixture
def schedstat() -> SimpleNamespace:
    return SimpleNamespace(available=False, read=lambda native_id: None)


def test_stall_without_a_sample_while_the_thread_did_not_run_is_not_counted(
    detector, cpu
):
    async def main():
        cpu.starve(0.3)  # the OS ran other processes; the watchdog could not sample
        await asyncio.sleep(0)

    run(main())
    assert detector.drain() == []
    assert detector.starved == 1


def test_sampled_stall_counts_even_when_the_thread_used_no_cpu(
    detector, clock, frames, cpu, tmp_path
):
    frames.show((write_app(tmp_path), 2, "work"))

    async def main():
        cpu.starve(0.06)  # waiting in a blocking call that released the GIL
        detector.sample()
        cpu.starve(0.2)
        await asyncio.sleep(0)

    run(main())
    [stall] = detector.drain()
    assert stall.blocking_frame.lineno == 2
    assert detector.starved == 0


@pytest.mark.parametrize("noted", [True, False])
def test_starvation_is_judged_from_the_cpu_used_since_the_watchdog_last_looked(
    detector, clock, cpu, noted
):
    async def main():
        for _ in range(10):  # half a second of CPU work in short stretches
            clock.advance(0.05)
            await asyncio.sleep(0)
        if noted:
            detector.sample()  # a fresh stretch: the thread's CPU time is noted
        cpu.starve(0.3)
        await asyncio.sleep(0)

    run(main())
    # Without a fresh note the CPU used before the stall is counted in: the stall stays.
    assert len(detector.drain()) == (0 if noted else 1)
    assert detector.starved == (1 if noted else 0)


def test_a_new_thread_with_the_id_of_an_ended_one_is_judged_by_its_own_cpu(detector, cpu):
    async def main():
        cpu.starve(0.3)
        await asyncio.sleep(0)

    run(asyncio.sleep(0))
    cpu.end_thread()  # threads that run one loop each, one after the other
    run(main())
    assert detector.drain() == []
    assert detector.starved == 1


def test_cpu_is_not_noted_for_a_thread_in_a_long_stretch(detector, clock, frames):
    frames.show((base_events.__file__, 20, "_run_once"))  # only machinery: no sample

    def gil_holding_call(done: asyncio.Future) -> None:
        clock.advance(0.3)  # the thread computes; the watchdog waits for the GIL
        detector.sample()  # ... and gets it just after the call returned
        done.set_result(None)

    async def main():
        done = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_soon(gil_holding_call, done)
        await done

    run(main())
    [stall] = detector.drain()
    assert stall.blocking_frame is None
    assert "gil_holding_call" in stall.running
    assert detector.starved == 0


def test_without_a_thread_cpu_clock_every_stall_counts(clock, cpu):
    cpu.available = False
    detector = StallDetector(THRESHOLD, clock=clock, watchdog=False, cpu_clock=cpu)

    async def main():
        cpu.starve(0.3)
        await asyncio.sleep(0)

    with detector:
        run(main())
    assert len(detector.drain()) == 1
    assert detector.starved == 0
