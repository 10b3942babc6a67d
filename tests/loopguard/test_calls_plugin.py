"""Calls mode as users switch it: options, marker, warn mode, allow lists, summary, JSON, xdist."""

from __future__ import annotations

import json

import pytest
from loopguard_sessions import QUIET, run

APP = """
import os

def load(path):
    if os.path.exists(path):
        return "found"
    return "missing"
"""

TESTS = """
import asyncio, time
import pytest
from app import load

@pytest.mark.asyncio
@pytest.mark.parametrize("name", ["a", "b", "c"])
async def test_load(name):
    assert load(name) == "missing"

@pytest.mark.asyncio
async def test_sleeps():
    time.sleep(0.001)

@pytest.mark.asyncio
async def test_clean():
    await asyncio.sleep(0)
"""

NO_TRACE = """
import os, posix, socket, sys, threading, time
import pytest

@pytest.mark.asyncio
async def test_nothing_is_patched():
    time.sleep(0.001)
    assert os.stat is posix.stat and time.sleep.__module__ == "time"
    assert "recv" not in vars(socket.socket) and "wait" in vars(threading.Event)
    assert not hasattr(threading.Event.wait, "__wrapped__")
    assert "pytest_loopguard.calls.probe" not in sys.modules
"""


def _session(pytester: pytest.Pytester, ini: str = "", **files: str) -> None:
    pytester.makeini("[pytest]\n" + QUIET + ini)
    pytester.makepyfile(app=APP, **(files or {"test_app": TESTS}))


def test_fail_mode_fails_each_phase_with_its_calls(pytester: pytest.Pytester) -> None:
    _session(pytester)
    result = run(pytester, "--loopguard-calls=fail")
    result.assert_outcomes(failed=4, passed=1)
    result.stdout.fnmatch_lines(
        [
            "loopguard: calls mode fail",
            "*_ test_load[[]a] _*",
            "loopguard: blocking call on the event loop during call: os.path.exists (os.stat), once",
            "asyncio loop in thread 'MainThread'",
            "called at:",
            "  app.py:4 in load",
            "      if os.path.exists(path):",
            "loop thread stack, test first:",
            "  test_app.py:8 in test_load",
            '      assert load(name) == "missing"',
            "  app.py:4 in load",
            "      if os.path.exists(path):",
            "found statically by ABL124: `asyncblock check --select ABL124`",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*= loopguard: blocking calls made on the event loop, by call site =*",
            "os.path.exists (os.stat) at app.py:4 in load: 3 tests, 3 times "
            "(found statically by ABL124: `asyncblock check --select ABL124`)",
            "time.sleep at test_app.py:12 in test_sleeps: 1 test, once "
            "(found statically by ABL100: `asyncblock check`)",
        ]
    )


def test_the_static_hint_comes_from_the_rule_classes() -> None:
    from flake8_asyncblock.rules.abl100_blocking_sleep import BlockingSleep
    from flake8_asyncblock.rules.abl120_sync_file_io import SyncFileIo
    from pytest_loopguard.calls.static import static_rule

    assert static_rule(["time.sleep"]).code == BlockingSleep.code  # type: ignore[union-attr]
    assert static_rule(["no.such", "open"]).code == SyncFileIo.code  # type: ignore[union-attr]
    assert static_rule(["no.such.call"]) is None


def test_calls_mode_off_leaves_no_trace(pytester: pytest.Pytester) -> None:
    _session(pytester, test_trace=NO_TRACE)
    run(pytester, "--loopguard=1s").assert_outcomes(passed=1)
    run(pytester, "--loopguard-calls=off").assert_outcomes(passed=1)


def test_the_wrappers_come_off_when_the_session_ends(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        check="""
        import asyncio, os, posix, threading, pytest
        from pytest_loopguard.calls import probe
        code = pytest.main(["-q", "-p", "no:cacheprovider", "--loopguard-calls=fail", "t.py"])
        assert code == 1, code
        assert os.stat is posix.stat and not hasattr(threading.Event.wait, "__wrapped__")
        async def main():
            os.stat(".")  # the audit hook stays; it must not record anything now
            open("t.py").close()
        asyncio.run(main())
        print("CLEAN", probe._recorder is None, probe._events == {})
        """,
        t="""
        import os, pytest
        @pytest.mark.asyncio
        async def test_stat():
            os.stat(".")
        """,
    )
    pytester.makeini("[pytest]\n" + QUIET)
    result = pytester.runpython(pytester.path / "check.py")
    result.stdout.fnmatch_lines(["CLEAN True True"])


def test_warn_mode_keeps_outcomes_and_warns_at_the_call_site(pytester: pytest.Pytester) -> None:
    _session(pytester)
    result = run(pytester, "--loopguard-calls=warn")
    result.assert_outcomes(passed=5, warnings=4)
    result.stdout.fnmatch_lines(
        [
            "*app.py:4: LoopguardWarning: blocking call os.path.exists (os.stat) on the event "
            "loop, once, during call at app.py:4 in load",
            "*= loopguard: blocking calls made on the event loop, by call site =*",
        ]
    )
    strict = run(pytester, "--loopguard-calls=warn", "-W", "error::pytest_loopguard.LoopguardWarning")
    strict.assert_outcomes(failed=4, passed=1)


def test_ini_key_turns_it_on_and_the_cli_beats_it(pytester: pytest.Pytester) -> None:
    _session(pytester, "loopguard_calls = fail\n")
    run(pytester).assert_outcomes(failed=4, passed=1)
    run(pytester, "--loopguard-calls=off").assert_outcomes(passed=5)


def test_marker_switches_calls_mode_per_test_and_module(pytester: pytest.Pytester) -> None:
    _session(
        pytester,
        test_marked="""
        import time, pytest

        pytestmark = pytest.mark.loopguard(calls="fail")

        @pytest.mark.asyncio
        async def test_module_turns_it_on():
            time.sleep(0.001)

        @pytest.mark.asyncio
        @pytest.mark.loopguard("1s", calls="off")
        async def test_own_marker_turns_it_off():
            time.sleep(0.001)

        @pytest.mark.asyncio
        @pytest.mark.loopguard(calls="sometimes")
        async def test_bad_marker():
            pass
        """,
        test_unmarked="""
        import time, pytest

        @pytest.mark.asyncio
        async def test_session_is_off():
            time.sleep(0.001)
        """,
    )
    result = run(pytester)
    result.assert_outcomes(failed=2, passed=2)
    result.stdout.fnmatch_lines(
        [
            "*_ test_module_turns_it_on _*",
            "loopguard: blocking call on the event loop during call: time.sleep, once",
            "*_ test_bad_marker _*",
            "loopguard: @pytest.mark.loopguard(calls=...): "
            "expected one of fail, warn, off, got 'sometimes'",
        ]
    )


def test_a_calls_marker_keeps_the_threshold_of_an_outer_marker(pytester: pytest.Pytester) -> None:
    _session(
        pytester,
        test_stall="""
        import time, pytest

        pytestmark = pytest.mark.loopguard("20ms")

        @pytest.mark.asyncio
        @pytest.mark.loopguard(calls="off")
        async def test_stalls():
            time.sleep(0.2)
        """,
    )
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["loopguard: event loop blocked for * (limit 20 ms) during call"])


@pytest.mark.parametrize(
    ("args", "ini", "message"),
    [
        (("--loopguard-calls=maybe",), "", "--loopguard-calls: expected one of fail, warn, off, got 'maybe'"),
        ((), "loopguard_calls = always\n", "loopguard_calls (ini): expected one of fail, warn, off, got 'always'"),
        (
            (),
            "loopguard_calls_logging = loud\n",
            "loopguard_calls_logging (ini): expected one of ignore, report, got 'loud'",
        ),
    ],
)
def test_bad_values_are_usage_errors_naming_their_source(
    pytester: pytest.Pytester, args: tuple[str, ...], ini: str, message: str
) -> None:
    _session(pytester, ini)
    result = run(pytester, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])


def test_allow_lists_by_call_name_and_by_frame(pytester: pytest.Pytester) -> None:
    _session(pytester, "loopguard_allow_calls = os.path.exists\n    time.sl*\n")
    run(pytester, "--loopguard-calls=fail").assert_outcomes(passed=5)
    _session(pytester, "loopguard_allow = app:load\n")
    result = run(pytester, "--loopguard-calls=fail")
    result.assert_outcomes(failed=1, passed=4)


VENDOR = """
import os

def fetch(path):
    return os.listdir(path)
"""

VENDOR_TEST = """
import pytest
import vendorlib.client

@pytest.mark.asyncio
async def test_uses_the_library(tmp_path):
    assert vendorlib.client.fetch(tmp_path) == []
"""


def _fake_package(pytester: pytest.Pytester, name: str, modules: dict[str, str]) -> None:
    """Write a package into the session's `site-packages` folder: library code, not the user's."""
    package = pytester.path / "site-packages" / name
    package.mkdir(parents=True)
    for module, source in modules.items():
        (package / f"{module}.py").write_text(source)


def test_a_call_inside_a_library_is_shown_at_the_line_that_called_in(pytester: pytest.Pytester) -> None:
    _fake_package(pytester, "vendorlib", {"__init__": "", "client": VENDOR})
    _session(pytester, "pythonpath = site-packages\n", test_vendor=VENDOR_TEST)
    result = run(pytester, "--loopguard-calls=fail")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "loopguard: blocking call on the event loop during call: os.listdir, once",
            "*",
            "called at:",
            "  test_vendor.py:6 in test_uses_the_library",
            "      assert vendorlib.client.fetch(tmp_path) == []",
            "made inside a library, at:",
            "  site-packages/vendorlib/client.py:5 in fetch",
            "      return os.listdir(path)",
            "*",
            "found statically by ABL900 once vendorlib.client.fetch is declared blocking: "
            "`asyncblock check --blocking vendorlib.client.fetch`",
        ]
    )
    # The documented recipe for a library the project cannot change.
    _session(pytester, "pythonpath = site-packages\nloopguard_allow = vendorlib.*:*\n", test_vendor=VENDOR_TEST)
    run(pytester, "--loopguard-calls=fail").assert_outcomes(passed=1)


# blockbuster's shape: the package's wrappers pass a call on to the function they replaced,
# raising only for the modules a project asked it to scan (anyio scans only `anyio`).
BLOCKBUSTER = """
import contextlib, functools, os, time

def _wrap_blocking(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)
    return wrapper

@contextlib.contextmanager
def blockbuster_ctx():
    saved = [(os, "listdir", os.listdir), (os, "stat", os.stat), (time, "sleep", time.sleep)]
    for owner, name, func in saved:
        setattr(owner, name, _wrap_blocking(func))
    try:
        yield
    finally:
        for owner, name, func in saved:
            setattr(owner, name, func)
"""

BLOCKBUSTER_CONFTEST = """
import pytest
from blockbuster import blockbuster_ctx

@pytest.fixture(autouse=True)
def blockbuster():
    with blockbuster_ctx():
        yield
"""

BLOCKBUSTER_TEST = """
import os, time
import pytest

@pytest.mark.asyncio
async def test_blocks_beside_blockbuster(tmp_path):
    assert os.listdir(tmp_path) == []
    assert os.stat(tmp_path)
    time.sleep(0.001)
"""


def test_blockbusters_wrappers_are_a_pass_through(pytester: pytest.Pytester) -> None:
    _fake_package(
        pytester, "blockbuster",
        {"__init__": "from blockbuster.blockbuster import blockbuster_ctx\n", "blockbuster": BLOCKBUSTER},
    )
    pytester.makeconftest(BLOCKBUSTER_CONFTEST)
    _session(pytester, "pythonpath = site-packages\n", test_bb=BLOCKBUSTER_TEST)
    result = run(pytester, "--loopguard-calls=fail")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "loopguard: blocking call on the event loop during call: os.listdir, once",
            "*",
            "called at:",
            "  test_bb.py:6 in test_blocks_beside_blockbuster",
            "      assert os.listdir(tmp_path) == []",
            "found statically by ABL123: `asyncblock check`",
            "",
            "blocking call on the event loop during call: os.stat, once",
            "*",
            "called at:",
            "  test_bb.py:7 in test_blocks_beside_blockbuster",
            "*",
            "blocking call on the event loop during call: time.sleep, once",
            "*",
            "called at:",
            "  test_bb.py:8 in test_blocks_beside_blockbuster",
        ]
    )
    assert "made inside a library" not in result.stdout.str()
    assert "blockbuster.py" not in result.stdout.str()


def _call_records(path: str) -> list[tuple]:
    with open(path) as stream:
        document = json.load(stream)
    assert all(r["kind"] == "call" for r in document["calls"])
    return sorted(
        (r["test_id"], r["phase"], r["call"], r["hooked"], r["file"], r["line"], r["count"],
         r["static_rule"])
        for r in document["calls"]
    )


def test_json_report_and_xdist_give_the_same_call_records(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    _session(pytester)
    run(pytester, "--loopguard-calls=fail", "--loopguard-report=plain.json", "--loopguard=1s")
    result = run(pytester, "--loopguard-calls=fail", "--loopguard-report=spread.json", "-n", "2")
    result.assert_outcomes(failed=4, passed=1)
    result.stdout.fnmatch_lines(["os.path.exists (os.stat) at app.py:4 in load: 3 tests, 3 times*"])
    plain = _call_records(str(pytester.path / "plain.json"))
    assert plain == _call_records(str(pytester.path / "spread.json"))
    assert [r[2] for r in plain] == ["os.path.exists"] * 3 + ["time.sleep"]
    document = json.loads((pytester.path / "plain.json").read_text())
    assert document["calls_mode"] == "fail" and document["stalls"] == []


def test_warn_mode_records_reach_the_json_report_under_xdist(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    _session(pytester)
    result = run(pytester, "--loopguard-calls=warn", "--loopguard-report=warn.json", "-n", "2")
    result.assert_outcomes(passed=5)
    assert len(_call_records(str(pytester.path / "warn.json"))) == 4
