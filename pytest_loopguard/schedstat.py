"""SchedStat: how long a thread ran on a CPU and how long it waited for one.

Linux keeps three counters per thread in `/proc/<pid>/task/<tid>/schedstat`:
nanoseconds spent on a CPU, nanoseconds spent runnable in a run queue (ready
to run, but another process had the CPU) and the number of time slices. The
second one is what an overloaded machine steals from a loop: the detector
subtracts it from a busy stretch (see `accounting`). Reading it costs a few
syscalls, so it is read by the watchdog at its wake-ups and at its looks at a
long stretch, by a loop thread as a stretch starts when its latest reading has
grown old, and once when a stretch over the threshold ends; never per callback.

The second counter is not always right: on Linux 6.18 (EEVDF's delayed
dequeue) a thread that goes to sleep after using more than its share of a
busy CPU can have much of that sleep counted as run-queue wait, though it ran
not at all. `blocked` reads the thread's state from `/proc/<pid>/task/<tid>/stat`
so that the watchdog can tell (see `threadmarks`).

Where the file does not exist (macOS, Windows, a kernel without schedstats,
a sandbox hiding /proc) `available` is False and every read returns None: the
detector then judges stretches on wall time, as before.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import NamedTuple

__all__ = ["NS", "SchedStat", "ThreadTimes", "read_proc_file"]

NS = 1e-9  # the counters' unit, in seconds
# Bound at import, before a test's patcher of `os` (blockbuster raises on os.read in a loop)
# can wrap them: reading /proc is the detector's own non-blocking work on the loop thread.
_os_open, _os_read, _os_close = os.open, os.read, os.close


class ThreadTimes(NamedTuple):
    """A thread's cumulative CPU and run-queue times, in seconds."""

    on_cpu_seconds: float
    cpu_wait_seconds: float


def read_proc_file(path: str) -> bytes | None:
    """Return a /proc file's contents, or None when it cannot be read (thread gone)."""
    try:
        fd = _os_open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        return _os_read(fd, 128)
    except OSError:
        return None
    finally:
        _os_close(fd)


class SchedStat:
    """Read the schedstat counters of this process's threads, by native thread id."""

    def __init__(
        self,
        read: Callable[[str], bytes | None] = read_proc_file,
        pid: int | None = None,
    ) -> None:
        """`read` is injectable for tests: path -> file contents or None."""
        self._read = read
        self._prefix = f"/proc/{os.getpid() if pid is None else pid}/task/"
        self.available = self.read(None) is not None

    def read(self, native_id: int | None) -> ThreadTimes | None:
        """Return the thread's counters (the process's when `native_id` is None), or None."""
        if native_id is None:
            path = self._prefix[: -len("task/")] + "schedstat"
        else:
            path = f"{self._prefix}{native_id}/schedstat"
        data = self._read(path)
        if not data:
            return None
        fields = data.split()
        if len(fields) < 2:
            return None
        try:
            return ThreadTimes(int(fields[0]) * NS, int(fields[1]) * NS)
        except ValueError:
            return None

    def blocked(self, native_id: int) -> bool | None:
        """Tell whether the thread is blocked now (asleep, in I/O, stopped); None: unknown.

        A runnable thread, on a CPU or waiting for one, is not blocked.
        """
        data = self._read(f"{self._prefix}{native_id}/stat")
        if not data:
            return None
        # "pid (comm) S ...": the name may hold spaces and parentheses, the fields after not.
        closing = data.rfind(b")")
        if closing < 0:
            return None
        state = data[closing + 2 : closing + 3]
        return state != b"R" if state else None
