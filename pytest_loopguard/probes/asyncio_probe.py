"""asyncio probe: time each selector loop's busy stretches from its own thread.

The first `run_forever` of a loop under a started detector wraps that loop's
`_selector.select` as an instance attribute (every `run_until_complete` and
`asyncio.run` goes through `run_forever`). The wrapper ends the busy stretch
when the loop enters select and starts the next one when select returns. That
is two clock reads per loop iteration, however many callbacks the iteration
runs, and it measures from the loop's thread, so the error is a few clock
reads. Several callbacks that run back to back without a poll in between add
up to one stretch, which is what "the loop could not get back to its poll"
means; time inside select is idle by construction.

The wrapper stays until the loop closes (`BaseEventLoop.close` is patched to
remove it) or the detector stops (every loop still alive is unwrapped then).
pytest-asyncio runs one loop about three times per test, so each later run
only tells the watchdog that the loop runs now, and in which thread, and
times the stretches before its first and after its last select.

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
        # Every loop whose select this probe wrapped, so that stop can unwrap them all.
        # Weak: a loop dropped without close() must still be freed.
        self._wrapped: weakref.WeakKeyDictionary[Any, _SelectorRun] = (
            weakref.WeakKeyDictionary()
        )

    def install(self) -> None:
        """Patch `BaseEventLoop.run_forever` and `close`, and `Handle._run`."""
        loop_cls = base_events.BaseEventLoop
        self._patches = [
            AttributePatch(loop_cls, "run_forever", _make_run_forever(self, loop_cls.run_forever)),
            AttributePatch(loop_cls, "close", _make_close(self, loop_cls.close)),
            AttributePatch(events.Handle, "_run", _make_handle_run(events.Handle._run)),
        ]
        for patch in self._patches:
            patch.apply()

    def uninstall(self) -> None:
        """Restore the methods and unwrap the select of every loop still alive."""
        for patch in reversed(self._patches):
            patch.restore()
        self._patches = []
        wrapped, self._wrapped = self._wrapped, weakref.WeakKeyDictionary()
        for run in list(wrapped.data.values()):  # a copy: loops may die meanwhile
            run.unwrap()

    def run_of(self, loop: Any) -> _SelectorRun | None:
        """Return the loop's probe, None when it cannot be probed or runs already.

        The probe is kept on the loop, so a loop's later runs find it with one
        dictionary lookup.
        """
        namespace = getattr(loop, "__dict__", None)
        if namespace is None:
            return None
        run = namespace.get(PROBE_ATTRIBUTE)
        if run is None or run.hub is not self.hub or run.selector is not loop._selector:
            run = self._wrap(loop, namespace)
        return None if run is None or run.running else run

    def _wrap(self, loop: Any, namespace: dict[str, Any]) -> _SelectorRun | None:
        """Find or make this detector's probe of the loop (its first run, or a new selector)."""
        selector = getattr(loop, "_selector", None)
        if selector is None:
            return None
        run = self._wrapped.get(loop)  # another detector's probe may sit on the loop
        if run is None or run.selector is not selector:
            if run is not None:
                run.unwrap()
            self._wrapped[loop] = run = _SelectorRun(self.hub, loop, selector)
            run.wrap()
        namespace[PROBE_ATTRIBUTE] = run
        return run

    def release(self, loop: Any) -> None:
        """Unwrap a closed loop's select, so the loop owes the cyclic GC nothing."""
        try:
            run = self._wrapped.pop(loop, None)
        except TypeError:  # not weakly referenceable: never wrapped
            return
        if run is not None:
            run.unwrap()


def _make_handle_run(original: Any) -> Any:
    def _run(handle: events.Handle) -> None:
        try:
            handle._loop.__dict__[HANDLE_ATTRIBUTE] = handle
        except AttributeError:  # a loop class with __slots__: nothing to remember
            pass
        return original(handle)

    _run.__wrapped__ = original  # type: ignore[attr-defined]
    return _run


def _make_run_forever(probe: AsyncioProbe, original: Any) -> Any:
    hub = probe.hub

    def run_forever(loop: asyncio.AbstractEventLoop) -> None:
        if not hub._started:
            return original(loop)
        try:
            run = probe.run_of(loop)
            if run is not None:
                run.begin()
        except Exception as exc:  # an unusual loop or selector: run it unprobed
            hub._internal_error(exc)
            run = None
        if run is None:
            return original(loop)
        try:
            return original(loop)
        finally:
            run.end()

    run_forever.__wrapped__ = original  # type: ignore[attr-defined]
    return run_forever


def _make_close(probe: AsyncioProbe, original: Any) -> Any:
    def close(loop: asyncio.AbstractEventLoop) -> None:
        original(loop)  # raises for a running loop, which then keeps its wrapper
        try:
            probe.release(loop)
        except Exception as exc:  # closing must succeed whatever happens here
            probe.hub._internal_error(exc)

    close.__wrapped__ = original  # type: ignore[attr-defined]
    return close


class _SelectorRun:
    """The probe of one loop: its select wrapper and the loop's busy state.

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
        self.running = False
        self._previous: Any = None
        self._wrapper: Any = None

    def wrap(self) -> None:
        """Put the timing wrapper on the selector's select, over whatever is there."""
        self._previous = vars(self.selector).get("select")
        self._wrapper = _make_select(self.hub, self.state, self.selector.select)
        self.selector.select = self._wrapper

    def unwrap(self) -> None:
        """Take the wrapper off again, unless someone wrapped select over it since.

        Also the detector's closer of a running loop: stop may call it from
        another thread, while the loop runs.
        """
        if vars(self.selector).get("select") is self._wrapper:
            if self._previous is None:
                del self.selector.select
            else:
                self.selector.select = self._previous
        loop = self.loop()
        if loop is not None and vars(loop).get(PROBE_ATTRIBUTE) is self:
            del vars(loop)[PROBE_ATTRIBUTE]

    def begin(self) -> None:
        """Start timing a run: the loop is busy from now until its first select."""
        state = self.state
        state.thread_id = threading.get_ident()  # a loop may run in another thread next time
        state.begin_busy(self.hub._clock())
        self.running = True
        self.hub._activate(state, self.unwrap)

    def end(self) -> None:
        """Stop timing at loop exit; a stretch still going on counts as ended with the loop."""
        try:
            self.state.end_busy(self.hub._clock(), ended_with_loop=True)
        finally:
            self.running = False
            self.hub._deactivate(self.state)
            loop = self.loop()
            if loop is not None:  # the handle refers to the loop: no cycle left behind
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
