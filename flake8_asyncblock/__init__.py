"""flake8-asyncblock: find code that blocks the event loop before it runs."""

from __future__ import annotations

# The distribution's version, written only here: setuptools reads it for the package metadata
# and pytest_loopguard re-exports it. It lives in this package because this module imports
# nothing, so `asyncblock --version` and the plugin both get it for free.
__version__ = "0.1.0"
__all__ = ["__version__"]
