"""Stall and StackFrame: plain data passed from the detector to the report."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["StackFrame", "Stall"]


@dataclass(frozen=True)
class StackFrame:
    """One frame of the loop thread's stack, captured while the loop was blocked."""

    filename: str
    lineno: int
    function: str
    source_line: str = ""


@dataclass(frozen=True)
class Stall:
    """A stretch during which one event loop could not get back to polling for I/O."""

    duration_seconds: float
    threshold_seconds: float
    loop_kind: str  # "asyncio", "uvloop" or "trio"
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
    started_at: float = field(default=0.0, compare=False)
