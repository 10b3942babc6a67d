"""Loopguard sessions on a CPU shared with spinning processes: the verdict stays the code's."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from loopguard_sessions import QUIET, run

from pytest_loopguard.schedstat import SchedStat

pytest.importorskip("pytest_asyncio")
pytestmark = pytest.mark.skipif(
    not (SchedStat().available and hasattr(os, "sched_setaffinity")),
    reason="needs Linux schedstat and CPU affinity",
)

SPINNERS = 6
# A spinner ends on its own after this long, should the test run be killed before it can.
SPINNER_LIFETIME_SECONDS = 60
# The session pins itself to the CPU the spinners share, so it gets a seventh of it.
CONFTEST = """
import os
os.sched_setaffinity(0, {{{cpu}}})
"""
TESTS = """
import asyncio, json, time
import pytest

def compute(seconds):
    deadline = time.thread_time() + seconds
    while time.thread_time() < deadline:
        pass

@pytest.mark.asyncio
async def test_short_cpu_work_slowed_by_the_machine(tmp_path_factory):
    start = time.perf_counter()
    compute(0.02)  # 20 ms of CPU: well under the limit
    wall = time.perf_counter() - start
    with open({wall_file!r}, "w") as stream:
        json.dump(wall, stream)
    await asyncio.sleep(0)

@pytest.mark.asyncio
async def test_blocking_sleep_under_load():
    time.sleep(0.15)

@pytest.mark.asyncio
async def test_long_cpu_work_under_load():
    compute(0.15)
"""


@pytest.fixture
def shared_cpu():
    """Spin SPINNERS processes on one CPU for the length of one session; yield that CPU."""
    cpu = min(os.sched_getaffinity(0))
    code = (
        f"import os, time\nos.sched_setaffinity(0, {{{cpu}}})\n"
        f"end = time.monotonic() + {SPINNER_LIFETIME_SECONDS}\n"
        "while time.monotonic() < end:\n    pass\n"
    )
    spinners = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(SPINNERS)]
    try:
        yield cpu
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def test_only_the_loops_own_time_counts_on_a_loaded_cpu(
    pytester: pytest.Pytester, shared_cpu: int
) -> None:
    wall_file = str(pytester.path / "wall.json")
    pytester.makeini("[pytest]\n" + QUIET)
    pytester.makeconftest(CONFTEST.format(cpu=shared_cpu))
    pytester.makepyfile(test_load=TESTS.format(wall_file=wall_file))
    result = run(pytester, "--loopguard=100ms", "--loopguard-report=stalls.json", "-p", "xdist",
                 "-n", "0")
    # The scenario is one a wall-clock verdict fails: the 20 ms took longer than the limit.
    with open(wall_file) as stream:
        assert json.load(stream) > 0.1
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["*_ test_blocking_sleep_under_load _*",
                                 "loopguard: event loop blocked for *",
                                 "cure: the loop thread was waiting in a blocking call*"])
    result.stdout.fnmatch_lines(["*_ test_long_cpu_work_under_load _*",
                                 "loopguard: event loop blocked for *",
                                 "left out of the verdict: * waiting for a CPU",
                                 "cure: the loop thread was computing*"])
    document = json.loads((pytester.path / "stalls.json").read_text())
    kinds = {r["test_id"].split("::")[1]: r["stall_kind"] for r in document["stalls"]}
    assert kinds == {"test_blocking_sleep_under_load": "waiting",
                     "test_long_cpu_work_under_load": "cpu"}
    assert document["starved"] >= 1


EXPLICIT_GC = """
import gc
import pytest

@pytest.fixture(scope="module")
def big_heap():
    heap = [[[] for _ in range(10)] for _ in range(300_000)]  # 3.3 million containers
    yield heap

@pytest.mark.asyncio
async def test_collects_on_the_loop(big_heap):
    gc.collect()
"""


def test_an_explicit_collection_in_a_coroutine_stays_a_stall(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n" + QUIET)
    pytester.makepyfile(test_gc=EXPLICIT_GC)
    result = run(pytester, "--loopguard=5ms", "--loopguard-report=stalls.json")
    result.assert_outcomes(failed=1)
    # No sample can be taken during the collection: the wrapper's stack names the call.
    result.stdout.fnmatch_lines(["loopguard: event loop blocked for *",
                                 "blocking line:",
                                 "  test_gc.py:11 in test_collects_on_the_loop",
                                 "      gc.collect()",
                                 "of it, * in gc.collect() called by the code",
                                 "cure: an explicit gc.collect() held the loop*"])
    result.stdout.no_fnmatch_line("*only because of automatic garbage collection*")
    [record] = json.loads((pytester.path / "stalls.json").read_text())["stalls"]
    assert (record["file"], record["line"], record["stall_kind"]) == ("test_gc.py", 11, "collect")
    assert record["explicit_gc_ms"] > 5.0


HELPER_THREAD_GC = """
import asyncio, gc, threading, time
import pytest

@pytest.fixture(scope="module")
def big_heap():
    heap = [[[] for _ in range(10)] for _ in range(300_000)]  # 3.3 million containers
    yield heap

def compute(seconds):
    deadline = time.thread_time() + seconds
    while time.thread_time() < deadline:
        pass

@pytest.mark.asyncio
async def test_a_helper_thread_collects(big_heap):
    started = threading.Event()

    def collect():
        started.set()
        gc.collect()

    helper = threading.Thread(target=collect)
    helper.start()
    started.wait()
    compute(0.008)  # Python work of the loop: it waits for the GIL the collection holds
    await asyncio.to_thread(helper.join)
"""


def test_another_threads_collection_holding_the_loop_is_a_gc_pause(
    pytester: pytest.Pytester,
) -> None:
    """anyio's suite: a helper thread's collection held a loop at an `await` for 106 ms."""
    pytester.makeini("[pytest]\n" + QUIET)
    pytester.makepyfile(test_helper_gc=HELPER_THREAD_GC)
    result = run(pytester, "--loopguard=20ms", "--loopguard-report=stalls.json")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*loopguard: 1 stretch over the limit only because of *"])
    document = json.loads((pytester.path / "stalls.json").read_text())
    assert document["stalls"] == []
    [pause] = document["gc_pauses"]
    assert pause["test_id"].endswith("test_a_helper_thread_collects")
    assert pause["gc_ms"] > 20.0 and pause["explicit_gc_ms"] == 0.0
