"""The Hub protocol is the whole of what the probes use of the detector."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pytest_loopguard.probes
from pytest_loopguard.detector import StallDetector
from pytest_loopguard.probes.hub import Hub

PROBES = Path(pytest_loopguard.probes.__file__).parent
HUB_MEMBERS = {name for name in vars(Hub) if not name.startswith("_")}


def _hub_uses(path: Path) -> list[tuple[int, str]]:
    """Return (line, member) of every attribute read on a hub: `hub.x`, `self.hub.x`."""
    uses = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Attribute):
            continue
        owner = node.value
        if (isinstance(owner, ast.Name) and owner.id == "hub") or (
            isinstance(owner, ast.Attribute) and owner.attr == "hub"
        ):
            uses.append((node.lineno, node.attr))
    return uses


def test_hub_declares_the_members_the_probes_rely_on() -> None:
    assert HUB_MEMBERS == {
        "activate",
        "clock",
        "deactivate",
        "internal_error",
        "judge_stretch",
        "record",
        "started",
        "stretch_starts",
        "threshold_seconds",
        "watched_loops",
    }


@pytest.mark.parametrize("path", sorted(PROBES.glob("*.py")), ids=lambda p: p.name)
def test_probes_use_only_hub_members(path: Path) -> None:
    foreign = [(line, name) for line, name in _hub_uses(path) if name not in HUB_MEMBERS]
    assert foreign == []


def test_probes_do_use_the_hub() -> None:
    """The check above looks at the right expressions: every probe module reads the hub."""
    used = {name for path in PROBES.glob("*.py") for _, name in _hub_uses(path)}
    assert {"clock", "threshold_seconds", "activate", "record", "internal_error"} <= used


def test_stall_detector_has_every_hub_member() -> None:
    detector = StallDetector(0.1, watchdog=False)
    assert [name for name in sorted(HUB_MEMBERS) if not hasattr(detector, name)] == []
    assert detector.threshold_seconds == 0.1 and detector.started is False
