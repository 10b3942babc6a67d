"""Loopguard leaves nothing behind: off means untouched, and every run ends clean."""

from __future__ import annotations

import pytest
from loopguard_sessions import QUIET, run

# What a started detector leaves in the process: its thread, its asyncio
# patches and its import hook (for uvloop and trio).
LEFTOVERS = """
import asyncio
import sys
import threading

def loopguard_leftovers():
    found = [t.name for t in threading.enumerate() if t.name.startswith("loopguard")]
    for owner, name in [(asyncio.base_events.BaseEventLoop, "run_forever"),
                        (asyncio.events.Handle, "_run")]:
        if not getattr(owner, name).__module__.startswith("asyncio"):
            found.append(f"{owner.__name__}.{name} is patched")
    found += [repr(f) for f in sys.meta_path if type(f).__module__.startswith("pytest_loopguard")]
    return found
"""


@pytest.mark.parametrize("args", [(), ("--loopguard=off",)])
def test_off_means_no_thread_no_patch_no_import(
    pytester: pytest.Pytester, args: tuple[str, ...]
) -> None:
    pytester.makeini("[pytest]\n" + QUIET)
    pytester.makepyfile(
        leftovers=LEFTOVERS,
        test_off="""
        import asyncio
        import sys
        import time
        from leftovers import loopguard_leftovers

        def test_blocking_loop_is_not_watched():
            async def main():
                time.sleep(0.1)
            asyncio.run(main())
            assert loopguard_leftovers() == []
            # Loaded by every pytest run, the plugin imports none of them while off.
            assert "pytest_loopguard.detector" not in sys.modules
            assert "pytest_loopguard.report" not in sys.modules
            assert "pytest_loopguard.records" not in sys.modules
        """,
    )
    result = run(pytester, *args)
    result.assert_outcomes(passed=1)
    assert "loopguard:" not in result.stdout.str()


@pytest.mark.parametrize(
    ("args", "last_test"),
    [(("-x",), "assert False"), ((), "raise KeyboardInterrupt")],
)
def test_interrupted_run_leaves_no_thread_or_patch(
    pytester: pytest.Pytester, args: tuple[str, ...], last_test: str
) -> None:
    pytester.makeini("[pytest]\n" + QUIET)
    pytester.makeconftest(
        """
        import atexit, pathlib
        from leftovers import loopguard_leftovers

        # Runs after pytest returned: the detector must already be gone.
        atexit.register(lambda: pathlib.Path("leftovers.txt").write_text(
            repr(loopguard_leftovers())))
        """
    )
    pytester.makepyfile(
        leftovers=LEFTOVERS,
        test_interrupt=f"""
        import asyncio, time

        def test_stalls():
            async def main():
                time.sleep(0.2)
            asyncio.run(main())

        def test_stops_the_run():
            {last_test}

        def test_never_runs():
            pass
        """,
    )
    result = run(pytester, "--loopguard=50ms", *args)
    result.stdout.fnmatch_lines(["loopguard: event loop blocked for *"])
    assert result.ret in (pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.INTERRUPTED)
    assert "test_never_runs" not in result.stdout.str()
    assert (pytester.path / "leftovers.txt").read_text() == "[]"


def test_pytest_timeout_still_kills_a_hung_test_and_both_messages_survive(
    pytester: pytest.Pytester,
) -> None:
    pytest.importorskip("pytest_timeout")
    pytest.importorskip("pytest_asyncio")
    pytester.makeini("[pytest]\n" + QUIET)
    pytester.makepyfile(
        """
        import time
        import pytest

        @pytest.mark.asyncio
        async def test_hangs():
            time.sleep(5)
        """
    )
    result = run(pytester, "--loopguard=50ms", "--timeout=1")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E * Failed: Timeout (>1.0s) from pytest-timeout.",
            "*- loopguard -*",
            "event loop blocked for * (limit 50 ms) during call",
            "*test_pytest_timeout_still_kills*.py:6 in test_hangs",
            "      time.sleep(5)",
        ]
    )
