"""Fakes for StallDetector tests: a clock, thread CPU clocks and stack frames set by hand.

The detector tests run real asyncio loops against them, so nothing sleeps.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from types import SimpleNamespace

from pytest_loopguard.detector import StallDetector
from pytest_loopguard.schedstat import ThreadTimes

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


class FakeSchedStat:
    """schedstat of every thread: on a CPU as the fake CPU clock says, waiting when told."""

    available = True

    def __init__(self, cpu: FakeCpuClock) -> None:
        self.cpu = cpu
        self.waited = 0.0
        self.reads = 0  # each costs a real detector three syscalls
        self.asleep = False  # what `blocked` says of every thread

    def read(self, native_id: int | None) -> ThreadTimes | None:
        self.reads += 1
        return ThreadTimes(self.cpu.clock.now - self.cpu.lost, self.waited)

    def wait_for_cpu(self, seconds: float) -> None:
        """Let wall time pass during which the thread was runnable but got no CPU."""
        self.cpu.starve(seconds)
        self.waited += seconds

    def blocked(self, native_id: int) -> bool | None:
        return self.asleep

    def sleep(self, seconds: float) -> None:
        """Let wall time pass during which the thread slept in a blocking call."""
        self.cpu.starve(seconds)

    def sleep_counted_as_wait(self, seconds: float) -> None:
        """Let the thread sleep while its wait counter grows, as Linux 6.18 was seen to count."""
        self.cpu.starve(seconds)
        self.waited += seconds


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


def run(coro) -> None:
    asyncio.run(coro)


def sleep_the_kernel_counts_as_wait(
    detector: StallDetector, schedstat: FakeSchedStat, runs_between: float
) -> None:
    """A 200 ms sleep looked at every 20 ms, with Linux 6.18's count of it as run-queue wait."""

    async def main() -> None:
        detector.sample()
        schedstat.asleep = True
        schedstat.sleep(0.06)
        for _ in range(10):
            detector.sample()  # a look at the long stretch: asleep
            schedstat.sleep_counted_as_wait(0.02)
            schedstat.cpu.lost -= runs_between  # the CPU time it used between two looks
        detector.sample()
        schedstat.asleep = False
        await asyncio.sleep(0)

    run(main())


def write_app(tmp_path) -> str:
    path = tmp_path / "app.py"
    path.write_text("def work():\n    total = crunch(1)\n    total += crunch(2)\n")
    return str(path)


def started(detector: StallDetector) -> Iterator[StallDetector]:
    """Start `detector` for one test, stop it after, and check it met no internal error."""
    detector.start()
    try:
        yield detector
    finally:
        detector.stop()
    assert detector._errors == []
