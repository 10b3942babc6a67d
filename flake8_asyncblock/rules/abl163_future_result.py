"""ABL163 future-result: waiting on a concurrent.futures.Future inside a coroutine."""

from __future__ import annotations

import ast

from flake8_asyncblock.calls import argument, is_constant
from flake8_asyncblock.rule import BlockingCallRule, Invalid, Valid

__all__ = ["FutureResult"]

_EXECUTORS = (
    "concurrent.futures.ThreadPoolExecutor",
    "concurrent.futures.ProcessPoolExecutor",
    "concurrent.futures.thread.ThreadPoolExecutor",
    "concurrent.futures.process.ProcessPoolExecutor",
    "concurrent.futures.Executor",
)
_METHODS = frozenset({"concurrent.futures.Future.result", "concurrent.futures.Future.exception"})


class FutureResult(BlockingCallRule):
    """Flag waits on thread- or process-pool futures made from a coroutine."""

    code = "ABL163"
    slug = "future-result"
    message = "{call}() blocks the event loop until the {futures} done; {instead}"
    summary = (
        "result() or exception() on a known concurrent.futures.Future (from "
        "Executor.submit or asyncio.run_coroutine_threadsafe), or concurrent.futures."
        "wait/as_completed, inside an async def."
    )
    why = (
        "A concurrent future is waited for by parking the calling thread, here the "
        "loop's thread; a future from asyncio.run_coroutine_threadsafe() on the same "
        "loop can then never finish, and the program deadlocks."
    )
    constructors = {
        **{executor: "concurrent.futures.Executor" for executor in _EXECUTORS},
        "concurrent.futures.Executor.submit": "concurrent.futures.Future",
        "concurrent.futures.Future": "concurrent.futures.Future",
        "asyncio.run_coroutine_threadsafe": "concurrent.futures.Future",
    }
    blocking_calls = _METHODS | {"concurrent.futures.wait", "concurrent.futures.as_completed"}

    valid = (
        Valid("""
            import asyncio
            from concurrent.futures import ThreadPoolExecutor

            async def checksum(pool: ThreadPoolExecutor, digest, data):
                future = pool.submit(digest, data)
                while not future.done():
                    await asyncio.sleep(0.01)
                return future.result()

            def sync_checksum(pool: ThreadPoolExecutor, digest, data):
                return pool.submit(digest, data).result()
        """),
    )
    invalid = (
        Invalid(
            """
            from concurrent.futures import ThreadPoolExecutor

            pool = ThreadPoolExecutor()

            async def checksum(digest, data):
                return pool.submit(digest, data).result()
            """,
            errors=["ABL163:6:12"],
            fixed="""
            import asyncio
            from concurrent.futures import ThreadPoolExecutor

            pool = ThreadPoolExecutor()

            async def checksum(digest, data):
                return await asyncio.wrap_future(pool.submit(digest, data))
            """,
        ),
    )

    def fields(self, node: ast.Call, name: str) -> dict[str, str] | None:
        if is_constant(argument(node, 0, "timeout"), 0, 0.0):
            return None
        if name in _METHODS and isinstance(node.func, ast.Attribute):
            receiver = node.func.value
            # After `while not fut.done(): await ...`, fut.result() is ready.
            if ast.unparse(receiver) in self.polled("done"):
                return None
            instead = f"use await asyncio.wrap_future({ast.unparse(receiver)})"
        else:
            instead = "wrap each future with asyncio.wrap_future() and use asyncio." + (
                "wait" if name.endswith(".wait") else "as_completed"
            )
        futures = "future is" if name in _METHODS else "futures are"
        return {"futures": futures, "instead": instead}
