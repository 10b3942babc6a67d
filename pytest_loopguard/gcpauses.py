"""GcPauses: when the garbage collector paused which thread, and whether it was asked to.

An automatic collection runs in whichever thread allocated the object that
crossed a threshold, and a full one takes as long as the whole heap needs: in
a long session 100-400 ms, charged to whatever test happens to run. A
`gc.callbacks` entry marks each collection's start and end (two calls per
collection, nothing per loop callback); pauses of at least `MIN_PAUSE_SECONDS`
are kept, the last `KEPT_PER_THREAD` per thread, so the accounting can ask how
much of a stretch they covered.

`gc.collect()` is wrapped while installed, so a collection the code asked for
is told apart: it stays the caller's stall. A caller that imported the
function itself (`from gc import collect`) before loopguard started is not
seen as explicit.
"""

from __future__ import annotations

import gc
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, NamedTuple

__all__ = ["KEPT_PER_THREAD", "MIN_PAUSE_SECONDS", "GcPause", "GcPauses"]

MIN_PAUSE_SECONDS = 0.001
KEPT_PER_THREAD = 64


class GcPause(NamedTuple):
    """One collection that paused a thread, on the detector's clock."""

    start: float
    end: float
    explicit: bool


class GcPauses:
    """Keep the recent garbage-collection pauses of every thread."""

    def __init__(self, clock: Callable[[], float], gc_module: Any = gc) -> None:
        self._clock = clock
        self._gc = gc_module
        self._pauses: dict[int, deque[GcPause]] = {}
        self._explicit: dict[int, int] = {}  # thread id -> depth of gc.collect() calls
        self._began = 0.0
        self._began_explicit = False
        self._collect: Any = None

    def install(self) -> None:
        """Add the gc callback and wrap gc.collect; a second call does nothing."""
        if self._collect is not None:
            return
        self._collect = original = self._gc.collect
        explicit = self._explicit

        def collect(*args: Any, **kwargs: Any) -> int:
            thread_id = threading.get_ident()
            explicit[thread_id] = explicit.get(thread_id, 0) + 1
            try:
                return original(*args, **kwargs)
            finally:
                depth = explicit.pop(thread_id, 1) - 1
                if depth:
                    explicit[thread_id] = depth

        collect.__wrapped__ = original  # type: ignore[attr-defined]
        collect.__doc__ = original.__doc__
        self._wrapper = collect
        self._gc.collect = collect
        self._gc.callbacks.append(self._callback)

    def uninstall(self) -> None:
        """Remove the callback and the wrapper (unless someone wrapped it over ours)."""
        if self._collect is None:
            return
        try:
            self._gc.callbacks.remove(self._callback)
        except ValueError:
            pass
        if self._gc.collect is self._wrapper:
            self._gc.collect = self._collect
        self._collect = None
        self._pauses = {}
        self._explicit.clear()

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        # A collection holds the GIL from start to stop: no other thread's collection
        # can interleave, so one pending start is enough.
        if phase == "start":
            self._began = self._clock()
            self._began_explicit = threading.get_ident() in self._explicit
            return
        end = self._clock()
        if end - self._began < MIN_PAUSE_SECONDS:
            return
        thread_id = threading.get_ident()
        kept = self._pauses.get(thread_id)
        if kept is None:
            kept = self._pauses[thread_id] = deque(maxlen=KEPT_PER_THREAD)
        kept.append(GcPause(self._began, end, self._began_explicit))

    def overlap(self, thread_id: int, start: float, end: float) -> tuple[float, float]:
        """Return (automatic, explicit) seconds of collection within [start, end] in a thread."""
        automatic = explicit = 0.0
        for pause in tuple(self._pauses.get(thread_id, ())):
            covered = min(end, pause.end) - max(start, pause.start)
            if covered <= 0:
                continue
            if pause.explicit:
                explicit += covered
            else:
                automatic += covered
        return automatic, explicit

    def forget(self, thread_id: int) -> None:
        """Drop a thread's pauses (it has ended)."""
        self._pauses.pop(thread_id, None)
