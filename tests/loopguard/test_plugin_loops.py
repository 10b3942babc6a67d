"""Loopguard on every kind of loop and beside xdist and pytest-timeout, as real sessions."""

from __future__ import annotations

import json

import pytest
from loopguard_sessions import HELPERS, QUIET, run

from pytest_loopguard.cputime import ThreadCpuClock
from pytest_loopguard.schedstat import SchedStat

BLOCK_LINE = "  helpers.py:4 in block"


def setup_session(pytester: pytest.Pytester, tests: str, **files: str) -> None:
    pytester.makeini("[pytest]\n" + QUIET)
    pytester.makepyfile(helpers=HELPERS, test_stalls=tests, **files)


def test_anyio_on_asyncio_and_trio(pytester: pytest.Pytester) -> None:
    pytest.importorskip("anyio")
    pytest.importorskip("trio")
    setup_session(
        pytester,
        """
        import pytest
        from helpers import block

        pytestmark = pytest.mark.anyio

        @pytest.fixture(params=["asyncio", "trio"])
        def anyio_backend(request):
            return request.param

        async def test_blocks():
            block()
        """,
    )
    result = run(pytester, "--loopguard=50ms")
    result.assert_outcomes(failed=2)
    for kind in ("asyncio", "trio"):
        result.stdout.fnmatch_lines(
            [
                f"*_ test_blocks[[]{kind}] _*",
                "loopguard: event loop blocked for * (limit 50 ms) during call",
                f"{kind} loop in thread 'MainThread'",
                "blocking line:",
                BLOCK_LINE,
            ]
        )


def test_uvloop_through_pytest_asyncio_and_uvloop_run(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_asyncio")
    pytest.importorskip("uvloop")
    setup_session(
        pytester,
        """
        import pytest
        import uvloop
        from helpers import block

        @pytest.fixture(scope="session")
        def event_loop_policy():
            return uvloop.EventLoopPolicy()

        @pytest.mark.asyncio
        async def test_policy_loop():
            block()

        def test_uvloop_run():
            async def main():
                block()
            uvloop.run(main())
        """,
    )
    result = run(pytester, "--loopguard=50ms", "-W", "ignore::DeprecationWarning")
    result.assert_outcomes(failed=2)
    for name in ("test_policy_loop", "test_uvloop_run"):
        result.stdout.fnmatch_lines(
            [f"*_ {name} _*", "loopguard: event loop blocked for *", "uvloop loop in thread*",
             "blocking line:", BLOCK_LINE]
        )


def test_asyncio_run_in_a_sync_test_and_a_loop_in_a_thread(pytester: pytest.Pytester) -> None:
    setup_session(
        pytester,
        """
        import asyncio
        import threading
        from helpers import block

        async def main():
            block()

        def test_asyncio_run():
            asyncio.run(main())

        def test_loop_in_a_thread():
            worker = threading.Thread(target=asyncio.run, args=(main(),), name="side-loop")
            worker.start()
            worker.join()
        """,
    )
    result = run(pytester, "--loopguard=50ms")
    result.assert_outcomes(failed=2)
    threads = (("test_asyncio_run", "MainThread"), ("test_loop_in_a_thread", "side-loop"))
    for name, thread in threads:
        result.stdout.fnmatch_lines(
            [f"*_ {name} _*", "loopguard: event loop blocked for *",
             f"asyncio loop in thread '{thread}'", "blocking line:", BLOCK_LINE]
        )


XDIST_TESTS = """
import asyncio
import pytest
from helpers import block

@pytest.mark.parametrize("seconds", [0.1, 0.3, 0.0, 0.2])
def test_blocks(seconds):
    async def main():
        block(seconds)
    asyncio.run(main())
"""


def _failures_and_summary(result: pytest.RunResult) -> tuple[list[str], list[str]]:
    lines = result.outlines
    failed = sorted(line.split(" - ")[0] for line in lines if line.startswith("FAILED "))
    start = next(i for i, line in enumerate(lines) if "worst first" in line)
    summary = [
        line.split(": ")[0] for line in lines[start + 1 :] if line.startswith("test_stalls.py::")
    ]
    return failed, summary


def test_xdist_gives_the_same_failures_and_summary(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    setup_session(pytester, XDIST_TESTS)
    plain = run(pytester, "--loopguard=50ms", "-rf", "--loopguard-report=plain.json")
    spread = run(pytester, "--loopguard=50ms", "-rf", "-n", "2", "--loopguard-report=spread.json")
    plain.assert_outcomes(failed=3, passed=1)
    spread.assert_outcomes(failed=3, passed=1)
    assert _failures_and_summary(spread) == _failures_and_summary(plain)
    assert _failures_and_summary(plain)[1] == [
        "test_stalls.py::test_blocks[0.3] (call)",
        "test_stalls.py::test_blocks[0.2] (call)",
        "test_stalls.py::test_blocks[0.1] (call)",
    ]
    spread.stdout.fnmatch_lines(
        ["loopguard: event loop blocked for *", "blocking line:", BLOCK_LINE]
    )
    documents = [json.loads((pytester.path / f"{name}.json").read_text())
                 for name in ("plain", "spread")]
    assert [sorted((r["test_id"], r["line"]) for r in d["stalls"]) for d in documents] == [
        sorted((f"test_stalls.py::test_blocks[{s}]", 4) for s in ("0.1", "0.2", "0.3"))
    ] * 2
    # Every stall was sampled (time.sleep releases the GIL): none dismissed as starvation. On a
    # loaded machine the test that does not block may have a stretch dismissed, rightly.
    for document in documents:
        dismissed = {record["test_id"] for record in document["starved_stretches"]}
        assert dismissed <= {"test_stalls.py::test_blocks[0.0]"}, document


# A C call that keeps the GIL and sleeps: without schedstat, to the detector, the process
# got no CPU. The loop runs in a thread of its own, so no frame of the test is on its stack.
STARVED_TESTS = """
import asyncio
import ctypes
import threading
import pytest

async def hold_the_gil_without_cpu():
    await asyncio.sleep(0.1)  # idle: the watchdog notes the thread's CPU time
    asyncio.get_running_loop().call_soon(ctypes.PyDLL(None).usleep, 200_000)
    await asyncio.sleep(0.01)

@pytest.mark.parametrize("n", [1, 2])
def test_starved(n):
    thread = threading.Thread(target=asyncio.run, args=(hold_the_gil_without_cpu(),))
    thread.start()
    thread.join()
"""
# A platform without schedstat (macOS, Windows, a hidden /proc), in every xdist worker too.
NO_SCHEDSTAT = """
from pytest_loopguard import detector
from pytest_loopguard.schedstat import SchedStat

detector.SchedStat = lambda: SchedStat(read=lambda path: None)
"""


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["plain", "xdist"])
def test_stretches_dismissed_as_starvation_are_counted_in_the_summary_and_report(
    pytester: pytest.Pytester, workers: tuple[str, ...]
) -> None:
    if not ThreadCpuClock.available:
        pytest.skip("no per-thread CPU clock")
    if workers:
        pytest.importorskip("xdist")
    setup_session(pytester, STARVED_TESTS)
    pytester.makeconftest(NO_SCHEDSTAT)
    result = run(pytester, "--loopguard=50ms", "--loopguard-report=stalls.json", *workers)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["=* loopguard: 2 stretches over the limit were not counted: "
         "the process got no CPU (machine overloaded); longest * ms, "
         "in test_stalls.py::test_starved[[]?[]] (call) =*"]
    )
    assert "worst first" not in result.stdout.str()
    document = json.loads((pytester.path / "stalls.json").read_text())
    assert (document["starved"], document["stalls"]) == (2, [])
    # Each dismissed stretch is on record with its test: ~200 ms, no sample, no bound on
    # its CPU wait without schedstat.
    dismissed = sorted(document["starved_stretches"], key=lambda record: record["test_id"])
    assert [(d["test_id"], d["phase"], d["sampled"], d["most_cpu_wait_ms"]) for d in dismissed] == [
        (f"test_stalls.py::test_starved[{n}]", "call", False, None) for n in (1, 2)
    ]
    assert all(d["duration_ms"] > 150 and d["threshold_ms"] == 50 for d in dismissed), dismissed


def test_with_schedstat_a_gil_holding_sleep_is_a_stall_not_starvation(
    pytester: pytest.Pytester,
) -> None:
    if not (ThreadCpuClock.available and SchedStat().available):
        pytest.skip("needs a per-thread CPU clock and Linux schedstat")
    setup_session(pytester, STARVED_TESTS)
    result = run(pytester, "--loopguard=50ms", "--loopguard-report=stalls.json")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*no sample of the loop thread could be taken*",
                                 "cure: the loop thread was waiting in a blocking call*"])
    document = json.loads((pytester.path / "stalls.json").read_text())
    # Both sleeps are stalls; another stretch may be dismissed on a loaded machine, rightly.
    assert [r["stall_kind"] for r in document["stalls"]] == ["waiting", "waiting"]


# The CI flake, made deterministic: the watchdog gets no CPU (it takes no schedstat mark of
# its own), and the loop thread waits 500 ms in a run queue before its poll returns; then a
# C callback sleeps 300 ms holding the GIL (no sample). That sleep is the loop's stall.
FAKE_WAIT = """
import threading
from pytest_loopguard.detector import WATCHDOG_NAME
from pytest_loopguard.schedstat import read_proc_file

WAITED_NS = [0]  # added to every thread's run-queue time

def read(path):
    if threading.current_thread().name == WATCHDOG_NAME:
        return None  # a watchdog without CPU reads nothing
    data = read_proc_file(path)
    if not data:
        return data
    on_cpu, waited, *rest = data.split()
    return b" ".join([on_cpu, str(int(waited) + WAITED_NS[0]).encode(), *rest])
"""
FAKE_WAIT_CONFTEST = """
import fakewait
from pytest_loopguard import detector
from pytest_loopguard.schedstat import SchedStat

detector.SchedStat = lambda: SchedStat(read=fakewait.read)
"""
WAIT_THEN_SLEEP_TESTS = """
import asyncio
import ctypes
import fakewait

async def main():
    await asyncio.sleep(0.01)
    fakewait.WAITED_NS[0] += 500_000_000  # counted as run-queue time during the next poll
    await asyncio.sleep(0.6)
    asyncio.get_running_loop().call_soon(ctypes.PyDLL(None).usleep, 300_000)
    await asyncio.sleep(0.01)

def test_sleeps_after_waiting_for_a_cpu():
    asyncio.run(main())
"""


def test_a_gil_holding_sleep_after_cpu_wait_before_its_stretch_is_a_stall(
    pytester: pytest.Pytester,
) -> None:
    if not (ThreadCpuClock.available and SchedStat().available):
        pytest.skip("needs a per-thread CPU clock and Linux schedstat")
    setup_session(pytester, WAIT_THEN_SLEEP_TESTS, fakewait=FAKE_WAIT)
    pytester.makeconftest(FAKE_WAIT_CONFTEST)
    result = run(pytester, "--loopguard=50ms", "--loopguard-report=stalls.json")
    document = json.loads((pytester.path / "stalls.json").read_text())
    assert len(document["stalls"]) == 1, result.stdout.str()
    [record] = document["stalls"]
    assert record["stall_kind"] == "waiting"
    assert record["duration_ms"] >= 300
    result.assert_outcomes(failed=1)
