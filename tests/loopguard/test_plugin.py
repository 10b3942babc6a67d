"""Loopguard plugin: real pytest sessions in a subprocess, asserting lines, not timings."""

from __future__ import annotations

import json

import pytest
from loopguard_sessions import HELPERS, QUIET, run

pytest.importorskip("pytest_asyncio")

BLOCK_LINE = "*helpers.py:4 in block"


def setup_session(pytester: pytest.Pytester, tests: str, ini: str = "") -> None:
    pytester.makeini("[pytest]\n" + QUIET + ini)
    pytester.makepyfile(helpers=HELPERS, test_stalls=tests)


LOOP_SCOPES = """
import asyncio
import pytest
from helpers import block

@pytest.mark.asyncio(loop_scope="function")
async def test_function_loop():
    block()

@pytest.mark.asyncio(loop_scope="module")
async def test_module_loop():
    block()

@pytest.mark.asyncio(loop_scope="session")
async def test_session_loop():
    block()

@pytest.mark.asyncio
async def test_healthy():
    await asyncio.sleep(0.01)
"""


@pytest.mark.parametrize("mode", ["strict", "auto"])
def test_stall_fails_the_test_and_names_the_blocking_line(
    pytester: pytest.Pytester, mode: str
) -> None:
    setup_session(pytester, LOOP_SCOPES, f"asyncio_mode = {mode}\n")
    result = run(pytester, "--loopguard=50ms")
    result.assert_outcomes(failed=3, passed=1)
    result.stdout.fnmatch_lines(
        [
            "loopguard: on, threshold 50 ms (from --loopguard), mode fail",
            "*_ test_function_loop _*",
            "loopguard: event loop blocked for * ms (limit 50 ms) during call",
            "asyncio loop in thread 'MainThread'",
            "blocking line:",
            f"  {BLOCK_LINE[1:]}",
            "      time.sleep(seconds)",
            "loop thread stack, test first:",
            "  test_stalls.py:7 in test_function_loop",
            "      block()",
            f"  {BLOCK_LINE[1:]}",
            "*_ test_module_loop _*",
            f"  {BLOCK_LINE[1:]}",
            "*_ test_session_loop _*",
            f"  {BLOCK_LINE[1:]}",
        ]
    )


def test_async_fixture_stall_is_an_error_in_setup_or_teardown(pytester: pytest.Pytester) -> None:
    setup_session(
        pytester,
        """
        import pytest, pytest_asyncio
        from helpers import block

        @pytest_asyncio.fixture
        async def slow_setup():
            block()
            yield

        @pytest_asyncio.fixture
        async def slow_teardown():
            yield
            block()

        @pytest.mark.asyncio
        async def test_setup_blocks(slow_setup):
            pass

        @pytest.mark.asyncio
        async def test_teardown_blocks(slow_teardown):
            pass
        """,
    )
    result = run(pytester, "--loopguard=50ms")
    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_setup_blocks*",
            "loopguard: event loop blocked for * during setup",
            "*ERROR at teardown of test_teardown_blocks*",
            "loopguard: event loop blocked for * during teardown",
        ]
    )


def test_own_outcome_is_kept_and_the_stall_added(pytester: pytest.Pytester) -> None:
    setup_session(
        pytester,
        """
        import pytest
        from helpers import block

        @pytest.mark.asyncio
        async def test_both():
            block()
            assert 1 + 1 == 3

        @pytest.mark.asyncio
        async def test_skips():
            block()
            pytest.skip("not today")

        @pytest.mark.xfail(reason="known bug")
        @pytest.mark.asyncio
        async def test_known_bug():
            block()
            raise ValueError
        """,
    )
    result = run(pytester, "--loopguard=50ms")
    result.assert_outcomes(failed=1, skipped=1, xfailed=1)
    result.stdout.fnmatch_lines(
        [
            ">       assert 1 + 1 == 3",
            "E       assert (1 + 1) == 3",
            "*- loopguard -*",
            "event loop blocked for * (limit 50 ms) during call",
            f"  {BLOCK_LINE[1:]}",
        ]
    )
    for name in ("test_skips", "test_known_bug"):  # still listed in the summary
        result.stdout.fnmatch_lines([f"test_stalls.py::{name} (call): * at helpers.py:4 in block"])


MARKED = """
import pytest
from helpers import block

@pytest.mark.asyncio
@pytest.mark.loopguard("off")
async def test_marked_off():
    block()

@pytest.mark.asyncio
@pytest.mark.loopguard("2s")
async def test_marked_relaxed():
    block()

@pytest.mark.asyncio
@pytest.mark.loopguard("50ms")
async def test_marked_on():
    block()

@pytest.mark.asyncio
async def test_unmarked():
    block()
"""


@pytest.mark.parametrize(
    ("args", "failing"),
    [
        (("--loopguard=50ms",), ["test_marked_on", "test_unmarked"]),
        # No session threshold: only the marker turns loopguard on, for its test.
        ((), ["test_marked_on"]),
    ],
)
def test_marker_changes_or_disables_the_threshold(
    pytester: pytest.Pytester, args: tuple[str, ...], failing: list[str]
) -> None:
    setup_session(pytester, MARKED)
    result = run(pytester, "-rf", *args)
    result.assert_outcomes(failed=len(failing), passed=4 - len(failing))
    result.stdout.fnmatch_lines(
        [f"FAILED test_stalls.py::{name} - loopguard: event loop blocked*" for name in failing]
    )


WARNED = """
import pytest
from helpers import block

@pytest.mark.asyncio
async def test_blocks():
    block()
"""


def test_warn_mode_keeps_the_outcome_and_warns(pytester: pytest.Pytester) -> None:
    setup_session(pytester, WARNED, "loopguard_mode = warn\n")
    result = run(pytester, "--loopguard=50ms")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "loopguard: on, threshold 50 ms (from --loopguard), mode warn",
            "*warnings summary*",
            "*/helpers.py:4: LoopguardWarning: event loop blocked for * (limit 50 ms) during call "
            "at helpers.py:4 in block",
            "*loopguard: tests that blocked the event loop, worst first*",
            "test_stalls.py::test_blocks (call): * (limit 50 ms) at helpers.py:4 in block",
        ]
    )


def test_warn_mode_warning_can_be_made_an_error(pytester: pytest.Pytester) -> None:
    setup_session(pytester, WARNED)
    result = run(
        pytester,
        "--loopguard=50ms",
        "--loopguard-mode=warn",
        "-W",
        "error::pytest_loopguard.LoopguardWarning",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["loopguard: event loop blocked for * (limit 50 ms) during call", "blocking line:"]
    )


def test_allow_list_accepts_known_stalls(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        legacy="import time\n\ndef wait():\n    time.sleep(0.2)\n",
    )
    setup_session(
        pytester,
        """
        import pytest
        from helpers import block
        from legacy import wait

        @pytest.mark.asyncio
        async def test_allowed_by_function():
            block()

        @pytest.mark.asyncio
        async def test_allowed_by_path():
            wait()

        @pytest.mark.asyncio
        async def test_not_allowed():
            import time
            time.sleep(0.2)
        """,
        "loopguard_allow =\n    helpers:block\n    legacy.py\n",
    )
    result = run(pytester, "--loopguard=50ms", "-rf")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["FAILED test_stalls.py::test_not_allowed - loopguard:*"])


def test_json_report_and_summary_list_worst_first(pytester: pytest.Pytester) -> None:
    setup_session(
        pytester,
        """
        import pytest
        from helpers import block

        @pytest.mark.asyncio
        async def test_short():
            block(0.12)

        @pytest.mark.asyncio
        async def test_long():
            block(0.4)

        def test_sync_is_not_watched():
            pass
        """,
    )
    result = run(pytester, "--loopguard=50ms", "--loopguard-report=stalls.json")
    result.assert_outcomes(failed=2, passed=1)
    result.stdout.fnmatch_lines(
        [
            "*loopguard: tests that blocked the event loop, worst first*",
            "test_stalls.py::test_long (call): * at helpers.py:4 in block",
            "test_stalls.py::test_short (call): * at helpers.py:4 in block",
        ]
    )
    document = json.loads((pytester.path / "stalls.json").read_text())
    assert (document["version"], document["threshold_ms"], document["mode"]) == (1, 50.0, "fail")
    by_test = {record["test_id"]: record for record in document["stalls"]}
    assert sorted(by_test) == ["test_stalls.py::test_long", "test_stalls.py::test_short"]
    record = by_test["test_stalls.py::test_long"]
    assert (record["phase"], record["threshold_ms"]) == ("call", 50.0)
    assert record["duration_ms"] > record["threshold_ms"]
    assert (record["file"], record["line"], record["function"], record["source"]) == (
        "helpers.py", 4, "block", "time.sleep(seconds)"
    )
    assert [(f["file"], f["function"]) for f in record["stack"]][-2:] == [
        ("test_stalls.py", "test_long"), ("helpers.py", "block")
    ]


def test_no_summary_header_or_report_when_nothing_stalled(pytester: pytest.Pytester) -> None:
    setup_session(pytester, "def test_fine():\n    pass\n")
    result = run(pytester)
    result.assert_outcomes(passed=1)
    assert "loopguard:" not in result.stdout.str()
