"""trio probe: an instrument in every trio run, guest runs included.

trio calls `before_io_wait` and `after_io_wait` instrument hooks around its
I/O poll, which gives the same busy/idle stretches as the selector wrapper of
asyncio, measured on the run's own thread. To reach every run without the
user's help, `trio._core._run.setup_runner` is patched: both `trio.run` and
`trio.lowlevel.start_guest_run` create their runner through it, so the
instrument is added before the run's first hook fires. `before_task_step`
remembers the task stepping now, for `Stall.running`.

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
from typing import TYPE_CHECKING, Any

from pytest_loopguard.probes.patching import AttributePatch, WhenImported
from pytest_loopguard.probes.state import LoopState

if TYPE_CHECKING:
    from pytest_loopguard.detector import StallDetector

__all__ = ["TrioProbe"]


class TrioProbe:
    """Patch trio's runner setup once trio is imported."""

    kind = "trio"

    def __init__(self, hub: StallDetector) -> None:
        self.hub = hub
        self._patch: AttributePatch | None = None
        self._hook = WhenImported("trio._core._run", self._patch_module)

    def install(self) -> None:
        """Patch now if trio is loaded, else when it gets imported."""
        self._hook.install()

    def uninstall(self) -> None:
        """Stop waiting for the import and restore `setup_runner`."""
        self._hook.uninstall()
        if self._patch is not None:
            self._patch.restore()
            self._patch = None

    def _patch_module(self, module: ModuleType) -> None:
        original = getattr(module, "setup_runner", None)
        if original is None or self._patch is not None or not self.hub._started:
            return
        self._patch = AttributePatch(module, "setup_runner", _make_setup_runner(self.hub, original))
        self._patch.apply()


def _make_setup_runner(hub: StallDetector, original: Any) -> Any:
    def setup_runner(*args: Any, **kwargs: Any) -> Any:
        runner = original(*args, **kwargs)
        if hub._started:
            try:
                guest = sys._getframe(1).f_code.co_name == "start_guest_run"
                runner.instruments.add_instrument(_Instrument(hub, runner.instruments, guest))
            except Exception as exc:  # run unprobed rather than break trio
                hub._internal_error(exc)
        return runner

    setup_runner.__wrapped__ = original  # type: ignore[attr-defined]
    return setup_runner


class _Instrument:
    """trio instrument timing one run; trio calls only the hooks defined here."""

    def __init__(self, hub: StallDetector, instruments: Any, guest: bool) -> None:
        self.hub = hub
        self.instruments = instruments
        self.guest = guest
        self.state: LoopState | None = None
        self.closed = False

    def before_run(self) -> None:
        hub = self.hub
        if self.guest and _host_loop_probed(hub):
            self.instruments.remove_instrument(self)
            return
        self.state = LoopState(hub, "trio")
        self.state.begin_busy(hub._clock())
        hub._activate(self.state, self.close)

    def close(self) -> None:
        """Stop timing; called by the detector's stop from any thread."""
        self.closed = True

    def before_io_wait(self, timeout: float) -> None:
        if self.closed:
            self._leave()
        elif self.state is not None:
            self.state.end_busy(self.hub._clock())

    def after_io_wait(self, timeout: float) -> None:
        if self.state is not None:
            self.state.begin_busy(self.hub._clock())

    def before_task_step(self, task: Any) -> None:
        if self.state is not None:
            self.state.current = task

    def after_run(self) -> None:
        state = self.state
        if state is None:
            return
        if not self.closed:
            state.end_busy(self.hub._clock(), ended_with_loop=True)
        state.current = None
        self.hub._deactivate(state)

    def _leave(self) -> None:
        # Removing ourselves from inside a hook is safe: trio iterates over a copy.
        if self.state is not None:
            self.hub._deactivate(self.state)
            self.state = None
        self.instruments.remove_instrument(self)


def _host_loop_probed(hub: StallDetector) -> bool:
    """Tell whether an asyncio or uvloop loop probed by `hub` runs in this thread."""
    ident = threading.get_ident()
    return any(s.thread_id == ident and s.kind != "trio" for s in hub._active)
