"""Under pytest-xdist the report is the one of a plain run: no execnet `<string>` frames."""

from __future__ import annotations

import json
from typing import Any

import pytest
from loopguard_sessions import HELPERS, QUIET, run

pytest.importorskip("xdist")
pytest.importorskip("pytest_asyncio")

# An async fixture of conftest.py: the test file is not on the loop thread's stack, so
# the report's stack starts at the first frame of the project.
CONFTEST = """
import pytest_asyncio
from helpers import block

@pytest_asyncio.fixture
async def slow_resource():
    block(0.3)
    yield
"""

TESTS = """
import asyncio
import time
import pytest
from helpers import block

@pytest.mark.asyncio
async def test_fixture_blocks(slow_resource):
    pass

def test_body_blocks():
    async def main():
        block(0.3)
    asyncio.run(main())

def test_bare_callback_blocks():
    # No frame of the project on the stack: only the loop's machinery calls time.sleep.
    async def main():
        asyncio.get_running_loop().call_soon(time.sleep, 0.3)
        await asyncio.sleep(0.4)
    asyncio.run(main())
"""


def _lines_match(result: pytest.RunResult, lines: list[str]) -> bool:
    try:
        result.stdout.fnmatch_lines(lines)
    except pytest.fail.Exception:
        return False
    return True


def _frames(record: dict[str, Any]) -> list[tuple[str, int, str]]:
    return [(f["file"], f["line"], f["function"]) for f in record["stack"]]


def _what(document: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What a reader of the report sees of each stall, timings left out."""
    return sorted(
        (r["test_id"], r["phase"], r["file"], r["line"], r["function"], _frames(r))
        for r in document["stalls"]
    )


def _both(results: tuple[pytest.RunResult, ...], texts: list[str]) -> str:
    """Both sessions' output and reports, for a failure under load to tell its cause."""
    parts = []
    for name, result, text in zip(("plain", "-n 2"), results, texts):
        parts += [f"--- {name} session, stdout:", result.stdout.str(), f"--- {name} report:", text]
    return "\n".join(parts)


def test_xdist_reports_carry_no_execnet_frames_and_match_a_plain_run(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\n" + QUIET)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(helpers=HELPERS, test_spread=TESTS)
    plain = run(pytester, "--loopguard=50ms", "--loopguard-report=plain.json")
    spread = run(pytester, "--loopguard=50ms", "-n", "2", "--loopguard-report=spread.json")
    paths = [pytester.path / f"{name}.json" for name in ("plain", "spread")]
    texts = [path.read_text() if path.exists() else "(not written)" for path in paths]
    both = _both((plain, spread), texts)
    for result, text in zip((plain, spread), texts):
        assert "<string>" not in result.stdout.str(), both
        assert "<string>" not in text, both
        assert _lines_match(
            result,
            [
                "loopguard: event loop blocked for * ms (limit 50 ms) during setup",
                "asyncio loop in thread 'MainThread'",
                "blocking line:",
                "  helpers.py:4 in block",
                "      time.sleep(seconds)",
                "loop thread stack, test first:",
                "  conftest.py:6 in slow_resource",
                "      block(0.3)",
                "  helpers.py:4 in block",
            ],
        ), both
    plain_document, spread_document = map(json.loads, texts)
    assert _what(spread_document) == _what(plain_document), both
    fixture_stall = next(
        r for r in spread_document["stalls"] if r["test_id"].endswith("test_fixture_blocks")
    )
    assert _frames(fixture_stall) == [
        ("conftest.py", 6, "slow_resource"),
        ("helpers.py", 4, "block"),
    ]
