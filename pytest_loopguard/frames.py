"""Stack sampling: turn a blocked loop thread's frames into readable StackFrames.

The watchdog thread calls `capture_stack` with the loop thread's innermost frame
(from `sys._current_frames()`). The result runs from the outermost frame down to
the *blocking frame*: the deepest frame of the user's own code. Machinery frames
(asyncio, pytest, pluggy, trio, ...) are dropped so the stack stays readable.

`default_is_user_frame` decides "user code" by file name: anything that is not
the standard library, not an installed third-party package (site-packages) and
not event loop or test runner machinery. When a stack holds no user frame at
all (a library callback blocking the loop), the deepest frame that is not
machinery is named instead, which is still the most useful line to show.
"""

from __future__ import annotations

import functools
import importlib.util
import linecache
import os
from collections.abc import Callable
from types import FrameType
from typing import Any

from pytest_loopguard.stall import StackFrame

__all__ = [
    "MACHINERY_PACKAGES",
    "capture_stack",
    "default_is_user_frame",
    "is_machinery",
]

# Top-level modules whose frames are the loop's or the test runner's, never the culprit.
MACHINERY_PACKAGES = (
    "asyncio",
    "selectors",
    "threading",
    "concurrent",
    "contextlib",
    "runpy",
    "pytest",
    "_pytest",
    "pluggy",
    "pytest_asyncio",
    "anyio",
    "trio",
    "outcome",
    "sniffio",
    "uvloop",
    "xdist",
    "execnet",
    "pytest_timeout",
    "pytest_loopguard",
    # blockbuster's wrapper of a blocking function only passes the call through (projects run
    # it beside loopguard): the caller is the line to blame, as in calls mode's catalogue.
    "blockbuster",
)
# Sampling stops this far up a stack: deep recursion must not stall the watchdog.
MAX_DEPTH = 400


@functools.cache
def _machinery_prefixes() -> tuple[str, ...]:
    """Find where each machinery module lives, without importing it."""
    prefixes = []
    for name in MACHINERY_PACKAGES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None:
            continue
        for location in spec.submodule_search_locations or ():
            prefixes.append(os.path.join(location, ""))
        if not spec.submodule_search_locations and spec.has_location and spec.origin:
            prefixes.append(spec.origin)
    return tuple(prefixes)


@functools.cache
def _library_prefixes() -> tuple[str, ...]:
    """Return the standard library directories."""
    import sysconfig  # here: loading the plugin should not cost every pytest run this import

    paths = sysconfig.get_paths()
    dirs = {paths.get("stdlib"), paths.get("platstdlib"), os.path.dirname(os.__file__)}
    return tuple(os.path.join(d, "") for d in dirs if d)


@functools.lru_cache(maxsize=4096)
def is_machinery(filename: str) -> bool:
    """Tell whether a frame's file belongs to loop or test runner machinery."""
    if filename.startswith("<frozen "):
        return True
    return filename.startswith(_machinery_prefixes())


@functools.lru_cache(maxsize=4096)
def default_is_user_frame(filename: str) -> bool:
    """Tell whether a file is the user's own code, not the stdlib or an installed package."""
    if filename.startswith("<") or is_machinery(filename):
        return False
    parts = filename.replace("\\", "/").split("/")
    if "site-packages" in parts or "dist-packages" in parts:
        return False
    return not filename.startswith(_library_prefixes())


@functools.lru_cache(maxsize=4096)
def _stack_frame(filename: str, lineno: int, function: str) -> StackFrame:
    """Build one StackFrame, reading its source line once."""
    source = linecache.getline(filename, lineno).strip() if lineno else ""
    return StackFrame(filename, lineno, function, source)


def _frame_of(frame: Any) -> StackFrame:
    """Read file, line and function of a live frame as they are right now."""
    code = frame.f_code
    name = getattr(code, "co_qualname", None) or code.co_name
    return _stack_frame(code.co_filename, frame.f_lineno or 0, name)


def capture_stack(
    frame: FrameType | Any,
    is_user_frame: Callable[[str], bool] = default_is_user_frame,
) -> tuple[StackFrame, ...]:
    """Return the stack from the outermost frame down to the blocking frame.

    The last element is the blocking frame. An empty tuple means nothing in the
    stack could be blamed (only machinery, such as a loop waiting in select).
    """
    chain: list[FrameType | Any] = []
    while frame is not None and len(chain) < MAX_DEPTH:
        chain.append(frame)
        frame = frame.f_back
    chain.reverse()
    names = [f.f_code.co_filename for f in chain]
    entry = _entry_frames(names)
    chain, names = chain[entry:], names[entry:]
    blocking = _deepest(names, is_user_frame)
    if blocking is None:
        blocking = _deepest(names, lambda name: not is_machinery(name))
    if blocking is None:
        return ()
    kept = [
        _frame_of(f)
        for f, name in zip(chain[:blocking], names)
        if not is_machinery(name)
    ]
    kept.append(_frame_of(chain[blocking]))
    return tuple(kept)


def _entry_frames(names: list[str]) -> int:
    """Count the outermost frames compiled from a string: how the process was started.

    `python -c`, and the bootstrap execnet sends an xdist worker, run as
    `<string>`; those frames are never the code under test. Deeper `<string>`
    frames (the user's own exec) are kept.
    """
    count = 0
    for name in names:
        if not name.startswith("<") or name.startswith("<frozen "):
            break
        count += 1
    return count


def _deepest(names: list[str], wanted: Callable[[str], bool]) -> int | None:
    """Return the index of the innermost file name that is wanted."""
    for index in range(len(names) - 1, -1, -1):
        if wanted(names[index]):
            return index
    return None
