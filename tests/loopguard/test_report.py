"""Loopguard report: failure text, summary lines and JSON records from hand-made stalls."""

from __future__ import annotations

import json

import pytest

from pytest_loopguard.records import (
    record_to_stall,
    record_to_starved,
    report_document,
    stall_to_record,
    starved_to_record,
)
from pytest_loopguard.report import (
    NO_SAMPLE,
    VERDICT,
    format_ms,
    format_over,
    format_stall,
    headline,
    localize,
    starved_line,
    summary_lines,
    trim_stack,
)
from pytest_loopguard.stall import StackFrame, Stall, StarvedStretch

ROOT = "/proj"
RUNNER = StackFrame("/usr/lib/python3.11/asyncio/events.py", 84, "_run", "self._context.run()")
PLUGIN = StackFrame("/venv/lib/site-packages/_pytest/runner.py", 170, "pytest_runtest_call", "")
TEST = StackFrame("/proj/tests/test_api.py", 20, "test_handler", "await handler()")
HELPER = StackFrame("/proj/app/api.py", 12, "handler", "time.sleep(0.3)")


def make_stall(**changes: object) -> Stall:
    fields: dict[str, object] = {
        "duration_seconds": 0.312,
        "threshold_seconds": 0.1,
        "loop_kind": "asyncio",
        "thread_name": "MainThread",
        "blocking_frame": HELPER,
        "stack": (PLUGIN, RUNNER, TEST, HELPER),
        "samples": ((HELPER, 1),),
    }
    fields.update(changes)
    return Stall(**fields)  # type: ignore[arg-type]


def test_verdict_comes_first_with_phase() -> None:
    text = format_stall(localize(make_stall(), ROOT), "call", "tests/test_api.py")
    verdict = VERDICT.format(duration="312 ms", limit="100 ms")
    assert text.splitlines()[0] == f"{verdict} during call"
    assert verdict == "event loop blocked for 312 ms (limit 100 ms)"


def test_stall_names_the_blocking_line_with_source_relative_to_rootdir() -> None:
    lines = format_stall(localize(make_stall(), ROOT), "setup", "tests/test_api.py").splitlines()
    index = lines.index("blocking line:")
    assert lines[index + 1 : index + 3] == ["  app/api.py:12 in handler", "      time.sleep(0.3)"]


def test_stack_starts_at_the_test_and_ends_at_the_blocking_line() -> None:
    lines = format_stall(localize(make_stall(), ROOT), "call", "tests/test_api.py").splitlines()
    stack = lines[lines.index("loop thread stack, test first:") + 1 :]
    assert stack == [
        "  tests/test_api.py:20 in test_handler",
        "      await handler()",
        "  app/api.py:12 in handler",
        "      time.sleep(0.3)",
    ]


def test_stack_without_the_test_file_starts_at_the_first_project_frame() -> None:
    stall = localize(make_stall(), ROOT)
    assert trim_stack(stall.stack, "tests/test_other.py")[0].filename == "tests/test_api.py"
    outside = (localize(make_stall(), "/elsewhere").stack)
    assert trim_stack(outside, None) == outside


def test_cpu_bound_stall_lists_sampled_lines_with_counts() -> None:
    loop_line = StackFrame("/proj/app/crunch.py", 7, "crunch", "total += i * i")
    stall = make_stall(blocking_frame=loop_line, samples=((loop_line, 9), (HELPER, 2)))
    text = format_stall(localize(stall, ROOT), "call")
    assert "lines seen while blocked (samples):" in text
    assert "     9x app/crunch.py:7 in crunch" in text
    assert "     2x app/api.py:12 in handler" in text


def test_single_sample_prints_no_sample_table() -> None:
    assert "samples" not in format_stall(localize(make_stall(), ROOT), "call")


def test_unsampled_stall_says_so_and_names_what_ran() -> None:
    task = "<Task pending name='Task-3' coro=<spin()>>"
    stall = make_stall(blocking_frame=None, stack=(), samples=(), running=task)
    text = format_stall(localize(stall, ROOT), "teardown")
    assert f"{NO_SAMPLE}; it was running: {task}" in text
    assert "blocking line" not in text
    assert headline(stall, "teardown").endswith(NO_SAMPLE)


def test_loop_kind_thread_and_end_of_loop_are_reported() -> None:
    stall = make_stall(loop_kind="uvloop", thread_name="worker-1", ended_with_loop=True)
    text = format_stall(localize(stall, ROOT), "call")
    assert "uvloop loop in thread 'worker-1'" in text
    assert text.endswith("the loop stopped while still blocked")


def test_missing_source_line_is_read_from_the_file(tmp_path) -> None:
    source = tmp_path / "mod.py"
    source.write_text("import time\ntime.sleep(1)  # here\n")
    frame = StackFrame(str(source), 2, "<module>")
    stall = localize(make_stall(blocking_frame=frame, stack=(frame,)), str(tmp_path))
    assert stall.blocking_frame == StackFrame("mod.py", 2, "<module>", "time.sleep(1)  # here")


def test_headline_is_one_line_with_the_blocking_line() -> None:
    line = headline(localize(make_stall(), ROOT), "call")
    assert line == (
        "event loop blocked for 312 ms (limit 100 ms) during call at app/api.py:12 in handler"
    )


def test_milliseconds_keep_decimals_only_when_small() -> None:
    assert [format_ms(s) for s in (0.312, 1.5, 0.0005, 0.0042)] == [
        "312 ms", "1500 ms", "0.5 ms", "4.2 ms",
    ]


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0.3004, "300 ms"), (0.1001, "100.1 ms"), (0.10004, "100.04 ms"), (0.1, "100 ms")],
)
def test_a_stall_just_over_its_limit_is_shown_over_it(seconds: float, shown: str) -> None:
    assert format_over(seconds, 0.1) == shown
    stall = localize(make_stall(duration_seconds=seconds), ROOT)
    assert headline(stall, "call").startswith(f"event loop blocked for {shown} (limit 100 ms)")


def test_json_stack_starts_at_the_test_without_the_runners_frames() -> None:
    console = StackFrame("/venv/bin/pytest", 8, "<module>", "sys.exit(console_main())")
    test = StackFrame("tests/test_api.py", 5, "test_handler", "await handler()")
    stall = make_stall(stack=(console, test, HELPER), test_id="tests/test_api.py::test_handler")
    record = stall_to_record(stall)
    assert [frame["file"] for frame in record["stack"]] == ["tests/test_api.py", HELPER.filename]


def test_record_round_trips_through_json() -> None:
    loop_line = StackFrame("app/crunch.py", 7, "crunch", "total += i")
    stall = localize(make_stall(samples=((loop_line, 3), (HELPER, 1))), ROOT)
    stall = stall._replace(test_id="tests/test_api.py::test_handler", phase="call")
    record = stall_to_record(stall)
    assert json.loads(json.dumps(record)) == record
    # The record keeps the stack from the test down, as the terminal shows it.
    assert record_to_stall(record) == stall._replace(stack=stall.stack[2:])
    assert {k: record[k] for k in ("test_id", "phase", "duration_ms", "threshold_ms", "file",
                                   "line", "function", "source")} == {
        "test_id": "tests/test_api.py::test_handler", "phase": "call", "duration_ms": 312.0,
        "threshold_ms": 100.0, "file": "app/api.py", "line": 12, "function": "handler",
        "source": "time.sleep(0.3)",
    }
    assert record["stack"][-1] == {"file": "app/api.py", "line": 12, "function": "handler",
                                   "source": "time.sleep(0.3)"}


def test_unsampled_record_round_trips() -> None:
    stall = make_stall(
        blocking_frame=None, stack=(), samples=(), running="cb()", test_id="t::x", phase="setup"
    )
    record = stall_to_record(stall)
    assert record["file"] is None and record["running"] == "cb()"
    assert record_to_stall(record) == stall


def test_summary_lists_each_test_once_worst_first() -> None:
    def stall(test_id: str, seconds: float, phase: str = "call") -> Stall:
        return localize(make_stall(duration_seconds=seconds, test_id=test_id, phase=phase), ROOT)

    lines = summary_lines(
        [stall("t.py::a", 0.2), stall("t.py::b", 0.9, "setup"), stall("t.py::a", 0.4),
         stall("t.py::c", 0.15)]
    )
    assert lines == [
        "t.py::b (setup): 900 ms (limit 100 ms) at app/api.py:12 in handler",
        "t.py::a (call): 400 ms (limit 100 ms) at app/api.py:12 in handler",
        "t.py::c (call): 150 ms (limit 100 ms) at app/api.py:12 in handler",
    ]


def test_summary_names_what_ran_when_no_sample_was_taken() -> None:
    stall = make_stall(blocking_frame=None, stack=(), samples=(), running="<Task step()>",
                       test_id="t.py::a", phase="teardown")
    assert summary_lines([stall]) == [
        "t.py::a (teardown): 312 ms (limit 100 ms) at no sample; running <Task step()>"
    ]


def test_report_document_wraps_records() -> None:
    stall = localize(make_stall(test_id="t.py::a", phase="call"), ROOT)
    record = stall_to_record(stall)
    document = report_document([stall], 100.0, "warn", starved=3)
    assert document == {
        "version": 1, "threshold_ms": 100.0, "mode": "warn", "starved": 3, "stalls": [record],
        "starved_stretches": [], "internal_error_count": 0, "internal_errors": [],
        "gc_pauses": [],
    }


def test_starved_line_counts_the_dismissed_stretches() -> None:
    assert starved_line(1) == (
        "loopguard: 1 stretch over the limit was not counted: "
        "the process got no CPU (machine overloaded)"
    )
    assert starved_line(2).startswith("loopguard: 2 stretches over the limit were not counted: ")


def starved(duration: float, test_id: str, most: float | None = 0.2) -> StarvedStretch:
    return StarvedStretch(duration, 0.05, "MainThread", 0.01, most, False, test_id, "call")


def test_starved_line_names_the_longest_dismissed_stretch() -> None:
    records = [starved(0.12, "t.py::a"), starved(0.31, "t.py::b"), starved(0.2, "t.py::c")]
    assert starved_line(3, records) == (
        "loopguard: 3 stretches over the limit were not counted: "
        "the process got no CPU (machine overloaded); longest 310 ms, in t.py::b (call)"
    )


@pytest.mark.parametrize("most", [0.25, None])
def test_starved_record_round_trips_through_json(most: float | None) -> None:
    stretch = starved(0.3, "t.py::a", most)
    record = json.loads(json.dumps(starved_to_record(stretch)))
    assert record == {
        "test_id": "t.py::a", "phase": "call", "duration_ms": 300.0, "threshold_ms": 50.0,
        "thread": "MainThread", "cpu_wait_ms": 10.0,
        "most_cpu_wait_ms": None if most is None else 250.0, "sampled": False,
    }
    assert record_to_starved(record) == stretch
    document = report_document([], 50.0, "fail", starved=2, starved_stretches=[stretch])
    assert (document["starved"], document["starved_stretches"]) == (2, [record])
