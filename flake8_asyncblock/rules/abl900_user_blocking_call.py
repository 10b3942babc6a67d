"""ABL900 user-blocking-call: a call listed in --asyncblock-blocking inside a coroutine."""

from __future__ import annotations

from typing import Any

from flake8_asyncblock.fixes import ToThread
from flake8_asyncblock.rule import BlockingCallRule, Invalid, Valid
from flake8_asyncblock.settings import Settings

__all__ = ["UserBlockingCall"]


class UserBlockingCall(BlockingCallRule):
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
    fix = ToThread(safe=False)
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.blocking_calls = self.settings.blocking
