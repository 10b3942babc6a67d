"""CallFinding -> failure text, summary lines and JSON records; pure functions.

A finding travels as a record (builtin types: xdist sends it, the JSON report
writes it); the text of a failure and the summary are rendered from records,
so a test run under xdist reads exactly as one without.
"""

from __future__ import annotations

import linecache
from collections.abc import Iterable
from typing import Any

from pytest_loopguard.calls.finding import CallFinding
from pytest_loopguard.calls.static import static_hint
from pytest_loopguard.records import frame_record
from pytest_loopguard.report import relative_path, trim_stack
from pytest_loopguard.stall import StackFrame

__all__ = ["finding_to_record", "format_record", "headline", "summary_lines"]

KIND = "call"


def _frame(frame: StackFrame, rootdir: str | None) -> dict[str, Any]:
    source = frame.source_line or linecache.getline(frame.filename, frame.lineno)
    return {
        "file": relative_path(frame.filename, rootdir),
        "line": frame.lineno,
        "function": frame.function,
        "source": source.strip(),
    }


def finding_to_record(
    finding: CallFinding, test_id: str, phase: str, rootdir: str | None
) -> dict[str, Any]:
    """Flatten a finding, paths relative to rootdir and source lines read, into a record."""
    static = static_hint(finding.static_names, finding.entry_names)
    return {
        "kind": KIND,
        "test_id": test_id,
        "phase": phase,
        "call": finding.call,
        "hooked": finding.hooked,
        "count": finding.times,
        **_frame(finding.site, rootdir),
        "caller": None if finding.caller is None else _frame(finding.caller, rootdir),
        "stack": [_frame(f, rootdir) for f in finding.stack],
        "loop_kind": finding.loop_kind,
        "thread": finding.thread_name,
        "static_rule": None if static is None else static[0],
        "static_hint": None if static is None else static[1],
    }


def _where(record: dict[str, Any]) -> str:
    return f"{record['file']}:{record['line']} in {record['function']}"


def _lines(frame: dict[str, Any]) -> list[str]:
    lines = [f"  {_where(frame)}"]
    if frame["source"]:
        lines.append(f"      {frame['source']}")
    return lines


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def _call(record: dict[str, Any]) -> str:
    if record["hooked"] == record["call"]:
        return record["call"]
    return f"{record['call']} ({record['hooked']})"


def headline(record: dict[str, Any]) -> str:
    """Render a finding on one line: the call, how often, the phase and the site."""
    return (
        f"blocking call {_call(record)} on the event loop, {_times(record['count'])}, "
        f"during {record['phase']} at {_where(record)}"
    )


def format_record(record: dict[str, Any], test_file: str | None = None) -> str:
    """Render one finding as the text of a failure or warning."""
    lines = [
        f"blocking call on the event loop during {record['phase']}: "
        f"{_call(record)}, {_times(record['count'])}",
        f"{record['loop_kind']} loop in thread {record['thread']!r}",
        "called at:",
        *_lines(record),
    ]
    if record["caller"] is not None:
        lines.append("made inside a library, at:")
        lines.extend(_lines(record["caller"]))
    stack = trim_stack(
        [StackFrame(f["file"], f["line"], f["function"], f["source"]) for f in record["stack"]],
        test_file,
    )
    if len(stack) > 1:
        lines.append("loop thread stack, test first:")
        for frame in stack:
            lines.extend(_lines(frame_record(frame)))
    if record["static_hint"]:
        lines.append(record["static_hint"])
    return "\n".join(lines)


def summary_lines(records: Iterable[dict[str, Any]]) -> list[str]:
    """Group the findings by call site across tests: most tests first."""
    sites: dict[tuple[str, str, int], dict[str, Any]] = {}
    for record in records:
        key = (record["call"], record["file"], record["line"])
        site = sites.setdefault(key, {"record": record, "tests": set(), "calls": 0})
        site["tests"].add(record["test_id"])
        site["calls"] += record["count"]
    ranked = sorted(sites.values(), key=lambda s: (-len(s["tests"]), _where(s["record"])))
    lines = []
    for site in ranked:
        record, tests = site["record"], len(site["tests"])
        text = (
            f"{_call(record)} at {_where(record)}: {tests} test{'s' if tests != 1 else ''}, "
            f"{_times(site['calls'])}"
        )
        if record["static_hint"]:
            text += f" ({record['static_hint']})"
        lines.append(text)
    return lines
