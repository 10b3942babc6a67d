"""pytest-loopguard: fail the tests during which an event loop was blocked."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
