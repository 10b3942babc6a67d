"""GcPauses: when the garbage collector paused which thread, and whether it was asked to.

An automatic collection runs in whichever thread allocated the object that
crossed a threshold, and a full one takes as long as the whole heap needs: in
a long session 100-400 ms, charged to whatever test happens to run. It holds
the GIL from start to end, so a collection in *any* thread pauses the loop's
thread too (anyio's suite under xdist: a helper thread's collection held a
uvloop loop at an `await asyncio.sleep` for 106 ms). A `gc.callbacks` entry
marks each collection's start and end (two calls per collection, nothing per
loop callback); pauses of at least `MIN_PAUSE_SECONDS` are kept, the last
`KEPT_PAUSES` of the process, so the accounting can ask how much of a stretch
they covered.

`gc.collect()` is wrapped while installed, so a collection the code asked for
is told apart: made in the loop's own thread, it stays the caller's stall (in
another thread it is a pause like an automatic one), and the wrapper keeps the caller's
stack (`capture`, only for a call that paused long enough to be kept): no
stack sample can be taken while a collection holds the GIL, so this is how
the stall names its line. A caller that imported the
function itself (`from gc import collect`) before loopguard started is not
seen as explicit.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from pytest_loopguard.stall import StackFrame

__all__ = ["KEPT_PAUSES", "MIN_PAUSE_SECONDS", "GcOverlap", "GcPause", "GcPauses"]

MIN_PAUSE_SECONDS = 0.001
KEPT_PAUSES = 256  # of the whole process: far more than a stretch worth judging overlaps


@dataclass(slots=True)
class GcPause:
    """One collection that paused the process, on the detector's clock.

    Mutable so that `gc.collect()`'s wrapper can give it its caller's stack after
    the fact, without an index into the deque that other threads append to.
    """

    start: float
    end: float
    explicit: bool
    thread_id: int  # the thread that ran it
    stack: tuple[StackFrame, ...] = ()  # an explicit call's caller, when captured


class GcOverlap(NamedTuple):
    """How much of a stretch collections covered, and where the longest explicit one was called."""

    automatic_seconds: float = 0.0
    explicit_seconds: float = 0.0
    explicit_stack: tuple[StackFrame, ...] = ()


class GcPauses:
    """Keep the recent garbage-collection pauses of the process."""

    def __init__(
        self,
        clock: Callable[[], float],
        gc_module: Any = gc,
        capture: Callable[[Any], tuple[StackFrame, ...]] | None = None,
    ) -> None:
        """`capture` turns a caller's frame into a stack; None: explicit calls keep none."""
        self._clock = clock
        self._gc = gc_module
        self._capture = capture
        self._pauses: deque[GcPause] = deque(maxlen=KEPT_PAUSES)
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
        clock = self._clock

        def collect(*args: Any, **kwargs: Any) -> int:
            thread_id = threading.get_ident()
            explicit[thread_id] = explicit.get(thread_id, 0) + 1
            called = clock()
            try:
                return original(*args, **kwargs)
            finally:
                depth = explicit.pop(thread_id, 1) - 1
                if depth:
                    explicit[thread_id] = depth
                self._keep_caller(thread_id, called, sys._getframe(1))

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
        self._pauses.clear()
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
        self._pauses.append(GcPause(self._began, end, self._began_explicit, threading.get_ident()))

    def _keep_caller(self, thread_id: int, called: float, frame: Any) -> None:
        """Give the pause an explicit call just made (if it was kept) its caller's stack."""
        capture = self._capture
        if capture is None:
            return
        # Another thread's collection may have been kept since this one ended: look back.
        for pause in reversed(tuple(self._pauses)):
            if pause.start < called:
                return
            if pause.thread_id == thread_id:
                if pause.explicit and not pause.stack:
                    pause.stack = capture(frame)
                return

    def overlap(self, thread_id: int, start: float, end: float) -> GcOverlap:
        """Return how much collection covered [start, end] of a thread's stretch.

        Only the thread's own `gc.collect()` calls are explicit: any other collection is
        one the loop's code did not ask for, though it held the loop's thread all the same.
        """
        automatic = explicit = longest = 0.0
        stack: tuple[StackFrame, ...] = ()
        for pause in tuple(self._pauses):
            covered = min(end, pause.end) - max(start, pause.start)
            if covered <= 0:
                continue
            if not pause.explicit or pause.thread_id != thread_id:
                automatic += covered
                continue
            explicit += covered
            if pause.stack and covered > longest:
                longest, stack = covered, pause.stack
        return GcOverlap(automatic, explicit, stack)
