"""uvloop precision as real sessions: a stall 10% over the threshold is caught every time."""

from __future__ import annotations

import json

import pytest
from loopguard_sessions import QUIET, run

pytest.importorskip("uvloop")

JUST_OVER = """
import time
import pytest
import uvloop

@pytest.mark.parametrize("run", range(8))
def test_just_over(run):
    async def main():
        import asyncio
        await asyncio.sleep(0.03 + run * 0.007)  # a different heartbeat phase each time
        time.sleep(0.110)
        await asyncio.sleep(0.05)
    uvloop.run(main())
"""


def test_a_stall_ten_percent_over_the_threshold_is_caught_on_uvloop(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\n" + QUIET)
    pytester.makepyfile(test_uvloop_precision=JUST_OVER)
    result = run(pytester, "--loopguard=100ms", "--loopguard-report=stalls.json")
    outcomes = result.parseoutcomes()
    # Each 110 ms stall is caught, or else dismissed, and counted, because a loaded machine
    # kept the loop thread waiting for a CPU long enough to leave less than 100 ms of its own
    # time (the stall rule). It is never missed silently, as a coarser heartbeat missed some.
    document = json.loads((pytester.path / "stalls.json").read_text())
    caught = {record["test_id"] for record in document["stalls"]}
    dismissed = {record["test_id"] for record in document["starved_stretches"]}
    every = {f"test_uvloop_precision.py::test_just_over[{n}]" for n in range(8)}
    assert caught | dismissed == every, document
    assert outcomes.get("failed", 0) == len(caught) >= 1
    result.stdout.fnmatch_lines(
        ["loopguard: event loop blocked for * ms (limit 100 ms) during call", "uvloop loop in *"]
    )


IDLE = """
import asyncio
import time
import uvloop

def test_idle_loop_does_not_spin():
    async def main():
        started = time.thread_time()
        await asyncio.sleep(0.3)
        return time.thread_time() - started
    cpu = uvloop.run(main())
    # 300 ticks of 1 ms cost about 0.01 s; ticking on every iteration costs several times that.
    assert cpu < 0.04, f"an idle uvloop loop used {cpu:.3f} s of CPU in 0.3 s"
"""


def test_a_threshold_below_ten_milliseconds_does_not_make_an_idle_uvloop_loop_spin(
    pytester: pytest.Pytester,
) -> None:
    # A heartbeat under libuv's 1 ms timer resolution would fire on every loop iteration.
    pytester.makeini("[pytest]\n" + QUIET)
    pytester.makepyfile(test_idle=IDLE)
    # Warn mode: a 2 ms blip of a loaded machine must not decide the outcome, the CPU does.
    result = run(pytester, "--loopguard=2ms", "--loopguard-mode=warn")
    result.assert_outcomes(passed=1)
