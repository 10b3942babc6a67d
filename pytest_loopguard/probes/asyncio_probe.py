"""asyncio probe: time each selector loop's busy stretches from its own thread.

`BaseEventLoop.run_forever` is patched (every `run_until_complete` and
`asyncio.run` goes through it). On entry it wraps that loop's
`_selector.select` as an instance attribute; the wrapper ends the busy stretch
when the loop enters select and starts the next one when select returns. That
is two clock reads per loop iteration, however many callbacks the iteration
runs, and it measures from the loop's thread, so the error is a few clock
reads. Several callbacks that run back to back without a poll in between add
up to one stretch, which is what "the loop could not get back to its poll"
means; time inside select is idle by construction.

`Handle._run` is also patched to remember the callback running now (one
attribute store per callback). That is only read when a stall ended with no
stack sample at all (a C call held the GIL throughout), to say which task or
callback was running. It names the last callback of the stretch, which is the
culprit when the stretch held a single callback.

Loops that are not `BaseEventLoop` subclasses (uvloop) or have no selector
(Windows' proactor loop) run unprobed here. A loop already running when the
detector starts is probed from its next `run_forever`.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import weakref
from asyncio import base_events, events
from typing import TYPE_CHECKING, Any

from pytest_loopguard.probes.patching import AttributePatch
from pytest_loopguard.probes.state import LoopState, describe

if TYPE_CHECKING:
    from pytest_loopguard.detector import StallDetector

__all__ = ["AsyncioProbe"]

# Attributes kept on a probed loop: its probe, and the callback it runs now.
PROBE_ATTRIBUTE = "_loopguard_probe"
HANDLE_ATTRIBUTE = "_loopguard_handle"


class AsyncioProbe:
    """Patch asyncio's pure-Python loops for the life of a detector."""

    kind = "asyncio"

    def __init__(self, hub: StallDetector) -> None:
        self.hub = hub
        self._patches: list[AttributePatch] = []

    def install(self) -> None:
        """Patch `BaseEventLoop.run_forever` and `Handle._run`."""
        loop_cls = base_events.BaseEventLoop
        run_forever = _make_run_forever(self.hub, loop_cls.run_forever)
        self._patches = [
            AttributePatch(loop_cls, "run_forever", run_forever),
            AttributePatch(events.Handle, "_run", _make_handle_run(events.Handle._run)),
        ]
        for patch in self._patches:
            patch.apply()

    def uninstall(self) -> None:
        """Restore both methods."""
        for patch in reversed(self._patches):
            patch.restore()
        self._patches = []


def _make_handle_run(original: Any) -> Any:
    def _run(handle: events.Handle) -> None:
        try:
            handle._loop.__dict__[HANDLE_ATTRIBUTE] = handle
        except AttributeError:  # a loop class with __slots__: nothing to remember
            pass
        return original(handle)

    _run.__wrapped__ = original  # type: ignore[attr-defined]
    return _run


def _make_run_forever(hub: StallDetector, original: Any) -> Any:
    def run_forever(loop: asyncio.AbstractEventLoop) -> None:
        if not hub._started:
            return original(loop)
        try:
            probe = _probe_for(hub, loop)
            if probe is not None:
                probe.attach()
        except Exception as exc:  # an unusual loop or selector: run it unprobed
            hub._internal_error(exc)
            probe = None
        if probe is None:
            return original(loop)
        try:
            return original(loop)
        finally:
            probe.detach()

    run_forever.__wrapped__ = original  # type: ignore[attr-defined]
    return run_forever


def _probe_for(hub: StallDetector, loop: Any) -> _SelectorRun | None:
    """Return the loop's probe, made on its first run; None when it cannot or must not be probed.

    The probe is kept on the loop because pytest-asyncio runs one loop several
    times per test (fixtures, test, teardown): set-up is paid once per loop.
    """
    selector = getattr(loop, "_selector", None)
    namespace = getattr(loop, "__dict__", None)
    if selector is None or namespace is None:
        return None
    probe = namespace.get(PROBE_ATTRIBUTE)
    if probe is None or probe.hub is not hub or probe.selector is not selector:
        probe = namespace[PROBE_ATTRIBUTE] = _SelectorRun(hub, loop, selector)
    return None if probe.attached else probe


class _SelectorRun:
    """The probe of one loop: wraps its selector's select while the loop runs.

    The loop holds its probe, so the probe holds the loop only weakly: a
    closed loop is then freed at once, as without loopguard, rather than left
    to the cyclic garbage collector.
    """

    def __init__(self, hub: StallDetector, loop: Any, selector: Any) -> None:
        self.hub = hub
        self.loop = weakref.ref(loop)
        self.selector = selector
        self.state = LoopState(hub, "asyncio")
        self.state.running_of = functools.partial(_running, self.loop)
        self.attached = False
        self._previous: Any = None
        self._wrapper: Any = None

    def attach(self) -> None:
        """Start timing: the loop is busy from now until its first select."""
        state = self.state
        state.thread_id = threading.get_ident()  # a loop may run in another thread next time
        state.begin_busy(self.hub._clock())
        previous = vars(self.selector).get("select")
        if self._wrapper is None or previous is not self._previous:
            self._previous = previous
            self._wrapper = _make_select(self.hub, state, self.selector.select)
        self.selector.select = self._wrapper
        self.attached = True
        self.hub._activate(state, self.close)

    def close(self) -> None:
        """Unwrap select (also called by the detector's stop while the loop runs)."""
        if vars(self.selector).get("select") is self._wrapper:
            if self._previous is None:
                del self.selector.select
            else:
                self.selector.select = self._previous

    def detach(self) -> None:
        """Stop timing at loop exit; a stretch still going on counts as ended with the loop."""
        try:
            self.state.end_busy(self.hub._clock(), ended_with_loop=True)
            self.close()
        finally:
            self.attached = False
            self.hub._deactivate(self.state)
            loop = self.loop()
            if loop is not None:
                vars(loop).pop(HANDLE_ATTRIBUTE, None)


def _running(loop_ref: weakref.ref[Any]) -> str | None:
    """Name the callback the loop runs now (or ran last)."""
    loop = loop_ref()
    return None if loop is None else describe(vars(loop).get(HANDLE_ATTRIBUTE))


def _make_select(hub: StallDetector, state: LoopState, inner: Any) -> Any:
    clock = hub._clock

    def select(timeout: float | None = None) -> Any:
        since = state.busy_since
        if since is not None:
            now = clock()
            if now - since > hub._threshold_seconds:
                state.finish(now, now - since)
            state.busy_since = None
        try:
            return inner(timeout)
        finally:
            state.stretch += 1
            state.busy_since = clock()

    return select
