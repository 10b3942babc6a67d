"""pytest-loopguard: fail the tests during which an event loop was blocked."""

from __future__ import annotations

from typing import Any

from flake8_asyncblock import __version__

__all__ = ["LoopguardWarning", "__version__"]


def __getattr__(name: str) -> Any:
    """Load LoopguardWarning on demand: the detector and data modules stay free of pytest."""
    if name == "LoopguardWarning":
        from pytest_loopguard.plugin import LoopguardWarning

        return LoopguardWarning
    raise AttributeError(f"module 'pytest_loopguard' has no attribute {name!r}")
