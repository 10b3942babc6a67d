"""Calls mode's own errors: counted, shown in the summary and the JSON report, never swallowed."""

from __future__ import annotations

import json
import sys

import pytest
from loopguard_sessions import QUIET, run

# A socket whose mode cannot be read: the probe's check of a wrapped `send` fails inside.
ODD_SOCKET = """
import socket
import pytest

class OddSocket(socket.socket):
    def gettimeout(self):
        raise RuntimeError("mode unreadable")

@pytest.mark.asyncio
async def test_send_on_an_odd_socket():
    left, right = socket.socketpair()
    right.setblocking(False)  # the test's own read must not count
    odd = OddSocket(fileno=left.detach())
    assert odd.send(b"x") == 1
    assert right.recv(1) == b"x"
    odd.close()
    right.close()
"""

# Other tools hold both sys.monitoring ids calls mode may take.
TAKEN_IDS = """
import sys

for tool in (3, 4):
    sys.monitoring.use_tool_id(tool, f"another tool {tool}")
"""

READS = """
import pytest

@pytest.mark.asyncio
async def test_reads_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
"""


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["plain", "xdist"])
def test_an_error_of_a_check_is_counted_and_the_call_goes_on(
    pytester: pytest.Pytester, workers: tuple[str, ...]
) -> None:
    pytest.importorskip("pytest_asyncio")
    if workers:
        pytest.importorskip("xdist")
    pytester.makeini("[pytest]\n" + QUIET)
    pytester.makepyfile(test_odd=ODD_SOCKET)
    result = run(pytester, "--loopguard-calls=fail", "--loopguard-report=out.json", *workers)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*= loopguard: 1 internal error; * =*",
            "     1x RuntimeError: mode unreadable (at test_odd.py:6 in gettimeout)",
        ]
    )
    document = json.loads((pytester.path / "out.json").read_text())
    assert document["internal_error_count"] == 1
    assert document["internal_errors"] == [
        {"error": "RuntimeError: mode unreadable", "where": "test_odd.py:6 in gettimeout", "count": 1}
    ]
    assert document["calls"] == []


@pytest.mark.skipif(sys.version_info < (3, 12), reason="sys.monitoring is new in Python 3.12")
def test_no_free_monitoring_id_is_an_internal_error_and_the_rest_still_works(
    pytester: pytest.Pytester,
) -> None:
    pytest.importorskip("pytest_asyncio")
    pytester.makeini("[pytest]\n" + QUIET)
    pytester.makeconftest(TAKEN_IDS)
    pytester.makepyfile(test_reads=READS)
    result = run(pytester, "--loopguard-calls=fail", "--loopguard-report=out.json")
    result.assert_outcomes(failed=1)  # the audit hook still sees the open
    result.stdout.fnmatch_lines(
        [
            "*blocking call on the event loop during call: pathlib.Path.write_text*",
            "*= loopguard: 1 internal error; * =*",
            "     1x RuntimeError: sys.monitoring has no free tool id for pytest-loopguard"
            " (4: another tool 4, 3: another tool 3) (at *monitor.py:* in start)",
        ]
    )
    document = json.loads((pytester.path / "out.json").read_text())
    assert document["internal_error_count"] == 1
