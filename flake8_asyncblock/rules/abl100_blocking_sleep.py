"""ABL100 blocking-sleep: time.sleep() inside a coroutine."""

from __future__ import annotations

import ast

from flake8_asyncblock.fixes import AwaitAsyncSleep
from flake8_asyncblock.rule import BlockingCallRule, Invalid, Valid

__all__ = ["BlockingSleep"]


class BlockingSleep(BlockingCallRule):
    """Flag sleeps that freeze the loop instead of yielding to it."""

    code = "ABL100"
    slug = "blocking-sleep"
    message = "{call}() blocks the event loop; use await {async_sleep}()"
    summary = "time.sleep() called directly inside an async def."
    why = (
        "A synchronous sleep holds the loop's only thread: every other task, "
        "timeout and callback waits until it returns."
    )
    fix = AwaitAsyncSleep()
    blocking_calls = frozenset({"time.sleep"})

    valid = (
        Valid("""
            import time

            def retry_later():
                time.sleep(0.2)
        """),
        Valid("""
            import asyncio
            import time

            async def poll():
                def sleep(seconds):
                    return seconds
                sleep(1)
                await asyncio.to_thread(time.sleep, 1)
        """),
    )
    invalid = (
        Invalid(
            """
            import time as t

            async def poll():
                t.sleep(0.2)
            """,
            errors=["ABL100:4:5"],
            fixed="""
            import asyncio

            async def poll():
                await asyncio.sleep(0.2)
            """,
        ),
        Invalid(
            """
            import trio
            from time import sleep as pause

            async def poll():
                pause(0.2)
            """,
            errors=["ABL100:5"],
            fixed="""
            import trio

            async def poll():
                await trio.sleep(0.2)
            """,
        ),
    )

    def fields(self, node: ast.Call, name: str) -> dict[str, str]:
        return {"async_sleep": self.library.sleep}
