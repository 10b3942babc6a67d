"""loopguard's own errors: counted, shown in the summary and the JSON report, never swallowed."""

from __future__ import annotations

import json

import pytest
from loopguard_sessions import HELPERS, QUIET, run

# A conftest that breaks the watchdog's stack sampling, as a bug in it would.
BROKEN_SAMPLING = """
import pytest_loopguard.watchdog

def broken(frame, is_user_frame):
    raise RuntimeError("sampling broke")

pytest_loopguard.watchdog.capture_stack = broken
"""

BLOCKS = """
import asyncio
from helpers import block

def test_blocks():
    async def main():
        block(0.3)
    asyncio.run(main())
"""


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["plain", "xdist"])
def test_watchdog_errors_are_counted_in_the_summary_and_the_report(
    pytester: pytest.Pytester, workers: tuple[str, ...]
) -> None:
    if workers:
        pytest.importorskip("xdist")
    pytester.makeini("[pytest]\n" + QUIET)
    pytester.makeconftest(BROKEN_SAMPLING)
    pytester.makepyfile(helpers=HELPERS, test_blocks=BLOCKS)
    result = run(pytester, "--loopguard=50ms", "--loopguard-report=out.json", *workers)
    result.stdout.fnmatch_lines(
        [
            "*= loopguard: * internal error*; loops or stalls may have gone unwatched =*",
            "  *x RuntimeError: sampling broke (at conftest.py:4 in broken)",
        ]
    )
    document = json.loads((pytester.path / "out.json").read_text())
    assert document["internal_error_count"] >= 1
    [error] = document["internal_errors"]
    assert error["error"] == "RuntimeError: sampling broke"
    assert error["where"] == "conftest.py:4 in broken"
    assert error["count"] == document["internal_error_count"]


FAKE_UVLOOP = """
# A uvloop whose loop class is not where the probe looks for it.
class EventLoopPolicy:
    pass
"""


def test_a_probe_that_cannot_be_installed_names_the_loop_kind_not_watched(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\n" + QUIET)
    pytester.mkpydir("uvloop").joinpath("__init__.py").write_text(FAKE_UVLOOP)
    pytester.makepyfile(
        test_imports="""
        import asyncio

        def test_imports_uvloop():
            import uvloop
            assert uvloop.EventLoopPolicy

        def test_asyncio_still_watched():
            async def main():
                import time
                time.sleep(0.2)
            asyncio.run(main())
        """
    )
    result = run(pytester, "--loopguard=50ms", "--loopguard-report=out.json")
    result.assert_outcomes(passed=1, failed=1)  # the import works; asyncio is still watched
    result.stdout.fnmatch_lines(
        [
            "*= loopguard: 1 internal error; loops or stalls may have gone unwatched =*",
            "     1x ProbeNotInstalled: uvloop loops are not watched: the uvloop probe could not be "
            "installed (AttributeError: *'Loop'*) (at *uvloop_probe.py:* in patch_for)",
        ]
    )
    document = json.loads((pytester.path / "out.json").read_text())
    assert document["internal_error_count"] == 1
    assert "uvloop loops are not watched" in document["internal_errors"][0]["error"]


def test_a_clean_run_reports_no_internal_errors(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n" + QUIET)
    pytester.makepyfile(helpers=HELPERS, test_blocks=BLOCKS)
    result = run(pytester, "--loopguard=50ms", "--loopguard-report=out.json")
    result.assert_outcomes(failed=1)
    result.stdout.no_fnmatch_line("*internal error*")
    document = json.loads((pytester.path / "out.json").read_text())
    assert (document["internal_error_count"], document["internal_errors"]) == (0, [])
