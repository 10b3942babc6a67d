"""Stall -> failure text, summary lines and JSON records; pure functions."""

from __future__ import annotations

import linecache
import os
import traceback
from collections.abc import Iterable, Sequence
from typing import Any

from pytest_loopguard.accounting import CURES
from pytest_loopguard.stall import StackFrame, Stall

__all__ = [
    "NO_SAMPLE",
    "STILL_BLOCKED",
    "VERDICT",
    "format_ms",
    "format_over",
    "error_records",
    "format_stall",
    "frame_record",
    "gc_pauses_line",
    "headline",
    "internal_error_lines",
    "localize",
    "merge_error_records",
    "record_to_stall",
    "relative_path",
    "report_document",
    "starved_line",
    "stall_to_record",
    "summary_lines",
    "trim_stack",
]

VERDICT = "event loop blocked for {duration} (limit {limit})"
STILL_BLOCKED = "still blocked when the phase ended: the stall lasted at least this long"
NO_SAMPLE = "no sample of the loop thread could be taken while it was blocked"
REPORT_VERSION = 1
_FRAME_KEYS = ("file", "line", "function", "source")


def format_ms(seconds: float) -> str:
    """Render seconds as whole milliseconds, with decimals only below 10 ms."""
    ms = seconds * 1000.0
    if ms >= 10:
        return f"{ms:.0f} ms"
    return f"{ms:.3g} ms"


def format_over(seconds: float, limit_seconds: float) -> str:
    """Render a duration with the decimals that show it is over its limit.

    300.4 ms against 100 ms prints "300 ms"; 100.1 ms prints "100.1 ms", never "100 ms".
    """
    ms, limit_ms = seconds * 1000.0, limit_seconds * 1000.0
    text = format_ms(seconds)
    for decimals in (1, 2, 3):
        if float(text.removesuffix(" ms")) > limit_ms or ms <= limit_ms:
            break
        text = f"{ms:.{decimals}f} ms"
    return text


def relative_path(path: str, rootdir: str | None) -> str:
    """Return `path` relative to rootdir when it lies inside it."""
    if not rootdir or not os.path.isabs(path):
        return path
    try:
        relative = os.path.relpath(path, rootdir)
    except ValueError:  # another drive on Windows
        return path
    return path if relative.startswith("..") else relative.replace(os.sep, "/")


def _localize_frame(frame: StackFrame, rootdir: str | None) -> StackFrame:
    """Fill a missing source line and make the path relative to rootdir."""
    source = frame.source_line or linecache.getline(frame.filename, frame.lineno)
    return frame._replace(
        filename=relative_path(frame.filename, rootdir), source_line=source.strip()
    )


def localize(stall: Stall, rootdir: str | None) -> Stall:
    """Return `stall` with paths relative to rootdir and source lines filled in."""
    blocking = stall.blocking_frame
    return stall._replace(
        blocking_frame=None if blocking is None else _localize_frame(blocking, rootdir),
        stack=tuple(_localize_frame(frame, rootdir) for frame in stall.stack),
        samples=tuple((_localize_frame(f, rootdir), n) for f, n in stall.samples),
    )


def _is_project_frame(frame: StackFrame) -> bool:
    """Tell whether a localized frame lies in the project (a relative path)."""
    path = frame.filename.replace(os.sep, "/")
    return not (
        os.path.isabs(path) or "site-packages/" in path or path.startswith((".", "<"))
    )


def trim_stack(stack: Sequence[StackFrame], test_file: str | None) -> tuple[StackFrame, ...]:
    """Cut the runner's frames: start at the test file, else at the first project frame.

    The loop thread's stack begins in pytest, pluggy and the event loop;
    none of that helps to find the blocking code.
    """
    for wanted in (lambda f: f.filename == test_file, _is_project_frame):
        for index, frame in enumerate(stack):
            if wanted(frame):
                return tuple(stack[index:])
    return tuple(stack)


def _where(frame: StackFrame) -> str:
    return f"{frame.filename}:{frame.lineno} in {frame.function}"


def _frame_lines(frame: StackFrame, indent: str = "  ") -> list[str]:
    lines = [f"{indent}{_where(frame)}"]
    if frame.source_line:
        lines.append(f"{indent}    {frame.source_line}")
    return lines


def _verdict(stall: Stall) -> str:
    return VERDICT.format(
        duration=format_over(stall.duration_seconds, stall.threshold_seconds),
        limit=format_ms(stall.threshold_seconds),
    )


def headline(stall: Stall, phase: str) -> str:
    """Render a stall on one line: verdict, phase and blocking line."""
    if stall.blocking_frame is None:
        return f"{_verdict(stall)} during {phase}; {NO_SAMPLE}"
    return f"{_verdict(stall)} during {phase} at {_where(stall.blocking_frame)}"


def format_stall(stall: Stall, phase: str, test_file: str | None = None) -> str:
    """Render one localized stall as the text of a failure or warning."""
    lines = [f"{_verdict(stall)} during {phase}"]
    lines.append(f"{stall.loop_kind} loop in thread {stall.thread_name!r}")
    if stall.blocking_frame is None:
        lines.append(f"{NO_SAMPLE}; it was running: {stall.running or 'unknown'}")
    else:
        lines.append("blocking line:")
        lines.extend(_frame_lines(stall.blocking_frame))
    if len(stall.samples) > 1:
        lines.append("lines seen while blocked (samples):")
        for frame, count in stall.samples:
            lines.append(f"  {count:>4}x {_where(frame)}")
            if frame.source_line:
                lines.append(f"            {frame.source_line}")
    lines.extend(_accounting_lines(stall))
    stack = trim_stack(stall.stack, test_file)
    if stack:
        lines.append("loop thread stack, test first:")
        for frame in stack:
            lines.extend(_frame_lines(frame))
    if stall.still_blocked:
        lines.append(STILL_BLOCKED)
    if stall.ended_with_loop:
        lines.append("the loop stopped while still blocked")
    return "\n".join(lines)


def _accounting_lines(stall: Stall) -> list[str]:
    """Say what was left out of the verdict and which cure fits the kind of stall."""
    lines = []
    left_out = []
    if stall.cpu_wait_seconds >= 0.0005:
        left_out.append(f"{format_ms(stall.cpu_wait_seconds)} waiting for a CPU")
    if stall.gc_seconds >= 0.0005:
        left_out.append(f"{format_ms(stall.gc_seconds)} in automatic garbage collection")
    if left_out:
        lines.append(f"left out of the verdict: {' and '.join(left_out)}")
    if stall.kind is not None:
        lines.append(f"cure: {CURES[stall.kind]}")
    return lines


def frame_record(frame: StackFrame) -> dict[str, Any]:
    return {
        "file": frame.filename,
        "line": frame.lineno,
        "function": frame.function,
        "source": frame.source_line,
    }


def _record_frame(data: dict[str, Any]) -> StackFrame:
    return StackFrame(data["file"], int(data["line"]), data["function"], data["source"])


def stall_to_record(stall: Stall) -> dict[str, Any]:
    """Flatten a localized stall into builtin types for JSON and for xdist."""
    blocking = stall.blocking_frame
    frame = frame_record(blocking) if blocking else dict.fromkeys(_FRAME_KEYS)
    return {
        "kind": "stall",
        "test_id": stall.test_id,
        "phase": stall.phase,
        "duration_ms": round(stall.duration_seconds * 1000.0, 3),
        "threshold_ms": round(stall.threshold_seconds * 1000.0, 3),
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
        "cpu_wait_ms": round(stall.cpu_wait_seconds * 1000.0, 3),
        "gc_ms": round(stall.gc_seconds * 1000.0, 3),
        "gc_only": stall.gc_only,
        "still_blocked": stall.still_blocked,
        "final_duration_ms": (
            None if stall.final_duration_seconds is None
            else round(stall.final_duration_seconds * 1000.0, 3)
        ),
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
        kind=record.get("stall_kind"),
        gc_only=record.get("gc_only", False),
        still_blocked=record.get("still_blocked", False),
        final_duration_seconds=(
            None if record.get("final_duration_ms") is None
            else record["final_duration_ms"] / 1000.0
        ),
    )


def summary_lines(stalls: Iterable[Stall]) -> list[str]:
    """List the stalled tests, worst first: id, longest stall, limit, blocking line."""
    worst: dict[str, Stall] = {}
    for stall in stalls:
        if stall.gc_only:
            continue  # gc_pauses_line says them
        seen = worst.get(stall.test_id)
        if seen is None or stall.duration_seconds > seen.duration_seconds:
            worst[stall.test_id] = stall
    ranked = sorted(worst.values(), key=lambda s: (-s.duration_seconds, s.test_id))
    lines = []
    for stall in ranked:
        frame = stall.blocking_frame
        where = (
            _where(frame) if frame is not None else f"no sample; running {stall.running or 'unknown'}"
        )
        lines.append(
            f"{stall.test_id} ({stall.phase}): "
            f"{format_over(stall.duration_seconds, stall.threshold_seconds)} "
            f"(limit {format_ms(stall.threshold_seconds)}) at {where}{_still_blocked_note(stall)}"
        )
    return lines


def _still_blocked_note(stall: Stall) -> str:
    if not stall.still_blocked:
        return ""
    if stall.final_duration_seconds is None:
        return ", still blocked when the phase ended"
    return (
        ", still blocked when the phase ended; "
        f"it lasted {format_ms(stall.final_duration_seconds)} in all"
    )


def starved_line(count: int) -> str:
    """Say how many stretches over the limit were dismissed as CPU starvation."""
    if count == 1:
        what = "1 stretch over the limit was"
    else:
        what = f"{count} stretches over the limit were"
    return f"loopguard: {what} not counted: the process got no CPU (machine overloaded)"


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


def internal_error_lines(count: int, records: Sequence[dict[str, Any]]) -> list[str]:
    """Say that loopguard failed inside, how often and where: stalls may have gone unseen."""
    what = "1 internal error" if count == 1 else f"{count} internal errors"
    lines = [f"loopguard: {what}; loops or stalls may have gone unwatched"]
    for record in records:
        where = f" (at {record['where']})" if record["where"] else ""
        lines.append(f"  {record['count']:>4}x {record['error']}{where}")
    kept = sum(record["count"] for record in records)
    if kept < count:
        lines.append(f"  ({count - kept} more not kept)")
    return lines


def gc_pauses_line(stalls: Iterable[Stall]) -> str | None:
    """Say how many stretches only automatic garbage collection made longer than the limit."""
    pauses = [stall for stall in stalls if stall.gc_only]
    if not pauses:
        return None
    worst = max(pauses, key=lambda s: s.duration_seconds)
    what = "1 stretch" if len(pauses) == 1 else f"{len(pauses)} stretches"
    return (
        f"loopguard: {what} over the limit only because of automatic garbage collection, "
        f"not counted (longest {format_ms(worst.duration_seconds)}, "
        f"{format_ms(worst.gc_seconds)} of it collecting, in {worst.test_id})"
    )


def report_document(
    stalls: Iterable[Stall],
    threshold_ms: float,
    mode: str,
    starved: int = 0,
    calls: Sequence[dict[str, Any]] | None = None,
    calls_mode: str = "off",
    internal_errors: Sequence[dict[str, Any]] = (),
    internal_error_count: int = 0,
) -> dict[str, Any]:
    """Turn the stalls into the JSON document written by --loopguard-report.

    `starved` counts the stretches over the limit that were not recorded
    because the loop thread got no CPU or waited for one, and `gc_pauses`
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
        "stalls": [stall_to_record(stall) for stall in stalls if not stall.gc_only],
        "gc_pauses": [stall_to_record(stall) for stall in stalls if stall.gc_only],
        "internal_error_count": internal_error_count,
        "internal_errors": list(internal_errors),
    }
    if calls is not None:
        document["calls_mode"] = calls_mode
        document["calls"] = list(calls)
    return document
