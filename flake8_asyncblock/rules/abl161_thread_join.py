"""ABL161 thread-join: Thread.join() or Process.join() inside a coroutine."""

from __future__ import annotations

import ast

from flake8_asyncblock.calls import argument, is_constant, to_thread_call
from flake8_asyncblock.fixes import ToThread
from flake8_asyncblock.rule import BlockingCallRule, Invalid, Valid

__all__ = ["ThreadJoin"]


class ThreadJoin(BlockingCallRule):
    """Flag joins that hold the loop until a thread or process finishes."""

    code = "ABL161"
    slug = "thread-join"
    message = (
        "{call}() blocks the event loop until the {what} finishes; "
        "use await {to_thread_call}"
    )
    summary = (
        "join() on a known threading.Thread, threading.Timer or multiprocessing.Process "
        "value inside an async def."
    )
    why = (
        "join() parks the loop's thread for as long as the other thread or process "
        "runs; if that one waits on the loop in turn, both hang."
    )
    fix = ToThread(safe=False)
    constructors = {
        "threading.Thread": "threading.Thread",
        "threading.Timer": "threading.Thread",
        "multiprocessing.Process": "multiprocessing.Process",
    }
    blocking_calls = frozenset({"threading.Thread.join", "multiprocessing.Process.join"})

    valid = (
        Valid("""
            import threading

            async def start(target):
                worker = threading.Thread(target=target)
                worker.start()
                worker.join(timeout=0)
                return worker

            def stop(worker: threading.Thread):
                worker.join()
        """),
    )
    invalid = (
        Invalid(
            """
            from threading import Thread

            async def export(rows, write):
                worker = Thread(target=write, args=(rows,))
                worker.start()
                worker.join()
            """,
            errors=["ABL161:6:5"],
            fixed="""
            import asyncio
            from threading import Thread

            async def export(rows, write):
                worker = Thread(target=write, args=(rows,))
                worker.start()
                await asyncio.to_thread(worker.join)
            """,
        ),
    )

    def fields(self, node: ast.Call, name: str) -> dict[str, str] | None:
        if is_constant(argument(node, 0, "timeout"), 0, 0.0):
            return None
        # `while worker.is_alive(): await ...` has waited already; join() is instant.
        func = node.func
        if isinstance(func, ast.Attribute) and ast.unparse(func.value) in self.polled("is_alive"):
            return None
        return {
            "what": "thread" if name.startswith("threading.") else "process",
            "to_thread_call": to_thread_call(self.library, node),
        }
