"""CallRecorder: one entry per call site, counted, until the guard drains them at phase end.

`record` runs on the loop's thread inside the blocked call, so the first call
at a site does the work (walking the stack, naming the call) and later calls
there only bump a counter. Source lines are read at report time, never here:
reading them would open files on the loop's thread.
"""

from __future__ import annotations

import threading
from types import FrameType
from typing import Any

from pytest_loopguard.calls.callers import entry_names, frame_of, locate, stack_of, via_names
from pytest_loopguard.calls.catalogue import CALL_NAMES, EXEMPT_VIA
from pytest_loopguard.calls.finding import CallFinding

__all__ = ["CallRecorder", "MAX_ERRORS"]

MAX_ERRORS = 100


class _Site:
    __slots__ = ("finding", "count", "activation")

    def __init__(self, finding: CallFinding | None, activation: FrameType | None) -> None:
        self.finding = finding  # None: calls here are part of another hooked call
        self.count = 1
        # The frame of the API call that made the last hooked call counted here. Held
        # until the phase ends, so that no other frame can take its id meanwhile.
        self.activation = activation


class CallRecorder:
    """The call findings of the phase under way, and the probe's internal errors."""

    def __init__(self, count_logging: bool = False) -> None:
        self.count_logging = count_logging
        self.on = False  # set by the guard while a phase with calls mode on runs
        self.errors: list[BaseException] = []
        self.error_count = 0
        self._lock = threading.Lock()
        self._sites: dict[tuple[Any, ...], _Site] = {}

    def record(self, call: str, static: tuple[str, ...], frame: FrameType, loop_kind: str) -> None:
        """Count a hooked `call` made below `frame` on a thread where a loop runs."""
        located = locate(frame, self.count_logging)
        if located is None:
            return
        via, _, caller, site = located
        key = (
            call if via is None else via.f_code,
            caller.f_code,
            caller.f_lineno,
            site.f_code,
            site.f_lineno,
        )
        known = self._sites.get(key)
        if known is not None:
            # Several hooked calls inside one API call (the stat, open and chmod of a
            # shutil.copy) count once: per activation of the API function's frame.
            if known.finding is not None and (via is None or known.activation is not via):
                with self._lock:
                    known.count += 1
                    known.activation = via
            return
        names = via_names(located)
        entry = entry_names(located)
        inside_other = any(n in CALL_NAMES for n in names) and call not in names
        if inside_other or any(n in EXEMPT_VIA for n in names):
            self._sites[key] = _Site(None, None)
            return
        finding = CallFinding(
            call=names[0] if names else call,
            hooked=call,
            times=1,
            site=frame_of(site),
            caller=None if caller is site else frame_of(caller),
            stack=stack_of(located),
            loop_kind=loop_kind,
            thread_name=threading.current_thread().name,
            static_names=tuple(dict.fromkeys([*names, call, *static])),
            entry_names=tuple(entry),
        )
        with self._lock:
            self._sites.setdefault(key, _Site(finding, via))

    def drain(self) -> list[CallFinding]:
        """Return the findings since the last drain, one per site, and forget them."""
        if not self._sites:
            return []
        with self._lock:
            sites, self._sites = self._sites, {}
        return [
            site.finding._replace(times=site.count)
            for site in sites.values()
            if site.finding is not None
        ]

    def internal_error(self, exc: BaseException) -> None:
        """Keep an error of the probe; it must never reach the loop."""
        with self._lock:
            self.error_count += 1
            if len(self.errors) < MAX_ERRORS:
                self.errors.append(exc)
