"""The fixes a rule can declare (`fix = ToThread(safe=False)`): what the `asyncblock` command may rewrite.

A fix here is only the declaration, cheap to import while linting; the
libcst rewrite each one stands for lives in `fix_edits.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from flake8_asyncblock.libraries import ASYNCIO, AsyncLibrary

__all__ = ["AwaitAsyncSleep", "AwaitCoroutine", "Fix", "FixSafety", "ToThread", "fix_safety"]

#: "safe": `--fix` applies it; "unsafe": only with `--unsafe-fixes`, since it can change behaviour.
FixSafety = Literal["safe", "unsafe"]


@dataclass(frozen=True)
class Fix:
    """A rewrite the `asyncblock` command offers for a rule's findings."""

    safe: bool
    #: The rewrite as the docs show it, `{...}` filled from an AsyncLibrary.
    rewrite: ClassVar[str] = ""

    @property
    def safety(self) -> FixSafety:
        return "safe" if self.safe else "unsafe"

    def allowed(self, unsafe_fixes: bool) -> bool:
        """Tell whether the command applies this fix when `--unsafe-fixes` is `unsafe_fixes`."""
        return self.safe or unsafe_fixes

    def describe(self, library: AsyncLibrary = ASYNCIO) -> str:
        """Return the rewrite in words for the docs, with `library`'s names."""
        return self.rewrite.format(library=library)


@dataclass(frozen=True)
class AwaitAsyncSleep(Fix):
    """`time.sleep(x)` -> `await asyncio.sleep(x)` (trio's or anyio's when the module uses it)."""

    safe: bool = True
    rewrite: ClassVar[str] = "`time.sleep(x)` -> `await {library.sleep}(x)`"


@dataclass(frozen=True)
class ToThread(Fix):
    """`f(*a, **k)` -> `await asyncio.to_thread(f, *a, **k)`: the call moves to a worker thread.

    Unsafe as a rule: the function then runs in another thread, which code
    that is not thread-safe or that relies on thread-local state may not survive.
    """

    rewrite: ClassVar[str] = "`f(...)` -> `await {library.to_thread}(f, ...)`"


@dataclass(frozen=True)
class AwaitCoroutine(Fix):
    """`await runner(fn, *a)` -> `await fn(*a)`: await the coroutine function a pool was given."""

    rewrite: ClassVar[str] = (
        "`await {library.to_thread}(fn, ...)` or `await loop.run_in_executor(None, fn, ...)` "
        "-> `await fn(...)`"
    )


def fix_safety(fix: Fix | None) -> FixSafety | None:
    """Return "safe", "unsafe", or None when the rule offers no fix."""
    return fix.safety if fix is not None else None
