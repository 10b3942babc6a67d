"""PhaseGuard: the per-test hooks, which give each test phase the stalls it caused.

They run for every test of the session, so they are kept to the fewest hook
calls pluggy can make: a plain `pytest_runtest_setup` picks the item's
threshold, starts the detector and drops the stalls from before the test; the
`pytest_runtest_makereport` wrapper, which pytest calls right after each
phase, takes the stalls recorded since and turns the phase's report into a
failure (and fails the call phase of a test whose loopguard marker is bad).
Hook wrappers around each phase (a generator per phase) are only used in warn
mode, where the warning must be raised inside the phase so that
`-W error::...LoopguardWarning` fails the test like any other warning.

One guard is registered per pytest config (not module-level state), so an
in-process pytester session inside a guarded one keeps its own. The guard owns
the session's detector: it starts it for the first guarded test and stops it
when the config is cleaned up, and it keeps the session's stall records.
"""

from __future__ import annotations

import itertools
import os
import warnings
from collections.abc import Generator, Iterable
from typing import TYPE_CHECKING, Any

import pytest

from pytest_loopguard import marker, options
from pytest_loopguard.calls.settings import CALL_RECORDS_KEY
from pytest_loopguard.keys import REPORT_ATTRIBUTE, LoopguardWarning

if TYPE_CHECKING:
    from pytest_loopguard.detector import StallDetector
    from pytest_loopguard.stall import Phase, Stall, StarvedStretch

__all__ = [
    "MAX_STARVED_RECORDS",
    "RAISED_NOTE",
    "FailPhaseGuard",
    "PhaseGuard",
    "WarningPhaseGuard",
    "fail_phase",
    "failure_text",
    "make_guard",
]

# How many dismissed stretches a process keeps records of (all are counted).
MAX_STARVED_RECORDS = 1000
# The last line of a warn-mode stall that the user's warnings filters turned into an error.
RAISED_NOTE = "(loopguard warn mode: the LoopguardWarning was turned into an error by a warnings filter)"


class PhaseGuard:
    """Both modes: the detector, the session's records, and one makereport wrapper per phase."""

    def __init__(self, config: pytest.Config, settings: options.Settings) -> None:
        self.config = config
        self.settings = settings
        # Every stall record of the session, for the summary and the JSON report: this
        # process's, and on an xdist controller those the workers sent.
        self.records: list[Stall] = []
        self.starved_in_workers = 0
        # The dismissed stretches of test phases (the first MAX_STARVED_RECORDS), as records.
        self.starved_records: list[StarvedStretch] = []
        # loopguard's own errors that xdist workers sent: how many, and their records.
        self.error_count_in_workers = 0
        self.errors_in_workers: list[dict[str, Any]] = []
        self.item: pytest.Item | None = None  # the item being run, once its setup began
        self.detector: StallDetector | None = None  # watches self.item; None: unguarded
        self.marker_error: str | None = None
        self.started: StallDetector | None = None  # the session's detector, once started
        self.marker_parents: marker.MarkerCache = {}

    # trylast: an inner wrapper. pytest's xfail handling wraps it and decides the
    # outcome of xfail-marked tests from their own exceptions, stall or not.
    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        rep = yield
        stalls = self.phase_stalls(item, rep.when)
        if stalls:
            self.add_to_report(item, rep, stalls)
        if self.marker_error is not None and rep.when == "call" and item is self.item:
            fail_phase(rep, self.marker_error)  # a bad marker fails its own test, not the session
        return rep

    def prepare(self, item: pytest.Item) -> None:
        """Pick this item's threshold, start the detector if it is guarded, forget old stalls."""
        self.item, self.detector, self.marker_error = item, None, None
        try:
            threshold_seconds = marker.resolve_threshold(self.settings, item, self.marker_parents)
        except pytest.UsageError as error:
            self.marker_error = str(error)  # reported with the call phase
            threshold_seconds = self.settings.threshold_seconds
        if threshold_seconds > 0:
            detector = self.started
            if detector is None:
                detector = self.started = self.start_detector(threshold_seconds)
            elif detector.threshold_seconds != threshold_seconds:
                detector.threshold_seconds = threshold_seconds
            self.detector = detector
            self.settle(detector.drain())  # others from outside this test's phases: nobody's
            detector.drain_starved()  # counted in `starved`; no test to name

    def start_detector(self, threshold_seconds: float) -> StallDetector:
        """Start the session's detector on first use, so an unguarded run patches nothing."""
        from pytest_loopguard.detector import StallDetector  # not imported by unguarded runs

        detector = StallDetector(threshold_seconds=threshold_seconds)
        self.config.add_cleanup(detector.stop)  # the one stop, after every other hook
        detector.start()
        return detector

    def starved(self) -> int:
        """Count the stretches dismissed as CPU starvation, here and in xdist workers."""
        here = 0 if self.started is None else self.started.starved
        return here + self.starved_in_workers

    def internal_errors(self) -> tuple[int, list[dict[str, Any]]]:
        """Count and describe loopguard's own errors, here and in xdist workers."""
        detector = self.started
        if detector is None:
            count, errors = 0, []
        else:
            count, errors = detector.internal_error_count, detector.internal_errors()
        calls = self.config.stash.get(CALL_RECORDS_KEY, None)
        if calls is not None:  # calls mode's probe
            calls_count, calls_errors = calls.internal_errors()
            count, errors = count + calls_count, [*errors, *calls_errors]
        if not count and not self.error_count_in_workers:
            return 0, []
        from pytest_loopguard.records import error_records, merge_error_records

        here = error_records(errors, str(self.config.rootpath))
        merged = merge_error_records([*here, *self.errors_in_workers])
        return count + self.error_count_in_workers, merged

    def phase_stalls(self, item: pytest.Item, phase: Phase) -> list[Stall]:
        """Return the stalls of the phase that just ended, allowed ones dropped."""
        detector = self.detector
        if detector is None or item is not self.item:
            return []
        detector.charge_in_flight()  # a loop still blocked now: this phase's stall
        self.keep_starved(detector.drain_starved(), item.nodeid, phase)
        stalls = self.settle(detector.drain())
        return self.keep(item, stalls, phase) if stalls else stalls

    def keep_starved(self, dismissed: list[StarvedStretch], test_id: str, phase: Phase) -> None:
        """Keep the records of a phase's dismissed stretches, named after the test and phase."""
        if dismissed:
            self.keep_starved_records(s._replace(test_id=test_id, phase=phase) for s in dismissed)

    def keep_starved_records(self, records: Iterable[StarvedStretch]) -> None:
        """Keep records of dismissed stretches (an xdist worker's too), up to MAX_STARVED_RECORDS."""
        room = MAX_STARVED_RECORDS - len(self.starved_records)
        if room > 0:
            self.starved_records.extend(itertools.islice(records, room))

    def settle(self, stalls: list[Stall]) -> list[Stall]:
        """Give the final length of stalls charged while still blocked to their records.

        Returns the other stalls: no phase is charged for a late one.
        """
        if not any(stall.late for stall in stalls):
            return stalls
        from pytest_loopguard.attribution import settle_late

        return settle_late(self.records, stalls)

    def keep(self, item: pytest.Item, stalls: list[Stall], phase: Phase) -> list[Stall]:
        """Drop allowed stalls; localize the rest and name their test and phase."""
        from pytest_loopguard import report  # only once something stalled: see plugin

        rootdir = str(item.config.rootpath)
        allow = self.settings.allow
        kept = []
        for stall in stalls:
            frame = stall.blocking_frame
            if frame and allow.matches(frame.filename, frame.function, rootdir):
                continue
            kept.append(report.localize(stall, rootdir)._replace(test_id=item.nodeid, phase=phase))
        return kept

    def add_to_report(self, item: pytest.Item, rep: pytest.TestReport, stalls: list[Stall]) -> None:
        """Attach the records; in fail mode, fail a passed phase or add the text."""
        from pytest_loopguard.records import stall_to_record

        setattr(rep, REPORT_ATTRIBUTE, [stall_to_record(s) for s in stalls])
        self.records.extend(stalls)
        stalls = [s for s in stalls if not s.gc_only]  # GC pauses: the summary says them
        if self.settings.warn_only or not stalls:
            return
        fail_phase(rep, failure_text(item, rep.when, stalls))


class FailPhaseGuard(PhaseGuard):
    """Fail-mode hooks: a plain setup hook, besides the makereport wrapper."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self.prepare(item)


class WarningPhaseGuard(PhaseGuard):
    """Warn-mode hooks: each phase is wrapped, so its warnings are raised inside it.

    A phase warns whatever its outcome (passed, failed, xfail, an error in
    setup). When the user's warnings filters turn the warning into an error
    (`filterwarnings = error`, `-W error::...`), a phase that would have
    passed fails, and its report shows the full stall report rather than a
    traceback through this module; a phase that failed on its own keeps its
    exception and gets the stall report as a section.
    """

    def __init__(self, config: pytest.Config, settings: options.Settings) -> None:
        super().__init__(config, settings)
        self.pending: dict[Phase, list[Stall]] = {}
        # Phases whose warning the filters raised: True when that failed the phase.
        self.raised: dict[Phase, bool] = {}

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, Any, Any]:
        self.prepare(item)
        self.pending, self.raised = {}, {}
        return (yield from self._warn_after(item, "setup"))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, Any, Any]:
        return (yield from self._warn_after(item, "call"))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, Any, Any]:
        return (yield from self._warn_after(item, "teardown"))

    def phase_stalls(self, item: pytest.Item, phase: Phase) -> list[Stall]:
        return self.pending.pop(phase, []) if item is self.item else []

    def add_to_report(self, item: pytest.Item, rep: pytest.TestReport, stalls: list[Stall]) -> None:
        """Attach the records; a warning made an error gets the stall report as its text."""
        super().add_to_report(item, rep, stalls)
        failed_the_phase = self.raised.pop(rep.when, None)
        if failed_the_phase is None:
            return
        text = failure_text(item, rep.when, stalls) + "\n" + RAISED_NOTE
        if failed_the_phase and rep.failed:
            rep.longrepr = f"loopguard: {text}"
        else:
            fail_phase(rep, text)

    def _warn_after(self, item: pytest.Item, phase: Phase) -> Generator[None, Any, Any]:
        try:
            result = yield
        except BaseException:
            stalls = self.pending[phase] = super().phase_stalls(item, phase)
            try:
                _warn(item, stalls, phase)
            except LoopguardWarning:  # made an error: the phase's own exception comes first
                self.raised[phase] = False
            raise
        stalls = self.pending[phase] = super().phase_stalls(item, phase)
        try:
            _warn(item, stalls, phase)
        except LoopguardWarning:
            self.raised[phase] = True
            raise
        return result


def make_guard(config: pytest.Config, settings: options.Settings) -> PhaseGuard:
    """Return the guard for this session's mode."""
    guard_class = WarningPhaseGuard if settings.warn_only else FailPhaseGuard
    return guard_class(config, settings)


def failure_text(item: pytest.Item, phase: str, stalls: list[Stall]) -> str:
    """Render a phase's stalls as the text of its failure, the stack cut at the test file."""
    from pytest_loopguard import report

    test_file = report.relative_path(str(item.path), str(item.config.rootpath))
    return "\n\n".join(report.format_stall(s, phase, test_file) for s in stalls)


def fail_phase(rep: pytest.TestReport, text: str) -> None:
    """Fail a passed phase with `text`; below a failure or an error, add it as a section."""
    if rep.passed:
        rep.outcome = "failed"
        rep.longrepr = f"loopguard: {text}"
        return
    addsection = getattr(rep.longrepr, "addsection", None)  # a traceback's representation
    if addsection is not None:
        addsection("loopguard", text)
    else:
        rep.sections.append(("loopguard", text))


def _warn(item: pytest.Item, stalls: list[Stall], phase: Phase) -> None:
    """Emit one LoopguardWarning per stall, located at its blocking line."""
    from pytest_loopguard import report

    for stall in stalls:
        if stall.gc_only:
            continue
        frame = stall.blocking_frame
        filename, lineno = (str(item.path), 0) if frame is None else (frame.filename, frame.lineno)
        filename = os.path.join(item.config.rootpath, filename)
        warnings.warn_explicit(
            LoopguardWarning(report.headline(stall, phase)), LoopguardWarning, filename, lineno
        )
