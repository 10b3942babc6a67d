"""pytest hooks for loopguard: wire options, detector and report together.

Every pytest run in an environment with loopguard installed loads this module,
loopguard on or off. So it imports only what configuring needs; the detector
is imported when a guarded test first runs, and `report` (with json) where a
stall or the header is printed.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import pytest

from pytest_loopguard import marker, options
from pytest_loopguard.calls import settings as calls
from pytest_loopguard.guard import PhaseGuard, make_guard
from pytest_loopguard.keys import (
    REPORT_ATTRIBUTE,
    SETTINGS_KEY,
    WORKER_ERRORS_KEY,
    WORKER_FINALS_KEY,
    WORKER_STARVED_KEY,
    WORKER_STARVED_RECORDS_KEY,
)

__all__: list[str] = []

# The session's guard: it owns the detector and the stall records. Only these hooks use it.
GUARD_KEY = pytest.StashKey[PhaseGuard]()
CALL_GUARD_NAME = "loopguard-calls-guard"


class WorkerReports:
    """On an xdist controller: take the stall records and counts the workers send.

    The guard adds the records of the tests that run in this process as it
    makes their reports, with no hook call per report. An xdist controller
    runs no tests: this adds what the workers send.
    """

    def __init__(self, guard: PhaseGuard, call_records: calls.CallRecords) -> None:
        self.guard = guard
        self.calls = call_records

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        records = getattr(report, REPORT_ATTRIBUTE, None)
        if records:
            from pytest_loopguard.records import record_to_stall  # only once something stalled

            self.guard.records.extend(map(record_to_stall, records))
        self.calls.records.extend(getattr(report, calls.CALLS_ATTRIBUTE, None) or ())

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        output = getattr(node, "workeroutput", None) or {}
        self.guard.starved_in_workers += int(output.get(WORKER_STARVED_KEY, 0))
        starved = output.get(WORKER_STARVED_RECORDS_KEY)
        if starved:
            from pytest_loopguard.records import record_to_starved

            self.guard.keep_starved_records(map(record_to_starved, starved))
        count, records = output.get(WORKER_ERRORS_KEY, (0, []))
        self.guard.error_count_in_workers += int(count)
        self.guard.errors_in_workers.extend(records)
        finals = output.get(WORKER_FINALS_KEY)
        if finals:
            from pytest_loopguard.attribution import settle_finals

            settle_finals(self.guard.records, finals)


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", marker.MARKER_HELP)
    settings = options.load_settings(config)
    if settings.report_path is not None:
        _check_report_path(_report_path(config, settings.report_path), settings.report_path)
    config.stash[SETTINGS_KEY] = settings
    guard = config.stash[GUARD_KEY] = make_guard(config, settings)
    config.pluginmanager.register(guard, "loopguard-guard")
    config.stash[calls.CALL_RECORDS_KEY] = calls.CallRecords()
    if settings.calls_mode != "off":
        _register_call_guard(config)


def _register_call_guard(config: pytest.Config) -> None:
    from pytest_loopguard.calls.guard import CallGuard

    call_records = config.stash[calls.CALL_RECORDS_KEY]
    call_records.used = True
    config.pluginmanager.register(CallGuard(config, call_records.records), CALL_GUARD_NAME)


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    # A loopguard(calls=...) marker may switch calls mode on for some tests only.
    config = session.config
    if config.pluginmanager.has_plugin(CALL_GUARD_NAME) or not session.items:
        return
    if calls.needs_guard(config.stash[SETTINGS_KEY], session.items):
        _register_call_guard(config)


def pytest_sessionstart(session: pytest.Session) -> None:
    # xdist registers its controller in a trylast pytest_configure: look for it now.
    config = session.config
    if config.pluginmanager.has_plugin("dsession"):
        guard, call_records = config.stash[GUARD_KEY], config.stash[calls.CALL_RECORDS_KEY]
        config.pluginmanager.register(
            WorkerReports(guard, call_records), "loopguard-worker-reports"
        )


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    settings = config.stash[GUARD_KEY].settings
    lines = []
    if settings.threshold_seconds > 0:
        from pytest_loopguard import report

        lines.append(
            f"loopguard: on, threshold {report.format_ms(settings.threshold_seconds)} "
            f"(from {settings.threshold_source}), mode {settings.mode}"
        )
    if settings.calls_mode != "off":
        lines.append(f"loopguard: calls mode {settings.calls_mode}")
    return lines or None


def _check_report_path(path: str, given: str) -> None:
    """Refuse at the start a report path that could not be written at the end."""
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        problem = f"directory {parent!r} does not exist"
    elif os.path.isdir(path):
        problem = f"{path!r} is a directory"
    elif not os.access(path if os.path.exists(path) else parent, os.W_OK):
        problem = f"{path!r} is not writable"
    else:
        return
    raise pytest.UsageError(f"--loopguard-report: {problem} (got {given!r})")


def _report_path(config: pytest.Config, path: str) -> str:
    return os.path.abspath(os.path.join(config.invocation_params.dir, path))


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    if _is_worker(config):
        return
    guard = config.stash[GUARD_KEY]
    records, starved = guard.records, guard.starved()
    call_records = config.stash[calls.CALL_RECORDS_KEY].records
    error_count, errors = guard.internal_errors()
    if not records and not starved and not call_records and not error_count:
        return
    from pytest_loopguard import report

    lines = report.summary_lines(records)
    if lines:
        terminalreporter.section("loopguard: tests that blocked the event loop, worst first")
        for line in lines:
            terminalreporter.line(line)
    if call_records:
        from pytest_loopguard.calls import report as calls_report

        terminalreporter.section("loopguard: blocking calls made on the event loop, by call site")
        for line in calls_report.summary_lines(call_records):
            terminalreporter.line(line)
    gc_line = report.gc_pauses_line(records)
    if gc_line:
        terminalreporter.write_sep("=", gc_line, yellow=True)
    if starved:
        line = report.starved_line(starved, guard.starved_records)
        terminalreporter.write_sep("=", line, yellow=True)
    if error_count:
        headline, *details = report.internal_error_lines(error_count, errors)
        terminalreporter.write_sep("=", headline, red=True)
        for line in details:
            terminalreporter.line(line)


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    guard = config.stash[GUARD_KEY]
    if guard.started is not None:  # the final length of stalls charged while still blocked
        guard.settle(guard.started.drain())
    if _is_worker(config):
        # xdist gives a worker's config its workeroutput; pytest's type does not declare it.
        output = config.workeroutput  # type: ignore[attr-defined]
        output[WORKER_STARVED_KEY] = guard.starved()
        if guard.starved_records:
            from pytest_loopguard.records import starved_to_record

            output[WORKER_STARVED_RECORDS_KEY] = list(map(starved_to_record, guard.starved_records))
        output[WORKER_ERRORS_KEY] = guard.internal_errors()
        if any(stall.still_blocked for stall in guard.records):
            from pytest_loopguard.attribution import finals

            output[WORKER_FINALS_KEY] = finals(guard.records)
        return
    settings = guard.settings
    if settings.report_path is None:
        return
    import json

    from pytest_loopguard.records import report_document

    call_records = config.stash[calls.CALL_RECORDS_KEY]
    error_count, errors = guard.internal_errors()
    calls_used = call_records.used or settings.calls_mode != "off" or bool(call_records.records)
    document = report_document(
        guard.records,
        settings.threshold_seconds * 1000.0,
        settings.mode,
        guard.starved(),
        guard.starved_records,
        calls=call_records.records if calls_used else None,
        calls_mode=settings.calls_mode,
        internal_errors=errors,
        internal_error_count=error_count,
    )
    path = _report_path(config, settings.report_path)
    try:
        with open(path, "w", encoding="utf-8") as stream:
            json.dump(document, stream, indent=2)
            stream.write("\n")
    except OSError as error:
        # A CI job that asked for the report must not pass without it.
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        line = f"loopguard: could not write the report {path}: {error}"
        if reporter is not None:
            reporter.write_sep("=", line, red=True)
        else:
            print(line, file=sys.stderr)
