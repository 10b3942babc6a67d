"""Fixtures of the StallDetector tests: fake clocks and frames, and a started detector."""

from __future__ import annotations

import pytest
from detector_fakes import (
    THRESHOLD,
    FakeClock,
    FakeCpuClock,
    FakeFrames,
    FakeSchedStat,
    started,
)

from pytest_loopguard.detector import StallDetector


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
def schedstat(cpu: FakeCpuClock) -> FakeSchedStat:
    return FakeSchedStat(cpu)


@pytest.fixture
def detector(clock: FakeClock, frames: FakeFrames, cpu: FakeCpuClock, schedstat: FakeSchedStat):
    yield from started(
        StallDetector(
            THRESHOLD, clock=clock, frames=frames, watchdog=False, cpu_clock=cpu,
            schedstat=schedstat,  # type: ignore[arg-type]  # the fake has SchedStat's API
        )
    )
