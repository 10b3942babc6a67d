"""ABL200 blocking-sleep-in-helper: a coroutine calls a sync function that sleeps."""

from __future__ import annotations

from flake8_asyncblock.helper_rule import HelperCallRule
from flake8_asyncblock.rule import Invalid, Valid

__all__ = ["BlockingSleepInHelper"]


class BlockingSleepInHelper(HelperCallRule):
    """Flag the call of a sync helper that reaches time.sleep() (ABL100) on some path."""

    code = "ABL200"
    slug = "blocking-sleep-in-helper"
    reaches = ("ABL10",)
    summary = (
        "a call from an async def to a sync function that sleeps (what ABL100 flags), "
        "directly or through other sync functions."
    )
    why = (
        "A helper that sleeps freezes the loop as a sleep written in the coroutine does: "
        "the loop's only thread runs the helper's body."
    )

    valid = (
        Valid("""
            import time

            def backoff(attempt):
                time.sleep(2 ** attempt)

            def retry(send, attempt):
                backoff(attempt)
                return send()
        """),
    )
    invalid = (
        Invalid(
            """
            import time

            def backoff(attempt):
                time.sleep(2 ** attempt)

            async def retry(send, attempt):
                backoff(attempt)
                return await send()
            """,
            errors=["ABL200:7:5"],
            fixed="""
            import asyncio
            import time

            def backoff(attempt):
                time.sleep(2 ** attempt)

            async def retry(send, attempt):
                await asyncio.to_thread(backoff, attempt)
                return await send()
            """,
        ),
    )
