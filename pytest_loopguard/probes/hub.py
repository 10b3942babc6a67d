"""The Hub protocol: the only detector members a probe may use, and what a probe must offer.

`StallDetector` implements `Hub`; probes are built with one and see nothing
else of the detector. What a probe may rely on:

- `clock()` and `threshold_seconds` are plain attributes, cheap enough to read
  on every loop iteration. `threshold_seconds` may change between any two
  reads (the guard sets it per test); read it again for each stretch rather
  than keeping a copy. `clock` never changes: a probe may bind it once.
- `started` is true from `start()` until `stop()`. Patches that outlive a stop
  (a method another library wrapped over ours) check it and step aside.
- `activate(state, close)` shows a loop's `LoopState` to the watchdog, which
  then samples its stack while it is busy; call it again when the loop runs
  in another thread, so that thread's CPU clock is noted. `close` is called,
  possibly from another thread, if the detector stops while the loop is still
  watched. `deactivate(state)` ends the watching; both are safe to repeat.
- `stretch_starts(state)`, called on the loop thread as a stretch starts when
  the clock has passed `state.mark_due` (and always at a run's first stretch),
  has the detector note that thread's schedstat then, unless its latest note
  is recent enough; it returns the next `mark_due`. A loop iteration pays one
  float comparison for it. The detector resets `mark_due` of every watched loop
  when the threshold changes.
- `watched_loops()` returns the states shown to the watchdog now.
- `record(finding)` hands a finished finding to the detector, from any thread;
  `drain()` gives it to the guard. A `Stall` today; a probe that records
  other findings (blocking calls) adds its type to `Finding`.
- `judge_stretch(thread_id, stretch, start, end, sampled)`, called on the loop
  thread when a stretch longer than the threshold ends, accounts for its wall
  time (`accounting`): None when it was not the loop's own doing (its thread
  waited for a CPU, or got none; the detector counts it), else the account,
  which `accounting.judge` calls a stall or a garbage-collection pause.
- `internal_error(exc)` keeps an error of the probe's own for the report; a
  probe catches its errors and never lets one reach the loop it watches.

What the detector may ask of a `WatchedLoop` besides its fields: `add_sample`
(the watchdog) and `snapshot` (at a phase end, for a stretch still under way).

Nothing here takes the detector's lock, and the hot path (a loop iteration)
touches only `clock`, `threshold_seconds` and the probe's own `LoopState`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeAlias

from pytest_loopguard.accounting import StretchAccount
from pytest_loopguard.stall import LoopKind, StackFrame, Stall

__all__ = ["Finding", "Hub", "Probe", "WatchedLoop"]

# What a probe may pass to `Hub.record`.
Finding: TypeAlias = Stall


class WatchedLoop(Protocol):
    """What the watchdog reads of a loop a probe activated (a `probes.state.LoopState`)."""

    kind: LoopKind
    thread_id: int  # the thread the loop runs in
    busy_since: float | None  # clock time the current busy stretch began; None: polling
    stretch: int  # bumped at the start of each busy stretch
    cpu_checked_in: int | None  # the hub's: thread whose CPU clock it checked for this loop
    mark_due: float  # clock time after which a stretch's start calls `Hub.stretch_starts`

    def add_sample(self, stretch: int, stack: tuple[StackFrame, ...]) -> None: ...

    def snapshot(
        self, stretch: int, now: float, account: StretchAccount, unsampled_ok: bool
    ) -> Stall | None:
        """Charge the stretch under way as a stall so far; None if it has ended.

        Also None, and nothing charged, when it has no sample and not `unsampled_ok`.
        """
        ...


class Hub(Protocol):
    """The detector as a probe sees it."""

    @property
    def clock(self) -> Callable[[], float]: ...

    @property
    def threshold_seconds(self) -> float: ...

    @property
    def started(self) -> bool: ...

    def activate(self, state: WatchedLoop, close: Callable[[], None]) -> None: ...

    def stretch_starts(self, state: WatchedLoop) -> float: ...

    def deactivate(self, state: WatchedLoop) -> None: ...

    def watched_loops(self) -> tuple[WatchedLoop, ...]: ...

    def record(self, finding: Finding) -> None: ...

    def judge_stretch(
        self, thread_id: int, stretch: int, start: float, end: float, sampled: bool
    ) -> StretchAccount | None: ...

    def internal_error(self, exc: BaseException) -> None: ...


class Probe(Protocol):
    """What the detector needs of a probe: patch on start, unpatch on stop."""

    def install(self) -> None: ...

    def uninstall(self) -> None: ...
