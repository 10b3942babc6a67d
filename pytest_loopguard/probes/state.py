"""LoopState: the busy/idle bookkeeping of one running event loop.

A probe owns one LoopState per running loop and writes two fields from the
loop's own thread: `busy_since` (clock time the loop left its I/O poll, or None
while it waits in the poll) and `stretch` (a counter bumped at the start of each
busy stretch). Those writes are the whole hot path and take no lock.

The watchdog thread reads both fields, and when a stretch has lasted long
enough it samples the loop thread's stack and files the sample under that
stretch number (under the state's own lock). When the stretch ends on the loop
thread and turns out longer than the threshold, `finish` collects the samples
of that same stretch and records a Stall. Samples of any other stretch are
ignored, so a sample taken just as a stretch ended never lands on the next one.
A stall with no sample at all is first checked against the loop thread's CPU
time (`Hub.judge_stretch`): one the thread barely ran for is not recorded.

At the end of a test phase the detector may charge a stretch still under way
(`snapshot`, from the guard's thread): the stall so far, with its samples. The
state's lock makes that and the loop thread's own record of the stretch
exclusive: the loop thread then records only the stretch's final length
(`Stall.late`), which no phase is charged for.
Every stall is then accounted for (`accounting`): a stretch long only because
its thread waited for a CPU is dropped, one long only because of automatic
garbage collection is recorded as `gc_only`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from pytest_loopguard.accounting import StretchAccount, judge
from pytest_loopguard.frames import default_is_user_frame
from pytest_loopguard.probes.debugger import stopped_since
from pytest_loopguard.probes.hub import Hub
from pytest_loopguard.stall import LoopKind, StackFrame, Stall

__all__ = ["NO_MARK", "LoopState", "describe"]

# Longest `Stall.running` text; a task repr can carry a long coroutine chain.
MAX_RUNNING_CHARS = 300
# How long a phase end waits for a loop thread that is recording the stretch it looked at.
RECORD_WAIT_SECONDS = 0.05
# How far down a task's chain of awaited coroutines `describe` looks.
MAX_AWAIT_DEPTH = 50
# `LoopState.mark_due` of a loop whose next stretch must take a mark.
NO_MARK = float("-inf")


class LoopState:
    """Busy/idle state and stack samples of one running loop."""

    __slots__ = (
        "hub",
        "kind",
        "thread_id",
        "busy_since",
        "stretch",
        "current",
        "running_of",
        "cpu_checked_in",
        "mark_due",
        "_charged",
        "_closing",
        "_recorded",
        "_lock",
        "_sample_stretch",
        "_counts",
        "_stacks",
    )

    def __init__(self, hub: Hub, kind: LoopKind) -> None:
        self.hub = hub
        self.kind = kind
        self.thread_id = threading.get_ident()
        self.busy_since: float | None = None
        self.stretch = 0
        # What the loop runs now (a Handle or a task), kept by probes that can afford it.
        self.current: object = None
        # Names what runs, for stalls without a sample; None: describe `current`. Never a
        # bound method of an object that holds this state: the cycle would keep a closed
        # loop alive until the cyclic GC runs (one loop per test under pytest-asyncio).
        self.running_of: Callable[[], str | None] | None = None
        # The thread whose CPU clock handle the detector last checked for this loop.
        self.cpu_checked_in: int | None = None
        # Clock time after which a stretch's start takes a new schedstat mark (see `begin_busy`).
        self.mark_due = NO_MARK
        # (stretch, start) charged at a phase end while under way; -1: none.
        self._charged: tuple[int, float] = (-1, 0.0)
        self._closing = -1  # the stretch the loop thread is recording now
        self._recorded = -1  # the last stretch the loop thread recorded (or dismissed)
        self._lock = threading.Lock()  # the samples; taken by the watchdog and by finish
        self._sample_stretch = -1
        self._counts: dict[StackFrame, int] = {}
        self._stacks: dict[StackFrame, tuple[StackFrame, ...]] = {}

    def begin_busy(self, now: float) -> None:
        """Mark the loop as busy from `now` (it just left its poll).

        Probes that inline this keep its mark check: a stretch starting after
        `mark_due` has the hub take a schedstat mark of this thread first, so the
        CPU wait before a stretch is never taken for wait inside it (`Hub.stretch_starts`).
        """
        self.stretch += 1
        self.busy_since = now
        if now > self.mark_due:
            self.mark_due = self.hub.stretch_starts(self)

    def end_busy(self, now: float, ended_with_loop: bool = False) -> None:
        """Mark the loop as idle again, recording a stall if it was busy too long."""
        since = self.busy_since
        if since is not None and now - since > self.hub.threshold_seconds:
            self.finish(now, now - since, ended_with_loop=ended_with_loop)
        self.busy_since = None

    def add_sample(self, stretch: int, stack: tuple[StackFrame, ...]) -> None:
        """File one sampled stack under its stretch, unless that stretch has ended."""
        with self._lock:
            if self.stretch == stretch:
                self._file_sample(stretch, stack)

    def _file_sample(self, stretch: int, stack: tuple[StackFrame, ...]) -> None:
        if stretch != self._sample_stretch:
            self._sample_stretch = stretch
            self._counts = {}
            self._stacks = {}
        blocking = stack[-1]
        self._counts[blocking] = self._counts.get(blocking, 0) + 1
        self._stacks.setdefault(blocking, stack)

    def finish(self, now: float, duration: float, ended_with_loop: bool = False) -> None:
        """Record a stall of the current stretch; never raises into the loop."""
        try:
            if not stopped_since(self.thread_id, now - duration):  # else: a debugger's stop
                self._record(now, duration, ended_with_loop)
        except Exception as exc:  # the loop must keep running whatever happens here
            self.hub.internal_error(exc)

    def _record(self, now: float, duration: float, ended_with_loop: bool) -> None:
        stretch = self.stretch
        try:
            self._record_stretch(stretch, now, duration, ended_with_loop)
        finally:
            self._recorded = stretch

    def _record_stretch(
        self, stretch: int, now: float, duration: float, ended_with_loop: bool
    ) -> None:
        hub = self.hub
        with self._lock:
            if self._sample_stretch == stretch:
                counts, stacks = self._counts, self._stacks
            else:
                counts, stacks = {}, {}
            self._sample_stretch = -1
            self._counts = {}
            self._stacks = {}
            self._closing = stretch
            charged, charged_start = self._charged
        ranked = tuple(sorted(counts.items(), key=lambda item: -item[1]))
        if charged == stretch:  # charged at a phase end: only its final length is news
            hub.record(
                self._stall(charged_start, now, ranked, stacks, ended_with_loop)._replace(
                    late=True
                )
            )
            return
        start = now - duration
        account = hub.judge_stretch(self.thread_id, stretch, start, now, bool(ranked))
        if account is None:
            return  # the process was not scheduled: not a stall of this loop's code
        hub.record(self._judged(self._stall(start, now, ranked, stacks, ended_with_loop), account))

    def snapshot(
        self, stretch: int, now: float, account: StretchAccount, unsampled_ok: bool
    ) -> Stall | None:
        """Charge the stretch under way as a stall so far, with the samples taken so far.

        Called from another thread at the end of a test phase. None when the
        stretch has ended, was charged before, or its loop thread is recording
        it: then that record is waited for (briefly), so the phase still gets
        it. None, and nothing charged, when it has no sample yet and not
        `unsampled_ok`.
        """
        counts: dict[StackFrame, int] = {}
        stacks: dict[StackFrame, tuple[StackFrame, ...]] = {}
        with self._lock:
            since = self.busy_since
            if self.stretch != stretch or since is None or self._charged[0] == stretch:
                return None  # ended, or charged at an earlier phase end
            if stopped_since(self.thread_id, since):
                return None  # its thread stopped in a debugger: no stall (see `debugger`)
            closing = self._closing == stretch
            if not closing:
                if self._sample_stretch == stretch:
                    counts, stacks = dict(self._counts), dict(self._stacks)
                elif not unsampled_ok:
                    return None
                self._charged = (stretch, since)
        if closing:
            deadline = time.monotonic() + RECORD_WAIT_SECONDS
            while self._recorded != stretch and time.monotonic() < deadline:
                time.sleep(0.0005)
            return None
        ranked = tuple(sorted(counts.items(), key=lambda item: -item[1]))
        stall = self._stall(since, now, ranked, stacks, False, _thread_name(self.thread_id))
        return self._judged(stall, account)._replace(still_blocked=True)

    def _judged(self, stall: Stall, account: StretchAccount) -> Stall:
        if account.explicit_gc_stack and (stall.blocking_frame is None or account.kind == "collect"):
            # No sample can be taken while gc.collect() holds the GIL, so samples only show
            # what ran around it (in anyio's suite, `traceback.extract_stack` reading source
            # lines): the call that held the loop most of the time is the blocking line.
            stack = account.explicit_gc_stack
            stall = stall._replace(blocking_frame=stack[-1], stack=stack)
        return stall._replace(
            cpu_wait_seconds=account.cpu_wait_seconds,
            gc_seconds=account.gc_seconds,
            # Wall time: it may hold CPU wait, which the verdict already left out.
            explicit_gc_seconds=min(account.explicit_gc_seconds, account.own_seconds),
            kind=account.kind,
            gc_only=judge(account, self.hub.threshold_seconds) == "gc",
        )

    def _stall(
        self,
        start: float,
        now: float,
        ranked: tuple[tuple[StackFrame, int], ...],
        stacks: dict[StackFrame, tuple[StackFrame, ...]],
        ended_with_loop: bool,
        thread_name: str | None = None,
    ) -> Stall:
        blocking = ranked[0][0] if ranked else None
        return Stall(
            duration_seconds=now - start,
            threshold_seconds=self.hub.threshold_seconds,
            loop_kind=self.kind,
            # None: called on the loop's own thread (finish runs there).
            thread_name=thread_name or threading.current_thread().name,
            blocking_frame=blocking,
            stack=stacks[blocking] if blocking is not None else (),
            samples=ranked,
            running=None if ranked else self._running(),
            ended_with_loop=ended_with_loop,
            started_at=start,
        )

    def _running(self) -> str | None:
        running_of = self.running_of
        return describe(self.current) if running_of is None else running_of()


def _thread_name(thread_id: int) -> str:
    """Name a thread from another one."""
    for thread in threading.enumerate():
        if thread.ident == thread_id:
            return thread.name
    return f"thread {thread_id}"


def describe(running: object) -> str | None:
    """Name a running callback or task briefly: the task when the callback steps one."""
    if running is None:
        return None
    callback = getattr(running, "_callback", None)
    owner = getattr(callback, "__self__", None)
    text = None
    if owner is not None and hasattr(owner, "get_coro"):
        text = _describe_task(owner)  # an asyncio task step: name the user's coroutine in it
        running = owner
    if text is None:
        text = repr(running)
    if len(text) > MAX_RUNNING_CHARS:
        text = text[: MAX_RUNNING_CHARS - 3] + "..."
    return text


def _describe_task(task: Any) -> str | None:
    """Name the user's coroutine a task runs: `test_fetch() at test_api.py:12 in task 'Task-3'`.

    Follows the chain of awaited coroutines down to the deepest one of the
    user's code. A runner task that awaits coroutines handed to it (anyio's
    test runner) has none in its chain once the step that blocked finished the
    test; the one it last awaited is still in its frame's locals.
    """
    found = None
    coro = task.get_coro()
    for _ in range(MAX_AWAIT_DEPTH):
        code, frame = _code_and_frame(coro)
        if code is None:
            break
        if default_is_user_frame(code.co_filename):
            found = coro
        elif found is None and frame is not None:
            found = _user_coroutine_in(frame)
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    code, frame = _code_and_frame(found)
    if code is None:
        return None
    name = getattr(found, "__qualname__", code.co_name)  # co_qualname is 3.11+
    path = _short_path(code.co_filename)
    task_name = task.get_name()
    if frame is None:  # it returned in the step that blocked
        return f"{name}() (returned; defined at {path}:{code.co_firstlineno}) in task {task_name!r}"
    return f"{name}() at {path}:{frame.f_lineno} in task {task_name!r}"


def _code_and_frame(coro: Any) -> tuple[Any, Any]:
    """Return a coroutine's (or generator's) code and frame; None for anything else."""
    code = getattr(coro, "cr_code", None) or getattr(coro, "gi_code", None)
    frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
    return code, frame


def _user_coroutine_in(frame: Any) -> Any:
    """Return a coroutine of the user's code held in a (machinery) frame's locals, if any."""
    for value in frame.f_locals.values():
        code, _ = _code_and_frame(value)
        if code is not None and default_is_user_frame(code.co_filename):
            return value
    return None


def _short_path(filename: str) -> str:
    relative = os.path.relpath(filename) if os.path.isabs(filename) else filename
    return filename if relative.startswith("..") else relative
