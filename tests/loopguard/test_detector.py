"""StallDetector with a fake clock and fake frames: real asyncio loops, no sleeping."""

from __future__ import annotations

import asyncio
import gc
import json.decoder
import selectors
import sys
import threading
import weakref
from asyncio import base_events, events
from types import SimpleNamespace

import _pytest.python
import pytest

from pytest_loopguard.detector import StallDetector

THRESHOLD = 0.1


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeCpuClock:
    """Each thread's CPU time follows the fake clock, except while `starve`d."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.lost = 0.0
        self.available = True
        self.generation = 0  # of the thread that has the calling thread's id

    def handle(self) -> object | None:
        return (threading.get_ident(), self.generation) if self.available else None

    def read(self, handle: object) -> float | None:
        if handle[1] != self.generation:  # type: ignore[index]
            return None  # that thread has ended
        return self.clock.now - self.lost

    def end_thread(self) -> None:
        """Let the calling thread end and a new thread take its id."""
        self.generation += 1

    def starve(self, seconds: float) -> None:
        """Let wall time pass during which the thread did not run."""
        self.clock.advance(seconds)
        self.lost += seconds


class FakeFrames:
    """Stands in for sys._current_frames: the loop thread shows `self.frame`."""

    def __init__(self) -> None:
        self.frame: object = None

    def __call__(self) -> dict[int, object]:
        return {threading.get_ident(): self.frame}

    def show(self, *entries: tuple[str, int, str]) -> None:
        """Make the stack these (filename, lineno, function) entries, outermost first."""
        frame = None
        for filename, lineno, function in entries:
            code = SimpleNamespace(co_filename=filename, co_name=function, co_qualname=function)
            frame = SimpleNamespace(f_code=code, f_lineno=lineno, f_back=frame)
        self.frame = frame


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def frames() -> FakeFrames:
    return FakeFrames()


@pytest.fixture
def cpu(clock: FakeClock) -> FakeCpuClock:
    return FakeCpuClock(clock)


@pytest.fixture
def detector(clock: FakeClock, frames: FakeFrames, cpu: FakeCpuClock):
    detector = StallDetector(
        THRESHOLD, clock=clock, frames=frames, watchdog=False, cpu_clock=cpu
    )
    detector.start()
    try:
        yield detector
    finally:
        detector.stop()
    assert detector._errors == []


def run(coro) -> None:
    asyncio.run(coro)


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


def write_app(tmp_path) -> str:
    path = tmp_path / "app.py"
    path.write_text("def work():\n    total = crunch(1)\n    total += crunch(2)\n")
    return str(path)


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
        assert detector._started and len(watchdog_threads()) == 1
    assert not detector._started and watchdog_threads() == []


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


def test_healthy_loop_runs_take_no_lock(detector, clock):
    detector._lock = counting = CountingLock()
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
    assert counting.taken == 0


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
