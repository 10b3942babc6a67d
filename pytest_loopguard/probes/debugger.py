"""Debugger stops: a loop thread waiting at a pdb prompt is the user reading, not a stall.

pdb calls `Pdb.interaction` each time it stops and waits for a command: at
`breakpoint()`, under pytest's `--pdb` and `--trace`, at every step, and in
the debuggers built on `pdb.Pdb` (pytest's own wrapper, ipdb, pdbpp). The
probe wraps it and notes, per thread, when the latest stop began and ended. A
busy stretch of a loop whose thread stopped in the debugger meanwhile is not
a stall: its length is the time the user took to read, and the code ran
under a trace function. `stopped_since(thread_id, start)` tells; `at_prompt`
tells whether the thread waits at a prompt now (calls mode does not count what
pdb reads there, nor what the user runs at it).

Debuggers that do not go through `pdb.Pdb` (debugpy, PyCharm's pydevd) are
not seen. pdb is patched only once something imports it (see `patching`).
"""

from __future__ import annotations

import threading
from types import ModuleType
from typing import Any

from pytest_loopguard.probes.hub import Hub
from pytest_loopguard.probes.patching import AttributePatch, LazyProbe, wrapping

__all__ = ["DebuggerProbe", "at_prompt", "stopped_since"]

# Thread id -> [start, end] of the latest debugger stop in it (end None while stopped).
# Module state on purpose: a debugger stops the whole thread, whichever detector runs.
_STOPS: dict[int, list[float | None]] = {}


def stopped_since(thread_id: int, start: float) -> bool:
    """Tell whether the debugger stopped the thread at any time after `start`."""
    stop = _STOPS.get(thread_id)
    if stop is None:
        return False
    end = stop[1]
    return end is None or end > start


def at_prompt(thread_id: int) -> bool:
    """Tell whether the thread is stopped in the debugger now."""
    stop = _STOPS.get(thread_id)
    return stop is not None and stop[1] is None


class DebuggerProbe(LazyProbe):
    """Patch `pdb.Pdb.interaction` once pdb is imported."""

    kind = "pdb"
    trigger_module = "pdb"
    not_watched = "time stopped at a pdb prompt may be reported as a stall"

    def patch_for(self, module: ModuleType) -> AttributePatch:
        pdb_class = module.Pdb
        wrapper = _make_interaction(self.hub, pdb_class.interaction)
        return AttributePatch(pdb_class, "interaction", wrapper)


def _make_interaction(hub: Hub, original: Any) -> Any:
    clock = hub.clock

    def interaction(debugger: Any, *args: Any, **kwargs: Any) -> Any:
        stop: list[float | None] = [clock(), None]
        _STOPS[threading.get_ident()] = stop
        try:
            return original(debugger, *args, **kwargs)
        finally:
            stop[1] = clock()

    return wrapping(interaction, original)
