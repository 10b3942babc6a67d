"""A stall with no stack sample names the user's coroutine, not the runner task awaiting it."""

from __future__ import annotations

import asyncio
import os
from types import SimpleNamespace

import pytest
from loopguard_sessions import QUIET, run

from pytest_loopguard.probes.state import describe

pytest.importorskip("anyio")

HERE = os.path.relpath(__file__)


def _step_of(task: asyncio.Task) -> object:
    """A handle stepping `task`, as the probe remembers the callback running now."""
    return SimpleNamespace(_callback=SimpleNamespace(__self__=task))


def test_anyio_runner_task_is_described_by_the_test_it_runs() -> None:
    from anyio.pytest_plugin import get_runner

    seen: list[str | None] = []

    async def the_test() -> None:
        task = asyncio.current_task()
        assert task is not None
        seen.append(describe(_step_of(task)))  # while the test runs in anyio's runner task
        # After this step the test has returned and the runner waits for the next one.
        asyncio.get_running_loop().call_soon(lambda: seen.append(describe(_step_of(task))))

    with get_runner("asyncio", {}) as runner:
        runner.run_test(the_test, {})
    defined = the_test.__code__.co_firstlineno
    [running, returned] = seen
    assert running is not None and returned is not None
    assert "_run_tests_and_fixtures" not in running + returned
    assert running.startswith(f"{the_test.__qualname__}() at {HERE}:{defined + 3} in task ")
    assert returned.startswith(
        f"{the_test.__qualname__}() (returned; defined at {HERE}:{defined}) in task "
    )


def test_a_task_without_user_code_keeps_its_repr() -> None:
    async def main() -> str | None:
        task = asyncio.create_task(asyncio.sleep(1), name="sleeper")
        await asyncio.sleep(0)
        text = describe(_step_of(task))
        task.cancel()
        return text

    text = asyncio.run(main())
    assert text is not None and text.startswith("<Task pending name='sleeper'")


# A C call that holds the GIL (a regular expression backtracking) as the test's last
# statement: the test returns into anyio's runner task in the same step, so the watchdog's
# only chance to sample finds machinery alone.
ANYIO_TESTS = """
import re
import time
import pytest

pytestmark = pytest.mark.anyio

def backtrack(n):
    return re.match(r"(a+)+$", "a" * n + "b")

def size_for(seconds):
    n = 14
    while True:
        start = time.thread_time()
        backtrack(n)
        if time.thread_time() - start > seconds:
            return n
        n += 1

N = size_for(0.25)

@pytest.fixture
def anyio_backend():
    return "asyncio"

async def test_matches():
    re.match(r"(a+)+$", "a" * N + "b")
"""


def test_anyio_stall_names_the_test_not_the_runner_task(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n" + QUIET)
    pytester.makepyfile(test_anyio_cpu=ANYIO_TESTS)
    result = run(pytester, "--loopguard=50ms")
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "_run_tests_and_fixtures" not in text
    if "no sample of the loop thread" in text:
        result.stdout.fnmatch_lines(
            ["*it was running: test_matches() (returned; defined at test_anyio_cpu.py:25) "
             "in task *"]
        )
    else:  # the watchdog got the GIL while the test's frame was still on the stack
        result.stdout.fnmatch_lines(["blocking line:", "  test_anyio_cpu.py:26 in test_matches"])
