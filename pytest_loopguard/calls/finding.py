"""CallFinding: one blocking call site seen in one test phase; plain data."""

from __future__ import annotations

from typing import NamedTuple

from pytest_loopguard.stall import StackFrame

__all__ = ["CallFinding"]


class CallFinding(NamedTuple):
    """A call site that made a known blocking call on a running loop's thread."""

    call: str  # as resolved: the API the code called, e.g. "os.path.exists"
    hooked: str  # the hooked call that gave it away, e.g. "os.stat"
    times: int
    site: StackFrame  # the deepest frame of the user's code on the way to the call
    caller: StackFrame | None  # the library frame that made the call; None: the site did
    stack: tuple[StackFrame, ...]  # the loop thread's stack, outermost first, down to the caller
    loop_kind: str  # "asyncio", "uvloop" or "trio"
    thread_name: str
    # Names the static linter may know the call by, best first (for its ABL code).
    static_names: tuple[str, ...] = ()
    # For a call made inside a library: the names of the library function the
    # user's code called, best first; the linter can only find that call.
    entry_names: tuple[str, ...] = ()
