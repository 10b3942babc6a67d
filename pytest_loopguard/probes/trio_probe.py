"""trio probe: an instrument in every trio run, guest runs included.

trio calls `before_io_wait` and `after_io_wait` instrument hooks around its
I/O poll, which gives the same busy/idle stretches as the selector wrapper of
asyncio, measured on the run's own thread. To reach every run without the
user's help, `trio._core._run.setup_runner` is patched: both `trio.run` and
`trio.lowlevel.start_guest_run` create their runner through it, so the
instrument is added before the run's first hook fires.

There is no `before_task_step` hook: trio dispatches instrument calls in Python
and that hook alone would add about 2 us to every task step (measured with
benchmarks/detector_callback_cost.py), more than the rest of the probe. So
when no stack sample was taken, `Stall.running` names the run's main task
rather than the task that blocked.

Guest mode (anyio's pytest plugin drives trio tests as a guest on a plain
queue): the hooks run on the host's thread, and the time the guest waits for
I/O is idle, so the host's own work in between is never blamed on trio. When
the host is itself a probed asyncio or uvloop loop, that loop's probe already
times every guest tick, and the instrument steps aside to avoid reporting the
same stall twice.

trio is patched only once something imports it (see `patching`). A run that
started before the detector is not probed.
"""

from __future__ import annotations

import sys
import threading
from types import ModuleType
from typing import Any

from pytest_loopguard.probes.hub import Hub
from pytest_loopguard.probes.patching import AttributePatch, LazyProbe, wrapping
from pytest_loopguard.probes.state import NO_MARK, LoopState

__all__ = ["TrioProbe"]


class TrioProbe(LazyProbe):
    """Patch trio's runner setup once trio is imported."""

    kind = "trio"
    trigger_module = "trio._core._run"

    def patch_for(self, module: ModuleType) -> AttributePatch:
        original = module.setup_runner  # a trio without it: AttributeError, not installed
        return AttributePatch(module, "setup_runner", _make_setup_runner(self.hub, original))


def _make_setup_runner(hub: Hub, original: Any) -> Any:
    def setup_runner(*args: Any, **kwargs: Any) -> Any:
        runner = original(*args, **kwargs)
        if hub.started:
            try:
                guest = sys._getframe(1).f_code.co_name == "start_guest_run"
                runner.instruments.add_instrument(_Instrument(hub, runner, guest))
            except Exception as exc:  # run unprobed rather than break trio
                hub.internal_error(exc)
        return runner

    return wrapping(setup_runner, original)


class _Instrument:
    """trio instrument timing one run; trio calls only the hooks defined here."""

    def __init__(self, hub: Hub, runner: Any, guest: bool) -> None:
        self.hub = hub
        self.instruments = runner.instruments
        self.guest = guest
        self.state = LoopState(hub, "trio")
        self.state.running_of = lambda: _describe_run(runner)
        self.clock = hub.clock
        self.active = False

    def before_run(self) -> None:
        hub = self.hub
        if self.guest and _host_loop_probed(hub):
            self.instruments.remove_instrument(self)
            return
        self.state.thread_id = threading.get_ident()
        self.state.mark_due = NO_MARK  # a run's first stretch checks its thread's latest mark
        self.state.begin_busy(self.clock())
        self.active = True
        hub.activate(self.state, self.close)

    def close(self) -> None:
        """Stop timing; called by the detector's stop from any thread."""
        self.active = False

    def before_io_wait(self, timeout: float) -> None:
        state = self.state
        since = state.busy_since
        if since is not None:
            now = self.clock()
            if now - since > self.hub.threshold_seconds:
                state.finish(now, now - since)
            state.busy_since = None
        if not self.active:
            self._leave()

    def after_io_wait(self, timeout: float) -> None:
        self.state.begin_busy(self.clock())

    def after_run(self) -> None:
        if self.active:
            self.state.end_busy(self.clock(), ended_with_loop=True)
        self._leave()

    def _leave(self) -> None:
        # Removing ourselves from inside a hook is safe: trio iterates over a copy.
        self.active = False
        self.hub.deactivate(self.state)
        if self in self.instruments.get("_all", ()):
            self.instruments.remove_instrument(self)


def _host_loop_probed(hub: Hub) -> bool:
    """Tell whether an asyncio or uvloop loop probed by `hub` runs in this thread.

    A guest run starts from a callback of its host, so the host is busy now;
    an asyncio loop that is open but not running is watched too, and idle.
    """
    ident = threading.get_ident()
    return any(
        s.thread_id == ident and s.kind != "trio" and s.busy_since is not None
        for s in hub.watched_loops()
    )


def _describe_run(runner: Any) -> str | None:
    """Name the run by its main task, the best cheap hint at a blocked trio run."""
    task = getattr(runner, "main_task", None)
    return None if task is None else f"a task of the trio run of {task.name!r}"
