"""uvloop probe: a heartbeat timer, because uvloop's poll cannot be hooked from Python.

uvloop's loop is compiled, but `uvloop.Loop` is a Python subclass, so its
`run_forever` can be patched (uvloop's `run_until_complete`, `uvloop.run` and
asyncio's Runner all go through it). While the loop runs, a `call_later` tick
every tenth of the threshold (at least 1 ms, libuv's timer resolution) notes
that the loop got round to its timers. A tick that fires late means the loop
was blocked: at least from the moment the tick was due until it ran, and at
most since the previous tick ran. The stall is reported as the middle of that
range, so its duration is within a twentieth of the threshold plus the timer's
1 ms resolution, and a stall 10% over the threshold is always caught. A
quarter, the first choice, missed 3 of 20 stalls 10% over and reported 3 of
20 sleeps 5% under (benchmarks/uvloop_precision.py measures both); ten ticks
per threshold cost an idle loop about 100 Python callbacks a second at 100 ms.
`LoopState.busy_since` holds the next tick's due time: once it lies half a
threshold in the past, the watchdog samples the stack.

uvloop is patched only once something imports it (see `patching`). Its
callbacks cannot be hooked cheaply, so `Stall.running` stays None when no
stack sample was taken.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from pytest_loopguard.probes.hub import Hub
from pytest_loopguard.probes.patching import AttributePatch, LazyProbe, wrapping
from pytest_loopguard.probes.state import LoopState

__all__ = ["HEARTBEAT_FRACTION", "MIN_HEARTBEAT_SECONDS", "UvloopProbe"]

# Heartbeat period as a fraction of the threshold: a stall is known to within half of it.
HEARTBEAT_FRACTION = 0.1
# libuv's timers count whole milliseconds: a shorter period would fire on every iteration.
MIN_HEARTBEAT_SECONDS = 0.001


class UvloopProbe(LazyProbe):
    """Patch `uvloop.Loop.run_forever` once uvloop is imported."""

    kind = "uvloop"
    trigger_module = "uvloop"

    def patch_for(self, module: ModuleType) -> AttributePatch:
        loop_cls = module.Loop  # a uvloop without it: AttributeError, the probe is not installed
        wrapper = _make_run_forever(self.hub, loop_cls.run_forever)
        return AttributePatch(loop_cls, "run_forever", wrapper)


def _make_run_forever(hub: Hub, original: Any) -> Any:
    def run_forever(loop: Any) -> Any:
        if not hub.started or loop.is_running():
            return original(loop)
        try:
            heartbeat = _Heartbeat(hub, loop)
            heartbeat.attach()
        except Exception as exc:  # run unprobed rather than break the loop
            hub.internal_error(exc)
            return original(loop)
        try:
            return original(loop)
        finally:
            heartbeat.detach()

    return wrapping(run_forever, original)


class _Heartbeat:
    """The tick of one uvloop run."""

    def __init__(self, hub: Hub, loop: Any) -> None:
        self.hub = hub
        self.loop = loop
        self.state = LoopState(hub, "uvloop")
        self.interval = 0.0
        self.handle: Any = None
        self.closed = False

    def attach(self) -> None:
        """Schedule the first tick and let the watchdog see the loop."""
        self._schedule(self.hub.clock())
        self.hub.activate(self.state, self.close)

    def close(self) -> None:
        """Stop ticking; safe from any thread (the next tick just does not reschedule)."""
        self.closed = True

    def detach(self) -> None:
        """At loop exit: a tick overdue by more than the threshold is a stall that ended the run."""
        try:
            if not self.closed:
                self._check(self.hub.clock(), ended_with_loop=True)
        finally:
            self.closed = True
            self.handle.cancel()
            self.hub.deactivate(self.state)

    def _schedule(self, now: float) -> None:
        self.interval = max(self.hub.threshold_seconds * HEARTBEAT_FRACTION, MIN_HEARTBEAT_SECONDS)
        self.state.begin_busy(now + self.interval)
        self.handle = self.loop.call_later(self.interval, self._tick)

    def _tick(self) -> None:
        if self.closed:
            return
        now = self.hub.clock()
        self._check(now, ended_with_loop=False)
        self._schedule(now)

    def _check(self, now: float, ended_with_loop: bool) -> None:
        # _schedule set busy_since: a heartbeat's stretch is never None.
        late = now - self.state.busy_since  # type: ignore[operator]
        estimate = late + self.interval / 2
        if late > 0 and estimate > self.hub.threshold_seconds:
            self.state.finish(now, estimate, ended_with_loop)
