"""Per-loop probes: small adapters that time one kind of event loop for the detector.

Each probe has `install()` and `uninstall()` and sees the detector only through
`hub.Hub`. asyncio's is patched at once; uvloop's and trio's wait until the
library is imported (see `patching`), so a run that never imports them neither
pays for the import nor patches them.
"""

from __future__ import annotations

from pytest_loopguard.probes.asyncio_probe import AsyncioProbe
from pytest_loopguard.probes.debugger import DebuggerProbe
from pytest_loopguard.probes.hub import Hub, Probe
from pytest_loopguard.probes.trio_probe import TrioProbe
from pytest_loopguard.probes.uvloop_probe import UvloopProbe

__all__ = ["make_probes"]


def make_probes(hub: Hub) -> list[Probe]:
    """Return one probe per supported loop kind, and the one that sees debugger stops."""
    return [AsyncioProbe(hub), UvloopProbe(hub), TrioProbe(hub), DebuggerProbe(hub)]
