"""SchedStat: how long a thread ran on a CPU and how long it waited for one.

Linux keeps three counters per thread in `/proc/<pid>/task/<tid>/schedstat`:
nanoseconds spent on a CPU, nanoseconds spent runnable in a run queue (ready
to run, but another process had the CPU) and the number of time slices. The
second one is what an overloaded machine steals from a loop: the detector
subtracts it from a busy stretch (see `accounting`). Reading it costs a few
syscalls, so it is read by the watchdog at its wake-ups and once when a
stretch over the threshold ends, never per callback.

Where the file does not exist (macOS, Windows, a kernel without schedstats,
a sandbox hiding /proc) `available` is False and every read returns None: the
detector then judges stretches on wall time, as before.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import NamedTuple

__all__ = ["SchedStat", "ThreadTimes", "read_proc_file"]

NS = 1e-9
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
