"""Stall -> builtin records: the JSON report, and what xdist workers send; pure functions.

The terminal text is `report`'s; these records carry the same facts for
machines, so a field added here is added to docs/loopguard.md's JSON section.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Sequence
from typing import Any

from pytest_loopguard.accounting import CURES
from pytest_loopguard.report import relative_path, trim_stack
from pytest_loopguard.stall import StackFrame, Stall, StarvedStretch

__all__ = [
    "REPORT_VERSION",
    "error_records",
    "frame_record",
    "merge_error_records",
    "record_to_starved",
    "record_to_stall",
    "report_document",
    "stall_to_record",
    "starved_to_record",
]

REPORT_VERSION = 1
_FRAME_KEYS = ("file", "line", "function", "source")


def frame_record(frame: StackFrame) -> dict[str, Any]:
    return {
        "file": frame.filename,
        "line": frame.lineno,
        "function": frame.function,
        "source": frame.source_line,
    }


def _record_frame(data: dict[str, Any]) -> StackFrame:
    return StackFrame(data["file"], int(data["line"]), data["function"], data["source"])


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000.0, 3)


def stall_to_record(stall: Stall) -> dict[str, Any]:
    """Flatten a localized stall into builtin types for JSON and for xdist."""
    blocking = stall.blocking_frame
    frame = frame_record(blocking) if blocking else dict.fromkeys(_FRAME_KEYS)
    return {
        "kind": "stall",
        "test_id": stall.test_id,
        "phase": stall.phase,
        "duration_ms": _ms(stall.duration_seconds),
        "threshold_ms": _ms(stall.threshold_seconds),
        **frame,
        # From the test down, as in the terminal: the runner's frames tell a reader nothing.
        "stack": [frame_record(f) for f in trim_stack(stall.stack, stall.test_id.split("::")[0])],
        "samples": [{**frame_record(f), "count": n} for f, n in stall.samples],
        "running": stall.running,
        "loop_kind": stall.loop_kind,
        "thread": stall.thread_name,
        "ended_with_loop": stall.ended_with_loop,
        # "kind" says which record type this is (a stall, a call): the stall's own kind,
        # computing or waiting, is "stall_kind".
        "stall_kind": stall.kind,
        "cure": None if stall.kind is None else CURES[stall.kind],
        "cpu_wait_ms": _ms(stall.cpu_wait_seconds),
        "gc_ms": _ms(stall.gc_seconds),
        "explicit_gc_ms": _ms(stall.explicit_gc_seconds),
        "gc_only": stall.gc_only,
        "still_blocked": stall.still_blocked,
        "final_duration_ms": _ms(stall.final_duration_seconds),
    }


def record_to_stall(record: dict[str, Any]) -> Stall:
    """Rebuild the Stall that stall_to_record flattened: an xdist worker's, on the controller."""
    return Stall(
        duration_seconds=record["duration_ms"] / 1000.0,
        threshold_seconds=record["threshold_ms"] / 1000.0,
        loop_kind=record["loop_kind"],
        thread_name=record["thread"],
        blocking_frame=_record_frame(record) if record["file"] is not None else None,
        stack=tuple(_record_frame(f) for f in record["stack"]),
        samples=tuple((_record_frame(s), int(s["count"])) for s in record["samples"]),
        running=record["running"],
        ended_with_loop=record["ended_with_loop"],
        test_id=record["test_id"],
        phase=record["phase"],
        cpu_wait_seconds=record.get("cpu_wait_ms", 0.0) / 1000.0,
        gc_seconds=record.get("gc_ms", 0.0) / 1000.0,
        explicit_gc_seconds=record.get("explicit_gc_ms", 0.0) / 1000.0,
        kind=record.get("stall_kind"),
        gc_only=record.get("gc_only", False),
        still_blocked=record.get("still_blocked", False),
        final_duration_seconds=(
            None if record.get("final_duration_ms") is None
            else record["final_duration_ms"] / 1000.0
        ),
    )


def starved_to_record(stretch: StarvedStretch) -> dict[str, Any]:
    """Flatten a dismissed stretch for JSON and for xdist."""
    return {
        "test_id": stretch.test_id,
        "phase": stretch.phase,
        "duration_ms": _ms(stretch.duration_seconds),
        "threshold_ms": _ms(stretch.threshold_seconds),
        "thread": stretch.thread_name,
        "cpu_wait_ms": _ms(stretch.cpu_wait_seconds),
        "most_cpu_wait_ms": _ms(stretch.most_cpu_wait_seconds),
        "sampled": stretch.sampled,
    }


def record_to_starved(record: dict[str, Any]) -> StarvedStretch:
    """Rebuild the StarvedStretch that starved_to_record flattened (an xdist worker's)."""
    most = record["most_cpu_wait_ms"]
    return StarvedStretch(
        duration_seconds=record["duration_ms"] / 1000.0,
        threshold_seconds=record["threshold_ms"] / 1000.0,
        thread_name=record["thread"],
        cpu_wait_seconds=record["cpu_wait_ms"] / 1000.0,
        most_cpu_wait_seconds=None if most is None else most / 1000.0,
        sampled=record["sampled"],
        test_id=record["test_id"],
        phase=record["phase"],
    )


def _error_where(exc: BaseException, rootdir: str | None) -> str | None:
    """Name the innermost line an error came from (its cause's, for a wrapped one)."""
    cause = exc.__cause__
    tb = exc.__traceback__ or (cause.__traceback__ if cause is not None else None)
    frames = traceback.extract_tb(tb)
    if not frames:
        return None
    last = frames[-1]
    return f"{relative_path(last.filename, rootdir)}:{last.lineno} in {last.name}"


def error_records(errors: Iterable[BaseException], rootdir: str | None) -> list[dict[str, Any]]:
    """Flatten loopguard's own errors for the summary, xdist and JSON: one record per kind."""
    return merge_error_records(
        {"error": f"{type(exc).__name__}: {exc}", "where": _error_where(exc, rootdir), "count": 1}
        for exc in errors
    )


def merge_error_records(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add up the records of the same error at the same line (this process's and workers')."""
    merged: dict[tuple[str, str | None], dict[str, Any]] = {}
    for record in records:
        key = (record["error"], record["where"])
        seen = merged.get(key)
        if seen is None:
            merged[key] = dict(record)
        else:
            seen["count"] += record["count"]
    return list(merged.values())


def report_document(
    stalls: Iterable[Stall],
    threshold_ms: float,
    mode: str,
    starved: int = 0,
    starved_stretches: Iterable[StarvedStretch] = (),
    calls: Sequence[dict[str, Any]] | None = None,
    calls_mode: str = "off",
    internal_errors: Sequence[dict[str, Any]] = (),
    internal_error_count: int = 0,
) -> dict[str, Any]:
    """Turn the stalls into the JSON document written by --loopguard-report.

    `starved` counts the stretches over the limit that were not recorded
    because the loop thread got no CPU or waited for one (`starved_stretches`
    holds the records of those in test phases), and `gc_pauses`
    holds the stretches long only because of automatic garbage collection:
    fields added within version 1, as are `calls_mode` and `calls` (calls
    mode's records, `"kind": "call"`), present when calls mode was on for
    the session or some of its tests.
    `internal_errors` (one record per error and line, with its `count`) and
    `internal_error_count` (all of them, also those not kept) are loopguard's
    own failures, added within version 1 too.
    """
    stalls = list(stalls)
    document: dict[str, Any] = {
        "version": REPORT_VERSION,
        "threshold_ms": threshold_ms,
        "mode": mode,
        "starved": starved,
        "starved_stretches": [starved_to_record(stretch) for stretch in starved_stretches],
        "stalls": [stall_to_record(stall) for stall in stalls if not stall.gc_only],
        "gc_pauses": [stall_to_record(stall) for stall in stalls if stall.gc_only],
        "internal_error_count": internal_error_count,
        "internal_errors": list(internal_errors),
    }
    if calls is not None:
        document["calls_mode"] = calls_mode
        document["calls"] = list(calls)
    return document
