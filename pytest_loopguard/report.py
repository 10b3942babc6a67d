"""Stall -> failure text and summary lines; pure functions (JSON records: `records`)."""

from __future__ import annotations

import linecache
import os
from collections.abc import Iterable, Sequence
from typing import Any

from pytest_loopguard.accounting import CURES
from pytest_loopguard.stall import StackFrame, Stall, StarvedStretch

__all__ = [
    "NO_SAMPLE",
    "STILL_BLOCKED",
    "VERDICT",
    "format_ms",
    "format_over",
    "format_stall",
    "gc_pauses_line",
    "headline",
    "internal_error_lines",
    "localize",
    "relative_path",
    "starved_line",
    "summary_lines",
    "trim_stack",
]

VERDICT = "event loop blocked for {duration} (limit {limit})"
STILL_BLOCKED = "still blocked when the phase ended: the stall lasted at least this long"
NO_SAMPLE = "no sample of the loop thread could be taken while it was blocked"


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
    if stall.explicit_gc_seconds >= 0.0005:
        lines.append(f"of it, {format_ms(stall.explicit_gc_seconds)} in gc.collect() called by the code")
    if stall.kind is not None:
        lines.append(f"cure: {CURES[stall.kind]}")
    return lines


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


def starved_line(count: int, records: Iterable[StarvedStretch] = ()) -> str:
    """Say how many stretches over the limit were dismissed as CPU starvation, and the longest."""
    if count == 1:
        what = "1 stretch over the limit was"
    else:
        what = f"{count} stretches over the limit were"
    line = f"loopguard: {what} not counted: the process got no CPU (machine overloaded)"
    longest = max(records, key=lambda stretch: stretch.duration_seconds, default=None)
    if longest is None:
        return line
    return f"{line}; longest {format_ms(longest.duration_seconds)}, in {longest.test_id} ({longest.phase})"


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
