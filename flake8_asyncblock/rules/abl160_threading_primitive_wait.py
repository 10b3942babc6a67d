"""ABL160 threading-primitive-wait: a blocking acquire() or wait() on a threading primitive."""

from __future__ import annotations

import ast
from typing import Any

from flake8_asyncblock.calls import argument, is_constant, to_thread_call
from flake8_asyncblock.rule import BlockingCallRule, Invalid, Valid

__all__ = ["ThreadingPrimitiveWait"]

_TYPES = {
    "threading.Lock": "threading.Lock",
    "threading.RLock": "threading.RLock",
    "threading.Semaphore": "threading.Semaphore",
    "threading.BoundedSemaphore": "threading.Semaphore",
    "threading.Event": "threading.Event",
    "threading.Condition": "threading.Condition",
    "threading.Barrier": "threading.Barrier",
}
_ACQUIRE = ("threading.Lock", "threading.RLock", "threading.Semaphore", "threading.Condition")
#: Method -> (position, keyword) of the argument that can make it return at once.
_METHODS: dict[str, tuple[int, str]] = {
    **{f"{kind}.acquire": (0, "blocking") for kind in _ACQUIRE},
    "threading.Event.wait": (0, "timeout"),
    "threading.Condition.wait": (0, "timeout"),
    "threading.Condition.wait_for": (1, "timeout"),
    "threading.Barrier.wait": (0, "timeout"),
}
_ASYNC_KIND = {
    "Lock": "Lock", "RLock": "Lock", "Semaphore": "Semaphore",
    "Event": "Event", "Condition": "Condition", "Barrier": "Barrier",
}


class ThreadingPrimitiveWait(BlockingCallRule):
    """Flag waits on threading locks, events and conditions made from a coroutine."""

    code = "ABL160"
    slug = "threading-primitive-wait"
    message = (
        "{call}() blocks the event loop until another thread lets it go; "
        "between coroutines use {primitive}, else await {to_thread_call}"
    )
    summary = (
        "a blocking acquire(), wait() or wait_for() on a threading Lock, RLock, Semaphore, "
        "Event, Condition or Barrier value inside an async def."
    )
    why = (
        "A threading primitive waits by parking the calling thread, here the loop's "
        "thread; if the party that would release it is another task on the same loop, "
        "it never runs and the program deadlocks."
    )
    constructors = _TYPES
    blocking_calls = frozenset(_METHODS)

    valid = (
        Valid("""
            import asyncio
            import threading

            async def worker(event: asyncio.Event, stop: threading.Event):
                lock = asyncio.Lock()
                await lock.acquire()
                await event.wait()
                stop.wait(0)
                threading.Lock().acquire(blocking=False)

            def thread_body(ready: threading.Event):
                ready.wait()
        """),
    )
    invalid = (
        Invalid(
            """
            import threading

            ready = threading.Event()

            async def handler():
                ready.wait()
            """,
            errors=["ABL160:6:5"],
            fixed="""
            import asyncio

            ready = asyncio.Event()

            async def handler():
                await ready.wait()
            """,
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._awaited: set[int] = set()

    def visit_Await(self, node: ast.Await) -> None:
        self._awaited.add(id(node.value))

    def fields(self, node: ast.Call, name: str) -> dict[str, str] | None:
        if id(node) in self._awaited:
            return None
        # acquire(False), wait(0), wait(timeout=0) return at once.
        if is_constant(argument(node, *_METHODS[name]), False, 0, 0.0):
            return None
        library = self.library
        return {
            "primitive": library.primitive(_ASYNC_KIND[name.split(".")[1]]),
            "to_thread_call": to_thread_call(library, node),
        }
