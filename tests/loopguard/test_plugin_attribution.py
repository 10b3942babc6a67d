"""Loopguard sessions with loops in other threads: a stall is charged to the phase it crossed
the limit in, also when the loop is still blocked as that phase ends."""

from __future__ import annotations

import json

import pytest
from loopguard_sessions import QUIET, run

from pytest_loopguard.schedstat import SchedStat

# A live server: an asyncio loop in a thread of its own, told from the tests to block.
SERVER = """
import asyncio, threading, time
import pytest

def hold(seconds):
    time.sleep(seconds)

class Server:
    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="server")
        self.thread.start()

    def block(self, seconds):
        self.loop.call_soon_threadsafe(hold, seconds)

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()

@pytest.fixture(scope="session")
def helper_at_session_end():
    # A helper loop, asyncio.run in a thread, still blocked as the session ends.
    yield
    async def stuck():
        hold(BLOCK)
    helper = threading.Thread(target=asyncio.run, args=(stuck(),), name="helper")
    helper.start()
    time.sleep(HOLD)

@pytest.fixture(scope="session")
def server():
    server = Server()
    yield server
    server.stop()

# The phase ends while the server is blocked: 0.15 s in, 0.45 s to go.
HOLD = 0.15
BLOCK = 0.6
"""
TESTS = """
import time
import pytest
from conftest import BLOCK, HOLD

@pytest.fixture
def blocks_in_setup(server):
    server.block(BLOCK)
    time.sleep(HOLD)

@pytest.fixture
def blocks_in_teardown(server):
    yield
    server.block(BLOCK)
    time.sleep(HOLD)

def test_setup(blocks_in_setup):
    pass

def test_after_setup(server):
    time.sleep(BLOCK)  # the server's stall ends during this test

def test_call(server):
    server.block(BLOCK)
    time.sleep(HOLD)

def test_after_call(server):
    time.sleep(BLOCK)

def test_teardown(blocks_in_teardown):
    pass

def test_after_teardown(server):
    time.sleep(BLOCK)

def test_last(helper_at_session_end):
    pass
"""


@pytest.mark.parametrize("workers", [(), ("-p", "xdist", "-n", "1")], ids=["plain", "xdist"])
def test_a_stall_still_under_way_is_charged_to_the_phase_it_crossed_the_limit_in(
    pytester: pytest.Pytester, workers: tuple[str, ...]
) -> None:
    if workers:
        pytest.importorskip("xdist")
    pytester.makeini("[pytest]\n" + QUIET)
    pytester.makeconftest(SERVER)
    pytester.makepyfile(test_server=TESTS)
    result = run(pytester, "--loopguard=100ms", "--loopguard-report=stalls.json", "-p",
                 "no:randomly", *workers)
    # Charged: setup of test_setup, call of test_call, teardown of test_teardown and of
    # test_last (the session's end); the tests during which those stalls ended pass.
    outcomes = result.parseoutcomes()
    assert (outcomes.get("passed"), outcomes.get("failed"), outcomes.get("errors")) == (5, 1, 3)
    result.stdout.fnmatch_lines(["*ERROR at setup of test_setup*",
                                 "*still blocked when the phase ended*"])
    result.stdout.fnmatch_lines(["*_ test_call _*", "*still blocked when the phase ended*"])
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_teardown*",
                                 "*still blocked when the phase ended*"])
    result.stdout.fnmatch_lines(["*test_server.py::test_call (call): * at conftest.py:* in hold,"
                                 " still blocked when the phase ended; it lasted * in all"])
    document = json.loads((pytester.path / "stalls.json").read_text())
    charged = sorted((r["test_id"].split("::")[1], r["phase"]) for r in document["stalls"])
    assert charged == [("test_call", "call"), ("test_last", "teardown"),
                       ("test_setup", "setup"), ("test_teardown", "teardown")]
    for record in document["stalls"]:
        assert record["still_blocked"]
        assert record["duration_ms"] > 100
        assert record["file"] == "conftest.py"  # sampled while blocked: the line is named
        if "test_last" in record["test_id"]:
            # Usually still blocked when the report is written; a slow machine may see it end.
            assert record["thread"] == "helper"
            assert record["final_duration_ms"] is None or record["final_duration_ms"] >= 590
        else:
            assert record["thread"] == "server"
            assert record["final_duration_ms"] >= 590


def test_a_stall_that_ends_within_its_phase_is_charged_once(pytester: pytest.Pytester) -> None:
    if not SchedStat().available:
        pytest.skip("a C callback that sleeps leaves no sample: needs schedstat to be told apart")
    pytester.makeini("[pytest]\n" + QUIET)
    pytester.makeconftest(SERVER)
    pytester.makepyfile(
        test_server="""
        import threading, time

        def test_waits_out_the_stall(server):
            loop, ended = server.loop, threading.Event()
            loop.call_soon_threadsafe(time.sleep, 0.3)  # no frame of the project's
            # Set on the loop's next iteration, once the stretch has ended and been recorded:
            # however long the loaded machine keeps the server thread off a CPU.
            loop.call_soon_threadsafe(loop.call_soon, ended.set)
            assert ended.wait(60)

        def test_next(server):
            pass
        """
    )
    result = run(pytester, "--loopguard=100ms", "--loopguard-report=stalls.json")
    result.assert_outcomes(passed=1, failed=1)
    document = json.loads((pytester.path / "stalls.json").read_text())
    [record] = document["stalls"]
    assert record["test_id"].endswith("test_waits_out_the_stall")
    assert (record["still_blocked"], record["final_duration_ms"]) == (False, None)
    assert record["file"] is None  # the callback was time.sleep itself: no line to name
