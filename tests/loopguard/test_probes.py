"""Real event loops blocked by a real time.sleep: the stall names that line."""

from __future__ import annotations

import asyncio
import ctypes
import threading
import time

import pytest
from detector_fakes import started

from pytest_loopguard.cputime import ThreadCpuClock
from pytest_loopguard.detector import StallDetector
from pytest_loopguard.report import NO_SAMPLE, format_stall
from pytest_loopguard.schedstat import SchedStat

THRESHOLD = 0.05
BLOCK = 0.2


def blocking_line() -> int:
    """Return the line number of the one blocking call of this file."""
    with open(__file__) as source:
        for number, line in enumerate(source, start=1):
            if line.strip() == "time.sleep(BLOCK)  # the blocking line":
                return number
    raise AssertionError("blocking line not found")


def block() -> None:
    time.sleep(BLOCK)  # the blocking line


@pytest.fixture
def detector():  # the real clock and stacks, unlike the fakes of conftest's detector
    yield from started(StallDetector(THRESHOLD))


def assert_one_stall(detector: StallDetector, kind: str, thread: str = "MainThread") -> None:
    [stall] = detector.drain()
    assert (stall.loop_kind, stall.thread_name) == (kind, thread)
    assert stall.duration_seconds > THRESHOLD
    assert stall.blocking_frame is not None
    frame = stall.blocking_frame
    assert (frame.filename, frame.lineno) == (__file__, blocking_line())
    assert stall.blocking_frame.source_line == "time.sleep(BLOCK)  # the blocking line"
    assert stall.stack[-1] == stall.blocking_frame
    coroutine = "blocked_trio" if kind == "trio" else "blocked_asyncio"
    assert [f.function for f in stall.stack][-2:] == [coroutine, "block"]


async def blocked_asyncio() -> None:
    await asyncio.sleep(0)
    block()
    await asyncio.sleep(0)


def test_asyncio_run_stall_names_the_blocking_line(detector):
    asyncio.run(blocked_asyncio())
    assert_one_stall(detector, "asyncio")


def test_loop_in_a_thread_is_watched(detector):
    thread = threading.Thread(target=asyncio.run, args=(blocked_asyncio(),), name="loop-thread")
    thread.start()
    thread.join()
    assert_one_stall(detector, "asyncio", "loop-thread")


def test_uvloop_stall_names_the_blocking_line(detector):
    uvloop = pytest.importorskip("uvloop")
    uvloop.run(blocked_asyncio())
    assert_one_stall(detector, "uvloop")


async def blocked_trio() -> None:
    import trio

    await trio.sleep(0)
    block()
    await trio.sleep(0)


def test_trio_stall_names_the_blocking_line(detector):
    trio = pytest.importorskip("trio")
    trio.run(blocked_trio)
    assert_one_stall(detector, "trio")


def test_trio_guest_run_of_anyio_test_runner_is_watched(detector):
    """anyio's pytest plugin runs trio tests as a guest run on a plain queue."""
    pytest.importorskip("trio")
    from anyio.pytest_plugin import get_runner

    with get_runner("trio", {}) as runner:
        runner.run_test(blocked_trio, {})
    assert_one_stall(detector, "trio")


def test_trio_guest_run_on_an_asyncio_host_is_reported_once(detector):
    trio = pytest.importorskip("trio")

    async def host() -> None:
        loop = asyncio.get_running_loop()
        finished = loop.create_future()
        trio.lowlevel.start_guest_run(
            blocked_trio,
            run_sync_soon_threadsafe=loop.call_soon_threadsafe,
            done_callback=finished.set_result,
        )
        (await finished).unwrap()

    asyncio.run(host())
    [stall] = detector.drain()
    assert stall.loop_kind == "asyncio"
    assert stall.blocking_frame.lineno == blocking_line()


def test_short_blocks_and_idle_waits_are_not_stalls(detector):
    async def healthy() -> None:
        for _ in range(15):
            time.sleep(0.01)  # noqa: ABL100 - a short block on purpose
            await asyncio.sleep(0)
        await asyncio.sleep(0.3)

    asyncio.run(healthy())
    assert detector.drain() == []


def sum_size_for(cpu_seconds: float) -> int:
    """Return n such that sum(range(n)) takes about `cpu_seconds` of CPU here."""
    start = time.thread_time()
    sum(range(10**6))
    used = max(time.thread_time() - start, 1e-4)
    return int(10**6 * cpu_seconds / used)


def run_in_thread(coro) -> None:
    """Run a loop in a thread of its own: no frame of this file on its stack."""
    thread = threading.Thread(target=asyncio.run, args=(coro,), name="loop-thread")
    thread.start()
    thread.join()


async def run_callback_alone(callback, *args) -> None:
    """Run one callback in a loop iteration of its own, after an idle moment."""
    await asyncio.sleep(0.1)  # idle in select: the watchdog notes the thread's CPU time
    asyncio.get_running_loop().call_soon(callback, *args)
    await asyncio.sleep(0.01)  # a timer: the task wakes in a later iteration


def test_c_call_holding_the_gil_is_a_stall_without_a_sample(detector):
    n = sum_size_for(0.3)
    run_in_thread(run_callback_alone(sum, range(n)))
    [stall] = detector.drain()
    assert stall.duration_seconds > THRESHOLD
    assert stall.blocking_frame is None
    assert "sum(" in stall.running
    assert NO_SAMPLE in format_stall(stall, "call")
    assert detector.starved == 0


@pytest.mark.skipif(not ThreadCpuClock.available, reason="no per-thread CPU clock")
def test_without_schedstat_gil_held_while_the_thread_does_not_run_is_taken_for_starvation():
    absent = SchedStat(read=lambda path: None)  # macOS, Windows, a hidden /proc
    for detector in started(StallDetector(THRESHOLD, schedstat=absent)):
        usleep = ctypes.PyDLL(None).usleep  # PyDLL keeps the GIL, like a starved process
        run_in_thread(run_callback_alone(usleep, int(BLOCK * 1e6)))
        assert detector.drain() == []
        assert detector.starved == 1


@pytest.mark.skipif(
    not (ThreadCpuClock.available and SchedStat().available), reason="needs Linux schedstat"
)
def test_with_schedstat_a_c_call_sleeping_with_the_gil_held_is_a_stall(detector):
    usleep = ctypes.PyDLL(None).usleep  # its thread sleeps: it does not wait for a CPU
    run_in_thread(run_callback_alone(usleep, int(BLOCK * 1e6)))
    [stall] = detector.drain()
    assert stall.blocking_frame is None
    assert (stall.kind, detector.starved) == ("waiting", 0)


def test_threshold_lowered_while_the_watchdog_sleeps_takes_effect_at_once():
    with StallDetector(10.0) as detector:
        time.sleep(0.05)  # the watchdog now sleeps for half the old threshold
        detector.threshold_seconds = THRESHOLD
        asyncio.run(blocked_asyncio())
        assert_one_stall(detector, "asyncio")
