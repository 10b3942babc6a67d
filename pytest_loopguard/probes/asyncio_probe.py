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
from asyncio import base_events, events
from typing import TYPE_CHECKING, Any

from pytest_loopguard.probes.patching import AttributePatch
from pytest_loopguard.probes.state import LoopState, describe

if TYPE_CHECKING:
    from pytest_loopguard.detector import StallDetector

__all__ = ["AsyncioProbe"]

# Attribute set on a loop while it runs probed, so a nested run_forever call
# (which asyncio rejects anyway) is not probed twice.
STATE_ATTRIBUTE = "_loopguard_state"
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
        selector = getattr(loop, "_selector", None)
        if not hub._started or selector is None or getattr(loop, STATE_ATTRIBUTE, None):
            return original(loop)
        try:
            probe = _SelectorRun(hub, loop, selector)
            probe.attach()
        except Exception as exc:  # an unusual loop or selector: run it unprobed
            hub._internal_error(exc)
            getattr(loop, "__dict__", {}).pop(STATE_ATTRIBUTE, None)
            return original(loop)
        try:
            return original(loop)
        finally:
            probe.detach()

    run_forever.__wrapped__ = original  # type: ignore[attr-defined]
    return run_forever


class _SelectorRun:
    """One run of one loop: wraps its selector's select for the duration."""

    def __init__(self, hub: StallDetector, loop: Any, selector: Any) -> None:
        self.hub = hub
        self.loop = loop
        self.selector = selector
        self.state = LoopState(hub, "asyncio")
        self.state.running_of = self._running
        self._previous = vars(selector).get("select")
        self._wrapper = _make_select(hub, self.state, selector.select)

    def attach(self) -> None:
        """Start timing: the loop is busy from now until its first select."""
        self.state.begin_busy(self.hub._clock())
        vars(self.loop)[STATE_ATTRIBUTE] = self.state
        self.selector.select = self._wrapper
        self.hub._activate(self.state, self.close)

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
            self.hub._deactivate(self.state)
            vars(self.loop).pop(STATE_ATTRIBUTE, None)
            vars(self.loop).pop(HANDLE_ATTRIBUTE, None)

    def _running(self) -> str | None:
        return describe(vars(self.loop).get(HANDLE_ATTRIBUTE))


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

