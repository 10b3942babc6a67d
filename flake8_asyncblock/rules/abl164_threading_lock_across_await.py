"""ABL164 threading-lock-across-await: `with lock:` on a threading lock around an await."""

from __future__ import annotations

import ast

from flake8_asyncblock.rule import Invalid, Rule, Valid
from flake8_asyncblock.scope import SCOPE_NODES

__all__ = ["ThreadingLockAcrossAwait"]

_LOCKS = frozenset(
    {"threading.Lock", "threading.RLock", "threading.Semaphore", "threading.Condition"}
)
_SUSPENDS = (ast.Await, ast.AsyncFor, ast.AsyncWith)


class ThreadingLockAcrossAwait(Rule):
    """Flag threading locks held while the coroutine suspends.

    A short `with lock:` without an await inside is left alone: it is the
    usual way to guard state shared with worker threads.
    """

    code = "ABL164"
    slug = "threading-lock-across-await"
    message = (
        "'with {expr}:' holds a {lock} across an await: another task that enters it "
        "blocks the event loop and deadlocks; use {async_lock} with async with"
    )
    summary = (
        "`with lock:` on a known threading Lock, RLock, Semaphore or Condition whose "
        "body awaits, inside an async def."
    )
    why = (
        "While the coroutine is suspended it still holds the lock; the next task on "
        "the same loop that reaches `with lock:` parks the loop's thread, so the "
        "holder can never resume to release it."
    )
    constructors = {
        "threading.Lock": "threading.Lock",
        "threading.RLock": "threading.RLock",
        "threading.Semaphore": "threading.Semaphore",
        "threading.BoundedSemaphore": "threading.Semaphore",
        "threading.Condition": "threading.Condition",
    }

    valid = (
        Valid("""
            import asyncio
            import threading

            counter_lock = threading.Lock()
            cache_lock = asyncio.Lock()

            async def bump(counts, key, fetch):
                with counter_lock:
                    counts[key] = counts.get(key, 0) + 1
                async with cache_lock:
                    await fetch(key)
        """),
    )
    invalid = (
        Invalid(
            """
            import threading

            cache_lock = threading.Lock()

            async def refresh(cache, key, fetch):
                with cache_lock:
                    cache[key] = await fetch(key)
            """,
            errors=["ABL164:6:10"],
            fixed="""
            import asyncio

            cache_lock = asyncio.Lock()

            async def refresh(cache, key, fetch):
                async with cache_lock:
                    cache[key] = await fetch(key)
            """,
        ),
    )

    def visit_With(self, node: ast.With) -> None:
        if not self.scope.in_coroutine():
            return
        locks = [
            (item.context_expr, kind)
            for item in node.items
            if (kind := self.names.type_of(item.context_expr)) in _LOCKS
        ]
        if locks and _suspends(node.body):
            async_lock = self.library.primitive("Lock")
            for expr, kind in locks:
                self.report(expr, expr=ast.unparse(expr), lock=kind, async_lock=async_lock)


def _suspends(body: list[ast.stmt]) -> bool:
    """Tell whether `body` awaits (await, async for, async with) in its own scope."""
    todo: list[ast.AST] = list(body)
    while todo:
        node = todo.pop()
        if isinstance(node, _SUSPENDS):
            return True
        if not isinstance(node, SCOPE_NODES):
            todo.extend(ast.iter_child_nodes(node))
    return False
