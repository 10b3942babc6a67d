"""ABL299 user-blocking-call-in-helper: a coroutine calls a sync function that makes an ABL900 call."""

from __future__ import annotations

from flake8_asyncblock.helper_rule import HelperCallRule
from flake8_asyncblock.rule import Invalid, Valid

__all__ = ["UserBlockingCallInHelper"]


class UserBlockingCallInHelper(HelperCallRule):
    """Flag the call of a sync helper that reaches a call listed in --asyncblock-blocking."""

    code = "ABL299"
    slug = "user-blocking-call-in-helper"
    reaches = ("ABL90",)
    options = ("asyncblock-blocking",)
    summary = (
        "a call from an async def to a sync function that makes a call named in "
        "--asyncblock-blocking (what ABL900 flags), directly or through other sync functions."
    )
    why = (
        "Listing a vendor SDK's slow calls should also catch the project's own wrappers "
        "around them."
    )

    valid = (
        Valid(
            """
            from vendor import db

            def users():
                return db.query("select * from users")

            def report():
                return len(users())
            """,
            flake8_args=("--asyncblock-blocking=vendor.db.query",),
        ),
    )
    invalid = (
        Invalid(
            """
            from vendor import db

            def users():
                return db.query("select * from users")

            async def report():
                return len(users())
            """,
            errors=["ABL299:7:16"],
            fixed="""
            import asyncio
            from vendor import db

            def users():
                return db.query("select * from users")

            async def report():
                return len(await asyncio.to_thread(users))
            """,
            flake8_args=("--asyncblock-blocking=vendor.db.query",),
        ),
    )
