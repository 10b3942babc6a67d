"""Which frame made a blocking call, whether it counts, and the names to report it under.

From the frame that made the hooked call, `locate` walks up through the
standard library's API frames (`os.path.exists` calling `os.stat`) to the
first frame of other code: the *caller*. The caller decides. The loop's and
the test runner's own code (asyncio, trio, the import system, linecache,
pytest, this plugin, ...) is exempt; the logging package is exempt unless the
session counts it, and so is a library either of them called into; anything
else counts, and the finding is charged to the deepest frame of the user's own
code at or above the caller, so a call made inside a library is shown at the
line of the project that called into it.
"""

from __future__ import annotations

import functools
import os
from types import CodeType, FrameType
from typing import NamedTuple

from pytest_loopguard.calls.catalogue import API_MODULES, FRAME_KINDS, PUBLIC_CLASSES, FrameKind
from pytest_loopguard.frames import is_machinery
from pytest_loopguard.stall import StackFrame

__all__ = ["Located", "classify", "entry_names", "frame_of", "locate", "stack_of", "via_names"]

_STDLIB = os.path.join(os.path.dirname(os.__file__), "")
_PACKAGE_DIRS = ("site-packages", "dist-packages")
# Frames of the wrappers and the monitoring callback: they only pass the call on.
_PROBE_FILES = frozenset(os.path.join(os.path.dirname(__file__), name) for name in ("probe.py", "monitor.py"))
MAX_DEPTH = 400


class Located(NamedTuple):
    """Where a counted call came from."""

    via: FrameType | None  # the outermost public standard library function on the way
    outermost: FrameType | None  # the outermost standard library API frame, public or not
    caller: FrameType  # the first frame that is not standard library API
    site: FrameType  # the deepest user frame at or above the caller


def _module_of(filename: str) -> tuple[str | None, bool]:
    """Return (dotted module name or None, whether it is an installed or stdlib module)."""
    if filename.startswith("<frozen "):
        return filename[8:-1], True
    path = filename.replace("\\", "/")
    for marker in _PACKAGE_DIRS:
        if f"/{marker}/" in path:
            return _dotted(path.rsplit(f"/{marker}/", 1)[1]), True
    if filename.startswith(_STDLIB):
        return _dotted(filename[len(_STDLIB):].replace("\\", "/")), True
    return None, False


def _dotted(relative: str) -> str:
    if relative.endswith(".py"):
        relative = relative[:-3]
    return relative.removesuffix("/__init__").replace("/", ".")


@functools.lru_cache(maxsize=4096)
def classify(filename: str) -> FrameKind:
    """Tell what kind of code a frame's file holds."""
    if filename in _PROBE_FILES:
        return "transparent"
    module, installed = _module_of(filename)
    if module is not None:
        top = module.partition(".")[0]
        if module in API_MODULES or top in API_MODULES:
            return "api"
        kind = FRAME_KINDS.get(top)
        if kind is not None:
            return kind
    if is_machinery(filename):
        return "machinery"
    if installed or filename.startswith("<"):
        return "library" if installed else "user"
    return "user"


def _public(code: CodeType) -> bool:
    qualname: str = getattr(code, "co_qualname", code.co_name)
    return all(
        not part.startswith("_") or (part.startswith("__") and part.endswith("__"))
        for part in qualname.split(".")
    )


def locate(frame: FrameType | None, count_logging: bool) -> Located | None:
    """Find who made the call `frame` made; None when the call is exempt."""
    via = outermost = None
    kind: FrameKind = "user"
    while frame is not None:
        kind = classify(frame.f_code.co_filename)
        if kind == "api":
            outermost = frame
            if _public(frame.f_code):
                via = frame
        elif kind != "transparent":
            break
        frame = frame.f_back
    if frame is None or kind == "machinery" or (kind == "logging" and not count_logging):
        return None
    site = frame
    if kind != "user":
        above = frame.f_back
        while above is not None:
            above_kind = classify(above.f_code.co_filename)
            if above_kind == "user":
                site = above
                break
            # A library working for exempt code (`traceback` parsing a line with `ast`) is exempt.
            if above_kind == "machinery" or (above_kind == "logging" and not count_logging):
                return None
            above = above.f_back
    return Located(via, outermost, frame, site)


def _public_name(module: str) -> str:
    name = API_MODULES.get(module)
    if name is not None:
        return name
    parts = module.split(".")
    kept = [parts[0], *(p for p in parts[1:] if not p.startswith("_"))]
    return API_MODULES.get(".".join(kept), ".".join(kept))


def _qualnames(frame: FrameType) -> list[str]:
    """The function's qualified name, then the same method under each class of `self`."""
    code = frame.f_code
    # Python 3.10's code objects carry no qualified name: there a method is named after the
    # class of `self` that defines it, and the bare function name comes last.
    qualname: str | None = getattr(code, "co_qualname", None)
    names = [] if qualname is None else [qualname]
    owner = frame.f_locals.get("self") if code.co_argcount else None
    if owner is not None and not isinstance(owner, type):
        for cls in type(owner).__mro__[:-1]:  # not object
            if code.co_name in vars(cls) and not cls.__name__.startswith("_"):
                names.append(f"{cls.__name__}.{code.co_name}")
    if qualname is None:
        names.append(code.co_name)
    return names


def _names(frame: FrameType) -> list[str]:
    module, _ = _module_of(frame.f_code.co_filename)
    if module is None:
        return []
    prefix = _public_name(module)
    names = []
    for qualname in _qualnames(frame):
        owner, _, function = f"{prefix}.{qualname}".removesuffix(".__init__").rpartition(".")
        name = f"{PUBLIC_CLASSES.get(owner, owner)}.{function}"
        if name not in names:
            names.append(name)
    return names


def via_names(located: Located) -> list[str]:
    """Names of the standard library function the call was made through, best first.

    A public generator may hand over to a private one and return before the
    hooked call (`os.walk` and `os._walk` in Python 3.11): a private function
    outside the public one is named without its underscore.
    """
    outermost = located.outermost
    if outermost is not None and outermost is not located.via:
        names = _names(outermost)
        if names and "." not in getattr(outermost.f_code, "co_qualname", "."):
            module, _, name = names[0].rpartition(".")
            return [f"{module}.{name.lstrip('_')}"]
    return [] if located.via is None else _names(located.via)


def entry_names(located: Located) -> list[str]:
    """Names of the library function the user's code called, for a call made in a library."""
    if located.site is located.caller:
        return []
    frame: FrameType | None = located.caller
    entry = None
    while frame is not None and frame is not located.site:
        entry = frame
        frame = frame.f_back
    return [] if entry is None else _names(entry)


def _stack_frame(frame: FrameType) -> StackFrame:
    code = frame.f_code
    return StackFrame(code.co_filename, frame.f_lineno or 0, getattr(code, "co_qualname", code.co_name))


def stack_of(located: Located) -> tuple[StackFrame, ...]:
    """The loop thread's stack from its outermost frame down to the caller, machinery left out."""
    chain: list[FrameType] = []
    frame: FrameType | None = located.caller
    while frame is not None and len(chain) < MAX_DEPTH:
        chain.append(frame)
        frame = frame.f_back
    chain.reverse()
    kept = [
        _stack_frame(f)
        for f in chain
        if f is located.caller or f is located.site or not is_machinery(f.f_code.co_filename)
    ]
    return tuple(kept)


def frame_of(frame: FrameType) -> StackFrame:
    """One frame as plain data; source lines are read later, away from the loop."""
    return _stack_frame(frame)

