"""CallGuard: the per-test hooks of calls mode, which give each phase the calls it made.

Each phase is wrapped: before it, the recorder is switched on for a test
whose calls mode is not off; after it, the phase's findings are taken (the
allowed ones dropped) and, in warn mode, raised as warnings inside the phase,
so that `-W error::pytest_loopguard.LoopguardWarning` fails it like any other
warning. The `pytest_runtest_makereport` wrapper then attaches the records to
the phase's report and, in fail mode, fails a phase that passed. Nothing is
ever raised inside the loop. Between tests the recorder is off: a call made
by a loop that runs while no test does belongs to no test.

The guard is registered only when calls mode can be on in the session (the
option, or a `loopguard(calls=...)` marker on a collected test), so a session
without it pays nothing per test.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Generator
from typing import Any

import pytest

from pytest_loopguard.calls.finding import CallFinding
from pytest_loopguard.calls.probe import CallsProbe
from pytest_loopguard.calls.recorder import CallRecorder
from pytest_loopguard.calls.report import finding_to_record, format_record, headline
from pytest_loopguard.calls.settings import CALL_RECORDS_KEY, CALLS_ATTRIBUTE, allows, marker_calls
from pytest_loopguard.guard import fail_phase
from pytest_loopguard.keys import SETTINGS_KEY, LoopguardWarning
from pytest_loopguard.marker import MarkerCache
from pytest_loopguard.options import CallsMode
from pytest_loopguard.report import relative_path

__all__ = ["CallGuard"]


class CallGuard:
    """Calls mode hooks for one pytest config."""

    def __init__(self, config: pytest.Config, records: list[dict[str, Any]]) -> None:
        self.config = config
        self.settings = config.stash[SETTINGS_KEY]
        self.records = records  # every call record this process made, for the summary
        self.recorder = CallRecorder(self.settings.count_logging)
        config.stash[CALL_RECORDS_KEY].errors = self.recorder  # shown with loopguard's own errors
        self.probe: CallsProbe | None = None
        self.item: pytest.Item | None = None
        self.mode: CallsMode = "off"
        self.marker_error: str | None = None
        self.pending: dict[str, list[dict[str, Any]]] = {}
        self.marker_parents: MarkerCache = {}

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, Any, Any]:
        self.prepare(item)
        return (yield from self._watch(item, "setup"))

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, Any, Any]:
        return (yield from self._watch(item, "call"))

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, Any, Any]:
        try:
            return (yield from self._watch(item, "teardown"))
        finally:
            self.recorder.on = False

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        rep = yield
        if item is not self.item:
            return rep
        records = self.pending.pop(rep.when, None)
        if records:
            setattr(rep, CALLS_ATTRIBUTE, records)
            self.records.extend(records)
            if self.mode == "fail":
                test_file = relative_path(str(item.path), str(item.config.rootpath))
                fail_phase(rep, "\n\n".join(format_record(r, test_file) for r in records))
        if self.marker_error is not None and rep.when == "call":
            fail_phase(rep, self.marker_error)
        return rep

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.stop()

    def prepare(self, item: pytest.Item) -> None:
        """Pick this item's calls mode and switch the recorder on if it is not off."""
        self.item, self.pending, self.marker_error = item, {}, None
        try:
            from_marker = marker_calls(item, self.marker_parents)
        except pytest.UsageError as error:
            self.marker_error, from_marker = str(error), None
        self.mode = from_marker or self.settings.calls_mode
        if self.mode == "off":
            self.recorder.on = False
            return
        if self.probe is None:
            self.probe = CallsProbe(self.recorder)
            self.probe.install()
        self.recorder.drain()  # calls from between tests belong to nobody
        self.recorder.on = True

    def stop(self) -> None:
        """Take the wrappers off; the audit hook stays, inert."""
        self.recorder.on = False
        if self.probe is not None:
            self.probe.uninstall()
            self.probe = None

    def _watch(self, item: pytest.Item, phase: str) -> Generator[None, Any, Any]:
        try:
            result = yield
        except BaseException:
            self.pending[phase] = self._take(item, phase)
            raise
        records = self.pending[phase] = self._take(item, phase)
        if self.mode == "warn":
            _warn(item, records)
        return result

    def _take(self, item: pytest.Item, phase: str) -> list[dict[str, Any]]:
        """Return the records of the phase that just ended, allowed ones dropped."""
        if self.mode == "off" or item is not self.item:
            return []
        findings = self.recorder.drain()
        if not findings:
            return []
        rootdir = str(item.config.rootpath)
        return [
            finding_to_record(f, item.nodeid, phase, rootdir)
            for f in findings
            if not self._allowed(f, rootdir)
        ]

    def _allowed(self, finding: CallFinding, rootdir: str) -> bool:
        if allows(self.settings, finding.call, finding.hooked):
            return True
        frames = (finding.site,) if finding.caller is None else (finding.site, finding.caller)
        return any(self.settings.allow.matches(f.filename, f.function, rootdir) for f in frames)


def _warn(item: pytest.Item, records: list[dict[str, Any]]) -> None:
    """Emit one LoopguardWarning per finding, located at its call site."""
    for record in records:
        filename = os.path.join(item.config.rootpath, record["file"])
        warnings.warn_explicit(
            LoopguardWarning(headline(record)), LoopguardWarning, filename, record["line"]
        )
