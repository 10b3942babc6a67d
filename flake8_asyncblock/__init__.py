"""flake8-asyncblock: find code that blocks the event loop before it runs."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
