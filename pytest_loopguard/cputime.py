"""ThreadCpuClock: read how much CPU time a loop thread has used, from any thread.

The detector uses it to tell a loop that was busy from a process the operating
system did not run (see `detector`). A thread's handle must be taken on that
thread (`handle()`); `read(handle)` then works from any thread, and returns
None once the thread has ended. Where the platform cannot read another thread's
CPU clock (no `time.pthread_getcpuclockid`, as on macOS and Windows), `handle()`
returns None and every stall counts as before.
"""

from __future__ import annotations

import threading
import time

__all__ = ["ThreadCpuClock"]


class ThreadCpuClock:
    """The per-thread CPU clocks of POSIX threads."""

    available = hasattr(time, "pthread_getcpuclockid")

    def handle(self) -> object | None:
        """Return a handle to the calling thread's CPU clock, or None where there is none."""
        if not self.available:
            return None
        try:
            return time.pthread_getcpuclockid(threading.get_ident())
        except (OSError, OverflowError):
            return None

    def read(self, handle: object) -> float | None:
        """Return the CPU seconds the thread has used so far, or None when it has ended."""
        try:
            # Handles are opaque to the detector; this clock's are the ints handle() made.
            return time.clock_gettime(handle)  # type: ignore[arg-type]
        except (OSError, OverflowError, TypeError):
            return None
