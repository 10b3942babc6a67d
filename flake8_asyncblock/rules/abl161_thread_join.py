"""ABL161 thread-join: Thread.join() or Process.join() inside a coroutine."""

from __future__ import annotations

import ast

from flake8_asyncblock.calls import argument, is_constant, offload, receivers
from flake8_asyncblock.rule import Invalid, Rule, Valid

__all__ = ["ThreadJoin"]


class ThreadJoin(Rule):
    """Flag joins that hold the loop until a thread or process finishes."""

    code = "ABL161"
    slug = "thread-join"
    message = (
        "{call}() blocks the event loop until the {what} finishes; "
        "use await {offload}"
    )
    summary = (
        "join() on a known threading.Thread, threading.Timer or multiprocessing.Process "
        "value inside an async def."
    )
    why = (
        "join() parks the loop's thread for as long as the other thread or process "
        "runs; if that one waits on the loop in turn, both hang."
    )
    fix = "unsafe"
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

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._polled: dict[ast.AST, set[str]] = {}

    def visit_Call(self, node: ast.Call) -> None:
        coroutine = self.scope.coroutine()
        if coroutine is None:
            return
        name = self.names.resolve_call(node, self.blocking_calls)
        if name is None or is_constant(argument(node, 0, "timeout"), 0, 0.0):
            return
        # `while worker.is_alive(): await ...` has waited already; join() is instant.
        if coroutine not in self._polled:
            self._polled[coroutine] = receivers(coroutine, "is_alive")
        if ast.unparse(node.func.value) in self._polled[coroutine]:  # type: ignore[attr-defined]
            return
        self.report(
            node,
            call=name,
            what="thread" if name.startswith("threading.") else "process",
            offload=offload(self.names.async_library(), node),
        )
