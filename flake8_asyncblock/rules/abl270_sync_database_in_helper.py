"""ABL270 sync-database-in-helper: a coroutine calls a sync function that queries a database."""

from __future__ import annotations

from flake8_asyncblock.helper_rule import HelperCallRule
from flake8_asyncblock.rule import Invalid, Valid

__all__ = ["SyncDatabaseInHelper"]


class SyncDatabaseInHelper(HelperCallRule):
    """Flag the call of a sync helper that reaches a sync database client (ABL17x)."""

    code = "ABL270"
    slug = "sync-database-in-helper"
    reaches = ("ABL17",)
    summary = (
        "a call from an async def to a sync function that talks to sqlite3, psycopg, "
        "a MySQL driver or redis (the ABL17x calls), directly or through other sync functions."
    )
    why = (
        "A repository or DAO layer written for sync code, called from a coroutine, runs "
        "every query on the loop's thread."
    )

    valid = (
        Valid("""
            import sqlite3

            def count_users(path):
                with sqlite3.connect(path) as db:
                    return db.execute("select count(*) from users").fetchone()

            def report(path):
                return count_users(path)
        """),
    )
    invalid = (
        Invalid(
            """
            import sqlite3

            def count_users(path):
                with sqlite3.connect(path) as db:
                    return db.execute("select count(*) from users").fetchone()

            async def report(path):
                return count_users(path)
            """,
            errors=["ABL270:8:12"],
            fixed="""
            import asyncio
            import sqlite3

            def count_users(path):
                with sqlite3.connect(path) as db:
                    return db.execute("select count(*) from users").fetchone()

            async def report(path):
                return await asyncio.to_thread(count_users, path)
            """,
        ),
    )
