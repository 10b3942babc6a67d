"""Stall and StackFrame: plain data, one record type from the detector to every report.

The detector records a Stall; the guard adds the test and phase it belongs to;
the failure text, the warning, the summary and the JSON report all read it.
Only where it leaves the process (xdist's report attribute, the JSON file) is
it a dict (`records.stall_to_record`).

Named tuples rather than dataclasses: every pytest run that loads the plugin
imports these, and a frozen dataclass costs about a millisecond to create.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

__all__ = ["LoopKind", "Phase", "StackFrame", "Stall", "StallKind", "StarvedStretch"]

# The kinds of event loop a probe times.
LoopKind = Literal["asyncio", "uvloop", "trio"]
# The test phases a stall is charged to.
Phase = Literal["setup", "call", "teardown"]
# What the loop thread did during a stall: computed, waited in a blocking call, or ran
# an explicit gc.collect() (computing, but with a cure of its own).
StallKind = Literal["cpu", "waiting", "collect"]


class StackFrame(NamedTuple):
    """One frame of the loop thread's stack, captured while the loop was blocked."""

    filename: str
    lineno: int
    function: str
    source_line: str = ""


class Stall(NamedTuple):
    """A stretch during which one event loop could not get back to polling for I/O."""

    duration_seconds: float
    threshold_seconds: float
    loop_kind: LoopKind
    thread_name: str
    # The deepest frame of user code seen while blocked; None when the thread
    # could not be sampled in time (a C call holding the GIL for the whole stall).
    blocking_frame: StackFrame | None = None
    # The loop thread's stack, outermost first, as sampled at blocking_frame.
    stack: tuple[StackFrame, ...] = ()
    # Each distinct blocking frame seen across samples, with how many samples saw it,
    # most seen first. Several entries mean a CPU-bound stall moving between lines.
    samples: tuple[tuple[StackFrame, int], ...] = ()
    # What the loop was running when no sample could be taken: a task or callback repr.
    running: str | None = None
    # True when the loop stopped while still blocked (the stall ended the run).
    ended_with_loop: bool = False
    # The detector clock's reading when the stretch began.
    started_at: float = 0.0
    # The pytest node id and phase it stalled; set by the guard.
    test_id: str = ""
    phase: Phase | None = None
    # Seconds of the stretch its thread spent waiting for a CPU, and in automatic
    # garbage collections: both left out of the verdict (see `accounting`).
    cpu_wait_seconds: float = 0.0
    gc_seconds: float = 0.0
    # Seconds of it in gc.collect() calls of the code: its own time, kept in the verdict.
    explicit_gc_seconds: float = 0.0
    # Computing or waiting, from the thread's CPU time; None where that is unknown.
    kind: StallKind | None = None
    # True when only automatic garbage collection made the stretch longer than the
    # threshold: reported apart, not a failure of the test.
    gc_only: bool = False
    # True when charged at the end of a test phase while its loop was still blocked
    # (duration and samples so far); `final_duration_seconds` is its whole length,
    # once it ended. `late` marks the detector's record of that end, which the guard
    # folds into the charged stall: no phase is charged for it.
    still_blocked: bool = False
    final_duration_seconds: float | None = None
    late: bool = False


class StarvedStretch(NamedTuple):
    """A stretch over the threshold that was not counted: its thread may have waited for a CPU.

    Kept so that a reader can check the dismissal: how long it was, the CPU
    wait it provably held and the most it can have held (None: unknown), and
    whether the watchdog got to sample it.
    """

    duration_seconds: float
    threshold_seconds: float
    thread_name: str
    cpu_wait_seconds: float
    most_cpu_wait_seconds: float | None
    sampled: bool
    # The pytest node id and phase it happened in; set by the guard.
    test_id: str = ""
    phase: Phase | None = None
