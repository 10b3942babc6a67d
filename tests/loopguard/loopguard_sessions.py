"""What the plugin's session tests share: the ini line, the blocking helper, the runner."""

from __future__ import annotations

import pytest

__all__ = ["HELPERS", "QUIET", "run"]

QUIET = "asyncio_default_fixture_loop_scope = function\n"
# Blocks well past the 50 ms limit the sessions use; the line is what tests assert.
HELPERS = """
import time

def block(seconds=0.2):
    time.sleep(seconds)
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Run a session in a subprocess; hypothesis' plugin would double its start-up time."""
    return pytester.runpytest_subprocess("-p", "no:hypothesispytest", *args)
