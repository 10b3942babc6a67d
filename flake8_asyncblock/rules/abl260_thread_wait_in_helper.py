"""ABL260 thread-wait-in-helper: a coroutine calls a sync function that waits on a thread."""

from __future__ import annotations

from flake8_asyncblock.helper_rule import HelperCallRule
from flake8_asyncblock.rule import Invalid, Valid

__all__ = ["ThreadWaitInHelper"]


class ThreadWaitInHelper(HelperCallRule):
    """Flag the call of a sync helper that reaches a threading wait or a join (ABL16x)."""

    code = "ABL260"
    slug = "thread-wait-in-helper"
    reaches = ("ABL16",)
    summary = (
        "a call from an async def to a sync function that waits on a lock, event, queue, "
        "thread or concurrent future (the ABL16x calls), directly or through other sync "
        "functions."
    )
    why = (
        "A wait for another thread inside a helper holds the loop until that thread "
        "answers; if the thread needs the loop to answer, it never does."
    )

    valid = (
        Valid("""
            import queue

            jobs = queue.Queue()

            def next_job():
                return jobs.get(timeout=1)

            def worker():
                while True:
                    next_job()()
        """),
    )
    invalid = (
        Invalid(
            """
            import queue

            jobs = queue.Queue()

            def next_job():
                return jobs.get(timeout=1)

            async def dispatch():
                job = next_job()
                await job()
            """,
            errors=["ABL260:9:11"],
            fixed="""
            import asyncio
            import queue

            jobs = queue.Queue()

            def next_job():
                return jobs.get(timeout=1)

            async def dispatch():
                job = await asyncio.to_thread(next_job)
                await job()
            """,
        ),
    )
