"""Per-loop probes: small adapters that time one kind of event loop for the detector.

Each probe has `install()` and `uninstall()`. asyncio's is patched at once;
uvloop's and trio's wait until the library is imported (see `patching`), so a
run that never imports them neither pays for the import nor patches them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pytest_loopguard.detector import StallDetector

__all__ = ["Probe", "make_probes"]


class Probe(Protocol):
    """What the detector needs of a probe."""

    def install(self) -> None: ...

    def uninstall(self) -> None: ...


def make_probes(hub: StallDetector) -> list[Probe]:
    """Return one probe per supported loop kind."""
    from pytest_loopguard.probes.asyncio_probe import AsyncioProbe
    from pytest_loopguard.probes.trio_probe import TrioProbe
    from pytest_loopguard.probes.uvloop_probe import UvloopProbe

    return [AsyncioProbe(hub), UvloopProbe(hub), TrioProbe(hub)]
