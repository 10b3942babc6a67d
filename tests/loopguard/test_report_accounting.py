"""Loopguard report: what the accounting left out, the cure per kind, GC pauses apart."""

from __future__ import annotations

import json

from pytest_loopguard.accounting import CURES
from pytest_loopguard.records import record_to_stall, report_document, stall_to_record
from pytest_loopguard.report import (
    format_stall,
    gc_pauses_line,
    summary_lines,
)
from pytest_loopguard.stall import StackFrame, Stall

LINE = StackFrame("app/api.py", 12, "handler", "time.sleep(0.3)")


def stall(**changes: object) -> Stall:
    fields: dict[str, object] = {
        "duration_seconds": 0.312, "threshold_seconds": 0.1, "loop_kind": "asyncio",
        "thread_name": "MainThread", "blocking_frame": LINE, "stack": (LINE,),
        "samples": ((LINE, 3),),
    }
    fields.update(changes)
    return Stall(**fields)  # type: ignore[arg-type]


def test_a_waiting_stall_names_the_cure_for_waiting() -> None:
    text = format_stall(stall(kind="waiting", cpu_wait_seconds=0.04), "call")
    assert "left out of the verdict: 40 ms waiting for a CPU" in text
    assert f"cure: {CURES['waiting']}" in text


def test_a_computing_stall_names_the_cure_for_cpu_work() -> None:
    text = format_stall(stall(kind="cpu", gc_seconds=0.02), "call")
    assert "left out of the verdict: 20 ms in automatic garbage collection" in text
    assert f"cure: {CURES['cpu']}" in text


def test_without_accounting_the_report_says_nothing_of_it() -> None:
    text = format_stall(stall(), "call")
    assert "cure:" not in text and "left out" not in text


def test_json_record_carries_kind_cure_and_what_was_left_out() -> None:
    original = stall(kind="cpu", cpu_wait_seconds=0.05, test_id="t.py::a", phase="call")
    record = stall_to_record(original)
    assert json.loads(json.dumps(record)) == record
    assert record["kind"] == "stall"  # the record type, as for calls mode's "call" records
    assert (record["stall_kind"], record["cure"], record["cpu_wait_ms"], record["gc_ms"]) == (
        "cpu", CURES["cpu"], 50.0, 0.0,
    )
    assert record_to_stall(record) == original


def test_json_record_without_accounting_has_no_kind_and_no_cure() -> None:
    record = stall_to_record(stall(test_id="t.py::a", phase="call"))
    assert (record["stall_kind"], record["cure"], record["gc_only"]) == (None, None, False)


def test_gc_pauses_are_listed_apart_from_stalls() -> None:
    real = stall(test_id="t.py::a", phase="call")
    pause = stall(
        duration_seconds=0.25, gc_seconds=0.2, gc_only=True, test_id="t.py::b", phase="call"
    )
    assert [line.split(" ")[0] for line in summary_lines([real, pause])] == ["t.py::a"]
    assert gc_pauses_line([real]) is None
    assert gc_pauses_line([real, pause]) == (
        "loopguard: 1 stretch over the limit only because of automatic garbage collection, "
        "not counted (longest 250 ms, 200 ms of it collecting, in t.py::b)"
    )
    document = report_document([real, pause], 100.0, "fail")
    assert [r["test_id"] for r in document["stalls"]] == ["t.py::a"]
    assert document["gc_pauses"] == [stall_to_record(pause)]
