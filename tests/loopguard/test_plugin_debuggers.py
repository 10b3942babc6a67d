"""A loop thread stopped in a debugger is no stall; coverage's tracer leaves loopguard on.

Real sessions: pdb is driven through the session's stdin, waiting at each prompt
longer than the threshold, as a user reading the code would.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time

import pytest
from loopguard_sessions import HELPERS, QUIET, run

pytest.importorskip("pytest_asyncio")

PROMPT = b"(Pdb) "
# Longer than the sessions' 50 ms threshold, with room to spare.
READING_SECONDS = 0.4

DEBUGGED = """
import asyncio
import pytest
from helpers import block

def step():
    return 1

@pytest.mark.asyncio
async def test_stops_at_a_breakpoint():
    await asyncio.sleep(0)
    breakpoint()
    assert step() == 1

@pytest.mark.asyncio
async def test_still_watched_after():
    block()
"""


def _read_until(stream: int, wanted: bytes, before: bytes, timeout: float = 120.0) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while wanted not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"no {wanted!r} in {(before + seen).decode(errors='replace')}"
        ready, _, _ = select.select([stream], [], [], left)
        if ready:
            chunk = os.read(stream, 65536)
            assert chunk, f"ended before {wanted!r}: {(before + seen).decode(errors='replace')}"
            seen += chunk
    return seen


def drive_pdb(pytester: pytest.Pytester, args: list[str], commands: list[str]) -> str:
    """Run a session, answering each pdb prompt with the next command after a pause."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:hypothesispytest", "-p", "no:cacheprovider",
         *args],
        cwd=pytester.path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert process.stdin is not None and process.stdout is not None
    output = b""
    try:
        for command in commands:
            output += _read_until(process.stdout.fileno(), PROMPT, output)
            time.sleep(READING_SECONDS)
            process.stdin.write(command.encode() + b"\n")
            process.stdin.flush()
        rest, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return (output + rest).decode(errors="replace")


def _session(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n" + QUIET)
    pytester.makepyfile(helpers=HELPERS, test_debugged=DEBUGGED)


def test_time_stopped_at_breakpoint_is_no_stall(pytester: pytest.Pytester) -> None:
    _session(pytester)
    output = drive_pdb(pytester, ["--loopguard=50ms", "-rA"], ["n", "c"])
    assert output.count(PROMPT.decode()) == 2  # it did stop in the loop's thread, then stepped
    assert "PASSED test_debugged.py::test_stops_at_a_breakpoint" in output
    # Loopguard is still on once the debugger has gone: the next test's stall is caught.
    assert "FAILED test_debugged.py::test_still_watched_after" in output
    assert "test_debugged.py::test_still_watched_after (call)" in output
    assert "test_stops_at_a_breakpoint (call)" not in output


def test_time_stopped_at_a_trace_breakpoint_inside_the_loop_is_no_stall(
    pytester: pytest.Pytester,
) -> None:
    _session(pytester)
    # --trace stops as the test starts; a breakpoint inside the coroutine stops in the loop.
    output = drive_pdb(
        pytester,
        ["--loopguard=50ms", "-rA", "--trace", "-k", "test_stops_at_a_breakpoint"],
        ["b test_debugged.py:6", "c", "c", "c"],
    )
    assert "test_debugged.py(6)step()" in output  # stopped inside the running loop
    assert "PASSED test_debugged.py::test_stops_at_a_breakpoint" in output
    assert "event loop blocked" not in output


COVERED = """
import asyncio
from helpers import block

def test_blocks():
    async def main():
        block()
    asyncio.run(main())
"""


@pytest.mark.parametrize("runner", ["pytest-cov", "coverage run"])
def test_coverage_tracing_leaves_loopguard_on(pytester: pytest.Pytester, runner: str) -> None:
    pytest.importorskip("pytest_cov" if runner == "pytest-cov" else "coverage")
    pytester.makeini("[pytest]\n" + QUIET)
    pytester.makepyfile(helpers=HELPERS, test_covered=COVERED)
    if runner == "pytest-cov":
        result = run(pytester, "--loopguard=50ms", "--cov=helpers", "--cov-report=term")
    else:
        result = pytester.run(
            sys.executable, "-m", "coverage", "run", "--source=.", "-m", "pytest",
            "-p", "no:hypothesispytest", "--loopguard=50ms",
        )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["loopguard: event loop blocked for * (limit 50 ms) during call", "  helpers.py:4 in block"]
    )
    if runner == "pytest-cov":
        result.stdout.fnmatch_lines(["*coverage: *", "helpers.py*100%*"])
    else:
        assert (pytester.path / ".coverage").exists()
