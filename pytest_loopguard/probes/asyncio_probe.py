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

The wrapper stays, and the watchdog keeps looking at the loop, until the loop
closes (`BaseEventLoop.close` is patched to remove it), is freed, or the
detector stops (every loop still alive is unwrapped then). pytest-asyncio runs
one loop about three times per test, so each later run only times the
stretches before its first and after its last select (and notes the thread,
should it be another one); between runs the loop is idle to the watchdog.

`Handle._run` is also patched to remember the callback running now (one
dictionary store per callback). That is only read when a stall ended with no
stack sample at all (a C call held the GIL throughout), to say which task or
callback was running. It names the last callback of the stretch, which is the
culprit when the stretch held a single callback.

The probe keeps what it knows of a loop in its own dictionaries, keyed by the
loop's id, and never writes to the loop: giving a loop an instance dictionary
of its own would slow every attribute lookup asyncio makes on it.

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
from typing import Any

from pytest_loopguard.probes.hub import Hub
from pytest_loopguard.probes.patching import AttributePatch, ProbeNotInstalled, wrapping
from pytest_loopguard.probes.state import NO_MARK, LoopState, describe

__all__ = ["AsyncioProbe"]


class AsyncioProbe:
    """Patch asyncio's pure-Python loops for the life of a detector."""

    kind = "asyncio"

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._patches: list[AttributePatch] = []
        # id(loop) -> the probe of each loop whose select is wrapped, so that stop
        # can unwrap them all. An entry goes when its loop closes or is freed.
        self._runs: dict[int, _SelectorRun] = {}
        # id(loop) -> the handle that loop runs now, while it runs.
        self._handles: dict[int, events.Handle] = {}

    def install(self) -> None:
        """Patch `BaseEventLoop.run_forever` and `close`, and `Handle._run`.

        If asyncio's internals are not what the probe expects, nothing stays
        patched and the error says that asyncio loops are not watched.
        """
        try:
            self._install()
        except Exception as exc:
            self.uninstall()
            self.hub.internal_error(ProbeNotInstalled(self.kind, exc))

    def _install(self) -> None:
        loop_cls, handle_cls = base_events.BaseEventLoop, events.Handle
        self._runs, self._handles = {}, {}
        self._patches = [
            AttributePatch(loop_cls, "run_forever", _make_run_forever(self, loop_cls.run_forever)),
            AttributePatch(loop_cls, "close", _make_close(self, loop_cls.close)),
            AttributePatch(handle_cls, "_run", _make_handle_run(self._handles, handle_cls._run)),
        ]
        for patch in self._patches:
            patch.apply()

    def uninstall(self) -> None:
        """Restore the methods and unwrap the select of every loop still alive."""
        for patch in reversed(self._patches):
            patch.restore()
        self._patches = []
        runs, self._runs = self._runs, {}
        for run in list(runs.values()):  # a copy: loops may die meanwhile
            run.unwrap()
        self._handles.clear()

    def watch(self, loop: Any, stale: _SelectorRun | None) -> _SelectorRun | None:
        """Start watching a loop on its first run (or after it got a new selector).

        `stale` is what the probe's table holds under the loop's id: the probe
        of the loop's old selector, or of a dead loop that had the same id.
        Returns None for a loop that cannot be watched: no selector, or not
        weakly referenceable. Never raises: an unusual loop runs unprobed.
        """
        try:
            selector = getattr(loop, "_selector", None)
            if selector is None:
                return None
            if stale is not None:
                self.release(loop)  # a new selector: drop the wrapper of the old one
            run = _SelectorRun(self.hub, loop, selector, self._runs, self._handles)
            self._runs[id(loop)] = run
            run.watch()
            return run
        except Exception as exc:
            self.hub.internal_error(exc)
            return None

    def release(self, loop: Any) -> None:
        """Unwrap a closed loop's select and forget the loop."""
        run = self._runs.get(id(loop))
        if run is not None and run.loop() is loop:
            del self._runs[id(loop)]
            run.release()


def _make_handle_run(handles: dict[int, events.Handle], original: Any) -> Any:
    def _run(handle: events.Handle) -> Any:
        # typeshed leaves out Handle's private _loop; getattr would cost each callback more.
        handles[id(handle._loop)] = handle  # type: ignore[attr-defined]
        return original(handle)

    return wrapping(_run, original)


def _make_run_forever(probe: AsyncioProbe, original: Any) -> Any:
    hub, runs = probe.hub, probe._runs

    def run_forever(loop: asyncio.AbstractEventLoop) -> Any:
        if hub.started:
            run = runs.get(id(loop))
            if run is None or run.loop() is not loop or run.selector is not loop._selector:
                run = probe.watch(loop, run)
            if run is not None and not run.running:  # running: original() raises
                return run.timed(original, loop)
        return original(loop)

    return wrapping(run_forever, original)


def _make_close(probe: AsyncioProbe, original: Any) -> Any:
    def close(loop: asyncio.AbstractEventLoop) -> None:
        original(loop)  # raises for a running loop, which then keeps its wrapper
        try:
            probe.release(loop)
        except Exception as exc:  # closing must succeed whatever happens here
            probe.hub.internal_error(exc)

    return wrapping(close, original)


class _SelectorRun:
    """The probe of one loop: its select wrapper and the loop's busy state.

    Holds the loop only weakly, so that a loop dropped without `close()` is
    freed as without loopguard; its entry in the probe's table goes with it.
    """

    def __init__(
        self,
        hub: Hub,
        loop: Any,
        selector: Any,
        runs: dict[int, _SelectorRun],
        handles: dict[int, events.Handle],
    ) -> None:
        self.key = key = id(loop)
        self.hub = hub
        self.loop = weakref.ref(loop, functools.partial(_forget, runs, key))
        self.selector = selector
        self.state = LoopState(hub, "asyncio")
        self.state.running_of = functools.partial(_running, handles, key)
        self.running = False
        self._handles = handles
        self._previous: Any = None
        self._wrapper: Any = None

    def watch(self) -> None:
        """Wrap the selector's select, over whatever is there, and show the loop to the watchdog.

        The watchdog looks at the loop from now until it closes; between runs
        the loop is idle to it, as while it waits in select.
        """
        self._previous = vars(self.selector).get("select")
        self._wrapper = _make_select(self.hub, self.state, self.selector.select)
        self.selector.select = self._wrapper
        self.hub.activate(self.state, self.unwrap)

    def release(self) -> None:
        """Stop watching the loop: it closed or was freed."""
        self.hub.deactivate(self.state)
        self.unwrap()

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

    def timed(self, run_forever: Any, loop: Any) -> Any:
        """Run the loop, timing the stretches before its first and after its last select.

        A stretch still going on when the loop stops counts as ended with the loop.
        """
        hub, state = self.hub, self.state
        thread_id = threading.get_ident()
        if thread_id != state.thread_id:  # the loop runs in another thread than before
            state.thread_id = thread_id
            try:
                hub.activate(state, self.unwrap)  # notes that thread's CPU clock
            except Exception as exc:  # never let the probe keep the loop from running
                hub.internal_error(exc)
        state.mark_due = NO_MARK  # a run's first stretch checks its thread's latest mark
        state.begin_busy(hub.clock())
        self.running = True
        try:
            return run_forever(loop)
        finally:
            self.running = False
            state.end_busy(hub.clock(), True)
            self._handles.pop(self.key, None)  # the handle refers to the loop: drop it


def _forget(runs: dict[int, _SelectorRun], key: int, loop_ref: weakref.ref[Any]) -> None:
    """Drop the entry of a loop freed without close(), unless its id has a new loop."""
    run = runs.get(key)
    if run is not None and run.loop is loop_ref:
        del runs[key]
        run.release()


def _running(handles: dict[int, events.Handle], key: int) -> str | None:
    """Name the callback the loop runs now (or ran last)."""
    return describe(handles.get(key))


def _make_select(hub: Hub, state: LoopState, inner: Any) -> Any:
    clock = hub.clock

    def select(timeout: float | None = None) -> Any:
        since = state.busy_since
        if since is not None:
            now = clock()
            if now - since > hub.threshold_seconds:
                state.finish(now, now - since)
            state.busy_since = None
        try:
            return inner(timeout)
        finally:
            state.stretch += 1
            state.busy_since = now = clock()
            if now > state.mark_due:  # LoopState.begin_busy, inlined: this runs per iteration
                state.mark_due = hub.stretch_starts(state)

    return select
