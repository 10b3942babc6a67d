"""Attribution: fold a stall's final length into the record of the phase it was charged to.

A stall still under way when its test phase ends is charged to that phase at
once (`StallDetector.charge_in_flight`, `Stall.still_blocked`). When the
stretch ends, later, the detector records only its final length
(`Stall.late`): these functions give that length to the charged record, so
the summary and the JSON report show it, and no later phase is charged. Under
xdist a worker sends the final lengths with its last output (`finals`), and
the controller folds them into the records its workers sent (`settle_finals`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pytest_loopguard.stall import Stall

__all__ = ["finals", "settle_finals", "settle_late"]


def settle_late(records: list[Stall], stalls: list[Stall]) -> list[Stall]:
    """Give each late stall's length to its charged record in `records`; return the others."""
    if not any(stall.late for stall in stalls):
        return stalls
    for stall in stalls:
        if stall.late:
            _settle(records, stall.duration_seconds, _same_stretch(stall))
    return [stall for stall in stalls if not stall.late]


def finals(records: Iterable[Stall]) -> list[dict[str, Any]]:
    """List the final lengths known here, for an xdist worker's last output."""
    return [
        {
            "test_id": r.test_id,
            "phase": r.phase,
            "thread": r.thread_name,
            "duration_ms": _ms(r.duration_seconds),
            "final_duration_ms": _ms(final),
        }
        for r in records
        if r.still_blocked and (final := r.final_duration_seconds) is not None
    ]


def settle_finals(records: list[Stall], worker_finals: Iterable[dict[str, Any]]) -> None:
    """Fold a worker's final lengths into the records it sent with its test reports."""
    for final in worker_finals:
        _settle(records, final["final_duration_ms"] / 1000.0, _same_charge(final))


def _same_stretch(late: Stall) -> Callable[[Stall], bool]:
    """Match the record charged for the stretch a late stall ends (same thread and start)."""
    return lambda r: r.thread_name == late.thread_name and r.started_at == late.started_at


def _same_charge(final: dict[str, Any]) -> Callable[[Stall], bool]:
    """Match the record a worker's final length belongs to (a worker's clock stays there)."""
    return lambda r: (
        r.test_id == final["test_id"] and r.phase == final["phase"]
        and r.thread_name == final["thread"] and _ms(r.duration_seconds) == final["duration_ms"]
    )


def _settle(
    records: list[Stall], final_seconds: float, matches: Callable[[Stall], bool]
) -> None:
    for index in range(len(records) - 1, -1, -1):  # the charge is recent: look from the end
        record = records[index]
        if record.still_blocked and record.final_duration_seconds is None and matches(record):
            records[index] = record._replace(final_duration_seconds=final_seconds)
            return


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 3)
