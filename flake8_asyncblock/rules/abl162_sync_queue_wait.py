"""ABL162 sync-queue-wait: blocking get()/join() on a queue.Queue inside a coroutine."""

from __future__ import annotations

import ast

from flake8_asyncblock.calls import argument, is_constant, to_thread_call
from flake8_asyncblock.fixes import ToThread
from flake8_asyncblock.rule import BlockingCallRule, Invalid, Valid

__all__ = ["SyncQueueWait"]

_QUEUES = ("queue.Queue", "queue.SimpleQueue", "multiprocessing.Queue")


class SyncQueueWait(BlockingCallRule):
    """Flag waits on thread and process queues made from a coroutine.

    put() is left alone: most such queues are unbounded, where put() never
    waits, and the bound is not known where put() is called.
    """

    code = "ABL162"
    slug = "sync-queue-wait"
    message = (
        "{call}() blocks the event loop until {until}; "
        "between coroutines use {task_queue}, else await {to_thread_call}"
    )
    summary = (
        "a blocking get() or join() on a known queue.Queue, LifoQueue, PriorityQueue, "
        "SimpleQueue or multiprocessing.Queue value inside an async def."
    )
    why = (
        "A thread queue waits by parking the calling thread, here the loop's thread; "
        "if the producer is a task on the same loop it can never run, and the "
        "program deadlocks."
    )
    fix = ToThread(safe=False)
    constructors = {
        "queue.Queue": "queue.Queue",
        "queue.LifoQueue": "queue.Queue",
        "queue.PriorityQueue": "queue.Queue",
        "queue.SimpleQueue": "queue.SimpleQueue",
        "multiprocessing.Queue": "multiprocessing.Queue",
        "multiprocessing.JoinableQueue": "multiprocessing.Queue",
    }
    blocking_calls = frozenset(
        {*(f"{queue}.get" for queue in _QUEUES), "queue.Queue.join", "multiprocessing.Queue.join"}
    )

    valid = (
        Valid("""
            import asyncio
            import queue

            async def drain(jobs: queue.Queue, results: asyncio.Queue):
                jobs.put("done")
                jobs.get_nowait()
                jobs.get(block=False)
                jobs.get(True, 0)
                await results.get()
        """),
    )
    invalid = (
        Invalid(
            """
            import queue

            replies = queue.Queue()

            async def next_reply():
                return replies.get()
            """,
            errors=["ABL162:6:12"],
            fixed="""
            import asyncio
            import queue

            replies = queue.Queue()

            async def next_reply():
                return await asyncio.to_thread(replies.get)
            """,
        ),
    )

    def fields(self, node: ast.Call, name: str) -> dict[str, str] | None:
        getting = name.endswith(".get")
        if getting and (
            is_constant(argument(node, 0, "block"), False, 0)
            or is_constant(argument(node, 1, "timeout"), 0, 0.0)
        ):
            return None
        library = self.library
        return {
            "until": "an item arrives" if getting else "every item is processed",
            "task_queue": library.task_queue,
            "to_thread_call": to_thread_call(library, node),
        }
