"""Calls mode and pdb: what the debugger reads and what the user runs at its prompt never count.

Real sessions, pdb driven through the session's stdin: at a prompt the loop's
thread reads stdin (`input()`), pdb opens its rc files and the user may run any
expression; none of it is the test's code. Calls mode stays on for the code
that runs between the prompts and for the tests after.
"""

from __future__ import annotations

import pytest
from loopguard_sessions import QUIET
from test_plugin_debuggers import PROMPT, drive_pdb

pytest.importorskip("pytest_asyncio")

DEBUGGED = """
import asyncio, os
import pytest

def listing():
    return os.listdir(".")

@pytest.mark.asyncio
async def test_stops_at_a_breakpoint():
    await asyncio.sleep(0)
    breakpoint()
    assert asyncio.get_running_loop() is not None

@pytest.mark.asyncio
async def test_steps_into_a_blocking_call():
    await asyncio.sleep(0)
    breakpoint()
    assert listing()

@pytest.mark.asyncio
async def test_still_watched_after():
    assert listing()

@pytest.mark.asyncio
async def test_own_debugger():
    await asyncio.sleep(0)
    import pdb
    pdb.Pdb().set_trace()  # pdb's own: it reads ./.pdbrc and ~/.pdbrc as it starts
    assert True
"""


def _session(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n" + QUIET)
    pytester.makepyfile(test_debugged=DEBUGGED)


@pytest.mark.parametrize("threshold", [[], ["--loopguard=50ms"]], ids=["calls-only", "with-threshold"])
def test_reads_at_a_breakpoint_prompt_are_no_call(pytester: pytest.Pytester, threshold: list[str]) -> None:
    _session(pytester)
    output = drive_pdb(
        pytester,
        ["--loopguard-calls=fail", *threshold, "-rA", "-k", "test_stops_at_a_breakpoint or test_still"],
        # An expression that lists a folder, run at the prompt on the loop's thread.
        ["p len(os.listdir('.')) >= 0", "c"],
    )
    assert output.count(PROMPT.decode()) == 2  # it did stop in the loop's thread
    assert "PASSED test_debugged.py::test_stops_at_a_breakpoint" in output
    assert "input" not in output.split("short test summary")[-1]
    # Calls mode is still on once the debugger has gone: the next test's listdir is caught.
    assert "FAILED test_debugged.py::test_still_watched_after" in output
    assert "os.listdir" in output
    assert "test_stops_at_a_breakpoint (call)" not in output
    assert "loopguard: internal error" not in output


def test_code_run_between_prompts_still_counts(pytester: pytest.Pytester) -> None:
    _session(pytester)
    # --trace stops as the test starts; the breakpoint stops inside the running loop, where the
    # prompt's expression is no call but `n` runs the test's own line, whose listdir is the test's.
    output = drive_pdb(
        pytester,
        ["--loopguard-calls=fail", "-rA", "--trace", "-k", "test_still_watched_after"],
        ["b test_debugged.py:5", "c", "p len(os.listdir('.')) >= 0", "n", "c"],
    )
    assert "test_debugged.py(5)listing()" in output  # stopped inside the running loop
    assert output.count(PROMPT.decode()) == 5
    assert "FAILED test_debugged.py::test_still_watched_after" in output
    assert "os.listdir at test_debugged.py:5 in listing: 1 test, once" in output
    assert "<string>" not in output


def test_pdb_reading_its_rc_files_is_no_call(pytester: pytest.Pytester) -> None:
    _session(pytester)
    (pytester.path / ".pdbrc").write_text("alias ll list\n")
    output = drive_pdb(
        pytester, ["--loopguard-calls=fail", "-rA", "-s", "-k", "test_own_debugger"], ["ll", "c"]
    )
    assert "\t    pdb.Pdb().set_trace()" in output  # the alias from .pdbrc listed the source
    assert "PASSED test_debugged.py::test_own_debugger" in output
    assert "blocking call" not in output
