"""Warn mode in every outcome, and under the user's `filterwarnings = error`, as real sessions."""

from __future__ import annotations

import pytest
from loopguard_sessions import HELPERS, QUIET, run

from pytest_loopguard.guard import RAISED_NOTE

pytest.importorskip("pytest_asyncio")

OUTCOMES = """
import pytest, pytest_asyncio
from helpers import block

@pytest_asyncio.fixture
async def broken():
    block()
    raise RuntimeError("fixture broke")

@pytest.mark.asyncio
async def test_passes():
    block()

@pytest.mark.asyncio
async def test_fails():
    block()
    assert 1 == 2

@pytest.mark.xfail(reason="known")
@pytest.mark.asyncio
async def test_xfails():
    block()
    assert 1 == 2

@pytest.mark.asyncio
async def test_setup_errors(broken):
    pass
"""


def _session(pytester: pytest.Pytester, ini: str = "") -> None:
    pytester.makeini("[pytest]\n" + QUIET + "loopguard_mode = warn\n" + ini)
    pytester.makepyfile(helpers=HELPERS, test_outcomes=OUTCOMES)


def test_warn_mode_warns_in_every_outcome_at_the_blocking_line(pytester: pytest.Pytester) -> None:
    _session(pytester)
    result = run(pytester, "--loopguard=50ms")
    result.assert_outcomes(passed=1, failed=1, xfailed=1, errors=1, warnings=4)
    text = result.stdout.str()
    warnings_summary = text[text.index("warnings summary") : text.index("-- Docs:")]
    # pytest lists the tests of identical warnings together: each test is named once.
    for test in ("test_passes", "test_fails", "test_xfails", "test_setup_errors"):
        assert f"test_outcomes.py::{test}\n" in warnings_summary
    located = "*/helpers.py:4: LoopguardWarning: event loop blocked for * (limit 50 ms) during {} "
    result.stdout.fnmatch_lines([located.format("call") + "at helpers.py:4 in block"])
    result.stdout.fnmatch_lines([located.format("setup") + "at helpers.py:4 in block"])
    result.stdout.fnmatch_lines(["E       RuntimeError: fixture broke", "E       assert 1 == 2"])


def test_filterwarnings_error_fails_with_the_full_stall_report(pytester: pytest.Pytester) -> None:
    _session(pytester, "filterwarnings =\n    error\n")
    result = run(pytester, "--loopguard=50ms")
    result.assert_outcomes(failed=2, xfailed=1, errors=1)
    report = [
        "loopguard: event loop blocked for * ms (limit 50 ms) during call",
        "asyncio loop in thread 'MainThread'",
        "blocking line:",
        "  helpers.py:4 in block",
        "      time.sleep(seconds)",
        "loop thread stack, test first:",
        "  test_outcomes.py:11 in test_passes",
        "      block()",
        "  helpers.py:4 in block",
        "      time.sleep(seconds)",
        RAISED_NOTE,
    ]
    # The test that would have passed fails with the stall report, not a traceback.
    result.stdout.fnmatch_lines(["*_ test_passes _*", *report, "*_ test_fails _*"])
    # A test that fails on its own keeps its assertion, the stall report below it.
    result.stdout.fnmatch_lines(
        [
            "*_ test_fails _*",
            "E       assert 1 == 2",
            "*- loopguard -*",
            "event loop blocked for * ms (limit 50 ms) during call",
            "  test_outcomes.py:15 in test_fails",
            RAISED_NOTE,
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_setup_errors*",
            "E       RuntimeError: fixture broke",
            "*- loopguard -*",
            "event loop blocked for * ms (limit 50 ms) during setup",
        ]
    )
    assert "guard.py" not in result.stdout.str()
    assert "LoopguardWarning: event loop" not in result.stdout.str()


def test_a_warning_made_an_error_in_setup_fails_setup_with_the_report(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\n" + QUIET + "loopguard_mode = warn\nfilterwarnings = error\n")
    pytester.makepyfile(
        helpers=HELPERS,
        test_setup="""
        import pytest, pytest_asyncio
        from helpers import block

        @pytest_asyncio.fixture
        async def slow():
            block()

        @pytest.mark.asyncio
        async def test_uses_slow(slow):
            pass
        """,
    )
    result = run(pytester, "--loopguard=50ms")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_uses_slow*",
            "loopguard: event loop blocked for * ms (limit 50 ms) during setup",
            "blocking line:",
            "  helpers.py:4 in block",
            RAISED_NOTE,
        ]
    )
