"""What loopguard and pytest pass each other: the warning category, report attribute, stash keys.

A leaf: the hooks (`plugin`), the per-test guard and users' code import these
names from here, and nothing here imports them back.
"""

from __future__ import annotations

import pytest

from pytest_loopguard.options import Settings

__all__ = [
    "REPORT_ATTRIBUTE",
    "SETTINGS_KEY",
    "WORKER_ERRORS_KEY",
    "WORKER_FINALS_KEY",
    "WORKER_STARVED_KEY",
    "WORKER_STARVED_RECORDS_KEY",
    "LoopguardWarning",
]


class LoopguardWarning(pytest.PytestWarning):
    """An event loop stall reported in warn mode."""


# The attribute of TestReport that carries stall records (plain dicts). pytest
# serializes every report attribute, so xdist brings it to the controller.
REPORT_ATTRIBUTE = "loopguard_stalls"

# The key of xdist's workeroutput that brings a worker's starved count to the controller.
WORKER_STARVED_KEY = "loopguard_starved"
# ... and the records of those dismissed in its test phases (`records.starved_to_record`).
WORKER_STARVED_RECORDS_KEY = "loopguard_starved_stretches"
# ... and its internal errors: (count, error records of `records.error_records`).
WORKER_ERRORS_KEY = "loopguard_internal_errors"
# ... and the final lengths of its stalls charged while still blocked (`attribution.finals`).
WORKER_FINALS_KEY = "loopguard_final_lengths"

# The session's settings, read once at configure time.
SETTINGS_KEY = pytest.StashKey[Settings]()
