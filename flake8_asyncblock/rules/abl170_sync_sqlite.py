"""ABL170 sync-sqlite: sqlite3 connections and cursors used inside a coroutine."""

from __future__ import annotations

from flake8_asyncblock.rule import BlockingCallRule, Invalid, Valid

__all__ = ["SyncSqlite"]

_CONNECTION = "sqlite3.Connection"
_CURSOR = "sqlite3.Cursor"
_RUNS = ("execute", "executemany", "executescript")


class SyncSqlite(BlockingCallRule):
    """Flag the sqlite3 calls that read or write the database file."""

    code = "ABL170"
    slug = "sync-sqlite"
    message = (
        "{call}() does database I/O on the event loop's thread; use aiosqlite "
        "(await its connection and cursor methods), or run the whole transaction in "
        "a function passed to {to_thread}()"
    )
    summary = (
        "sqlite3.connect() and the execute/fetch/commit/rollback methods of the "
        "connections and cursors it returns, inside an async def."
    )
    why = (
        "sqlite3 reads and writes the database file and waits for its locks on the "
        "calling thread; a slow disk or a writer holding the lock stalls every task."
    )
    #: No automatic rewrite: sqlite3 objects refuse to be used from a thread other
    #: than the one that created them (check_same_thread), so wrapping one call in
    #: to_thread() would fail at run time.
    fix = None
    constructors = {
        "sqlite3.connect": _CONNECTION,
        "sqlite3.Connection": _CONNECTION,
        "sqlite3.Cursor": _CURSOR,
        f"{_CONNECTION}.cursor": _CURSOR,
        **{f"{owner}.{run}": _CURSOR for owner in (_CONNECTION, _CURSOR) for run in _RUNS},
    }
    blocking_calls = frozenset(
        {
            "sqlite3.connect",
            *(f"{_CONNECTION}.{name}" for name in (*_RUNS, "commit", "rollback", "backup")),
            *(f"{_CURSOR}.{name}" for name in (*_RUNS, "fetchone", "fetchmany", "fetchall")),
        }
    )

    valid = (
        Valid("""
            import sqlite3

            def count_users(path):
                with sqlite3.connect(path) as db:
                    return db.execute("select count(*) from users").fetchone()

            async def count_later(loop, path):
                return await loop.run_in_executor(None, count_users, path)
        """),
    )
    invalid = (
        Invalid(
            """
            import sqlite3

            async def count_users(db: sqlite3.Connection):
                cursor = db.execute("select count(*) from users")
                return cursor.fetchone()
            """,
            errors=["ABL170:4:14", "ABL170:5:12"],
            fixed="""
            import aiosqlite

            async def count_users(db: aiosqlite.Connection):
                cursor = await db.execute("select count(*) from users")
                return await cursor.fetchone()
            """,
        ),
    )
