"""ABL900 user-blocking-call: a call listed in --asyncblock-blocking inside a coroutine."""

from __future__ import annotations

import ast

from flake8_asyncblock.rule import Invalid, Rule, Valid
from flake8_asyncblock.settings import Settings

__all__ = ["UserBlockingCall"]

_TO_THREAD = {
    "asyncio": "asyncio.to_thread",
    "trio": "trio.to_thread.run_sync",
    "anyio": "anyio.to_thread.run_sync",
}


class UserBlockingCall(Rule):
    """Flag the project's own known-blocking calls, named in the configuration."""

    code = "ABL900"
    slug = "user-blocking-call"
    message = (
        "{call}() blocks the event loop (listed in --asyncblock-blocking); "
        "run it in a thread with await {to_thread}({callee}, ...)"
    )
    summary = "a call named in --asyncblock-blocking, made directly inside an async def."
    why = (
        "Every codebase has its own slow synchronous helpers (a vendor SDK, a "
        "legacy database layer); listing them lets the linter guard them like "
        "the built-in rules guard time.sleep()."
    )
    fix = "unsafe"
    options = ("asyncblock-blocking",)

    valid = (
        Valid(
            """
            import vendor.db

            def report():
                return vendor.db.query("select 1")
            """,
            flake8_args=("--asyncblock-blocking=vendor.db.query",),
        ),
    )
    invalid = (
        Invalid(
            """
            from vendor import db

            async def report():
                return db.query("select 1")
            """,
            errors=["ABL900:4:12"],
            fixed="""
            import asyncio
            from vendor import db

            async def report():
                return await asyncio.to_thread(db.query, "select 1")
            """,
            flake8_args=("--asyncblock-blocking=vendor.db.query",),
        ),
    )

    @classmethod
    def active(cls, settings: Settings) -> bool:
        return bool(settings.blocking)

    def visit_Call(self, node: ast.Call) -> None:
        if not self.scope.in_coroutine():
            return
        if name := self.names.resolve_call(node, self.settings.blocking):
            to_thread = _TO_THREAD[self.names.async_library()]
            self.report(node, call=name, to_thread=to_thread, callee=ast.unparse(node.func))
