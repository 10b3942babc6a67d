"""pytest-loopguard: fail the tests during which an event loop was blocked."""

from __future__ import annotations

from flake8_asyncblock import __version__
from pytest_loopguard.keys import LoopguardWarning

__all__ = ["LoopguardWarning", "__version__"]
