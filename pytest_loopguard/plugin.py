"""pytest hooks for loopguard: wire options, detector and report together."""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import pytest

from pytest_loopguard import options, report
from pytest_loopguard.stall import Stall

if TYPE_CHECKING:
    from pytest_loopguard.detector import StallDetector

__all__ = ["LoopguardWarning", "REPORT_ATTRIBUTE"]

# The attribute of TestReport that carries stall records (plain dicts). pytest
# serializes every report attribute, so xdist brings it to the controller.
REPORT_ATTRIBUTE = "loopguard_stalls"
# The key of xdist's workeroutput that brings a worker's starved count to the controller.
WORKER_STARVED_KEY = "loopguard_starved"

DETECTOR_KEY = pytest.StashKey["StallDetector"]()
RECORDER_KEY = pytest.StashKey["StallRecorder"]()
# The detector that watches this item, None when the item is not guarded: one
# lookup per phase tells whether there is anything to do.
GUARD_KEY = pytest.StashKey["StallDetector | None"]()
MARKER_ERROR_KEY = pytest.StashKey[str]()
# phase -> localized stalls; only items that stalled get one.
STALLS_KEY = pytest.StashKey[dict[str, list[Stall]]]()


class LoopguardWarning(pytest.PytestWarning):
    """An event loop stall reported in warn mode."""


class StallRecorder:
    """Collect stall records from every test report, also those xdist forwards.

    Also adds up the starved stretches each xdist worker counted: a worker
    sends its count in `workeroutput` when it finishes.
    """

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.starved_in_workers = 0

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.records.extend(getattr(report, REPORT_ATTRIBUTE, None) or ())

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        output = getattr(node, "workeroutput", None) or {}
        self.starved_in_workers += int(output.get(WORKER_STARVED_KEY, 0))


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("loopguard", "event loop stall detection")
    group.addoption(
        "--loopguard", dest="loopguard", metavar="DURATION", help=options.THRESHOLD_HELP
    )
    group.addoption(
        "--loopguard-mode", dest="loopguard_mode", metavar="MODE", help=options.MODE_HELP
    )
    group.addoption(
        "--loopguard-report", dest="loopguard_report", metavar="PATH", help=options.REPORT_HELP
    )
    parser.addini("loopguard", options.THRESHOLD_HELP, default="")
    parser.addini("loopguard_mode", options.MODE_HELP, default="fail")
    parser.addini("loopguard_allow", options.ALLOW_HELP, type="linelist", default=[])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", options.MARKER_HELP)
    settings = options.load_settings(config)
    if settings.report_path is not None:
        parent = os.path.dirname(_report_path(config, settings.report_path))
        if not os.path.isdir(parent):
            raise pytest.UsageError(
                f"--loopguard-report: directory {parent!r} does not exist "
                f"(got {settings.report_path!r})"
            )
    config.stash[options.SETTINGS_KEY] = settings
    recorder = StallRecorder()
    config.stash[RECORDER_KEY] = recorder
    config.pluginmanager.register(recorder, "loopguard-recorder")


def pytest_unconfigure(config: pytest.Config) -> None:
    detector = config.stash.get(DETECTOR_KEY, None)
    if detector is not None:
        detector.stop()


def pytest_report_header(config: pytest.Config) -> str | None:
    settings = config.stash[options.SETTINGS_KEY]
    if settings.threshold_seconds <= 0:
        return None
    return (
        f"loopguard: on, threshold {report.format_ms(settings.threshold_seconds)} "
        f"(from {settings.threshold_source}), mode {settings.mode}"
    )


def _report_path(config: pytest.Config, path: str) -> str:
    return os.path.abspath(os.path.join(config.invocation_params.dir, path))


def _start_detector(config: pytest.Config, threshold_seconds: float) -> StallDetector:
    """Start the detector on first use, so an unguarded run patches nothing."""
    detector = config.stash.get(DETECTOR_KEY, None)
    if detector is None:
        from pytest_loopguard.detector import StallDetector

        detector = StallDetector(threshold_seconds=threshold_seconds)
        config.stash[DETECTOR_KEY] = detector
        config.add_cleanup(detector.stop)
        detector.start()
    if detector.threshold_seconds != threshold_seconds:
        detector.threshold_seconds = threshold_seconds
    return detector


def _prepare_item(item: pytest.Item) -> None:
    """Pick this item's threshold and start the detector if it is guarded."""
    try:
        threshold_seconds = options.resolve_threshold(item.config, item)
    except pytest.UsageError as error:
        # A bad marker fails its own test (in the call phase), not the session.
        item.stash[MARKER_ERROR_KEY] = str(error)
        threshold_seconds = options.resolve_threshold(item.config)
    if STALLS_KEY in item.stash:  # an item run again (reruns) starts afresh
        del item.stash[STALLS_KEY]
    item.stash[GUARD_KEY] = (
        _start_detector(item.config, threshold_seconds) if threshold_seconds > 0 else None
    )


def _store(item: pytest.Item, phase: str, stalls: list[Stall]) -> None:
    """Keep a phase's stalls for its report."""
    if stalls:
        item.stash.setdefault(STALLS_KEY, {})[phase] = stalls


def _keep(item: pytest.Item, stalls: list[Stall]) -> list[Stall]:
    """Drop allowed stalls and localize the rest for reporting."""
    if not stalls:
        return stalls
    settings = item.config.stash[options.SETTINGS_KEY]
    rootdir = str(item.config.rootpath)
    kept = []
    for stall in stalls:
        frame = stall.blocking_frame
        if frame and settings.allow.matches(frame.filename, frame.function, rootdir):
            continue
        kept.append(report.localize(stall, rootdir))
    return kept


def _warn(item: pytest.Item, stalls: list[Stall], phase: str) -> None:
    """Emit one LoopguardWarning per stall, located at its blocking line."""
    for stall in stalls:
        frame = stall.blocking_frame
        filename, lineno = (str(item.path), 0) if frame is None else (frame.filename, frame.lineno)
        filename = os.path.join(item.config.rootpath, filename)
        warnings.warn_explicit(
            LoopguardWarning(report.headline(stall, phase)), LoopguardWarning, filename, lineno
        )


def _guard(item: pytest.Item, phase: str) -> Generator[None, Any, Any]:
    """Run one phase and keep the stalls it caused; warn in warn mode."""
    detector = item.stash.get(GUARD_KEY, None)
    if detector is None:
        return (yield)
    detector.drain()  # stalls from outside this test's phases belong to nobody
    try:
        result = yield
    except BaseException:
        _store(item, phase, _keep(item, detector.drain()))
        raise
    stalls = _keep(item, detector.drain())
    if stalls:
        _store(item, phase, stalls)
        if item.config.stash[options.SETTINGS_KEY].warn_only:
            _warn(item, stalls, phase)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, Any, Any]:
    _prepare_item(item)
    return (yield from _guard(item, "setup"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    marker_error = item.stash.get(MARKER_ERROR_KEY, None)
    if marker_error is not None:
        pytest.fail(marker_error, pytrace=False)
    return (yield from _guard(item, "call"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, Any, Any]:
    return (yield from _guard(item, "teardown"))


def _add_text(rep: pytest.TestReport, text: str) -> None:
    """Add the stall text to a report that failed or skipped on its own."""
    if hasattr(rep.longrepr, "addsection"):
        rep.longrepr.addsection("loopguard", text)
    else:
        rep.sections.append(("loopguard", text))


# trylast: an inner wrapper. pytest's xfail handling wraps it and decides the
# outcome of xfail-marked tests from their own exceptions, stall or not.
@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    rep = yield
    # `in` first: Stash.get raises and catches a KeyError for each item that did not stall.
    stalls = item.stash[STALLS_KEY].get(rep.when) if STALLS_KEY in item.stash else None
    if not stalls:
        return rep
    records = [report.stall_to_record(stall, rep.nodeid, rep.when) for stall in stalls]
    setattr(rep, REPORT_ATTRIBUTE, records)
    if item.config.stash[options.SETTINGS_KEY].warn_only:
        return rep
    test_file = report.relative_path(str(item.path), str(item.config.rootpath))
    text = "\n\n".join(report.format_stall(s, rep.when, test_file) for s in stalls)
    if rep.passed:
        rep.outcome = "failed"
        rep.longrepr = f"loopguard: {text}"
    else:
        _add_text(rep, text)
    return rep


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _starved(config: pytest.Config) -> int:
    """Count the stretches dismissed as CPU starvation, here and in xdist workers."""
    detector = config.stash.get(DETECTOR_KEY, None)
    here = 0 if detector is None else detector.starved
    return here + config.stash[RECORDER_KEY].starved_in_workers


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    if _is_worker(config):
        return
    records = config.stash[RECORDER_KEY].records
    if records:
        terminalreporter.section("loopguard: tests that blocked the event loop, worst first")
        for line in report.summary_lines(records):
            terminalreporter.line(line)
    starved = _starved(config)
    if starved:
        terminalreporter.write_sep("=", report.starved_line(starved), yellow=True)


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    if _is_worker(config):
        config.workeroutput[WORKER_STARVED_KEY] = _starved(config)  # type: ignore[attr-defined]
        return
    settings = config.stash[options.SETTINGS_KEY]
    if settings.report_path is None:
        return
    document = report.report_document(
        config.stash[RECORDER_KEY].records,
        settings.threshold_seconds * 1000.0,
        settings.mode,
        _starved(config),
    )
    path = _report_path(config, settings.report_path)
    try:
        with open(path, "w", encoding="utf-8") as stream:
            json.dump(document, stream, indent=2)
            stream.write("\n")
    except OSError as error:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"loopguard: could not write {path}: {error}", red=True)
