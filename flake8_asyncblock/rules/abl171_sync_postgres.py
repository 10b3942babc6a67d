"""ABL171 sync-postgres: psycopg2 and synchronous psycopg calls inside a coroutine."""

from __future__ import annotations

from flake8_asyncblock.fixes import ToThread
from flake8_asyncblock.rule import BlockingCallRule, Invalid, Valid

__all__ = ["SyncPostgres"]

_PG2_CONNECTION = "psycopg2.extensions.connection"
_PG2_CURSOR = "psycopg2.extensions.cursor"
_PG3_CONNECTION = "psycopg.Connection"
_PG3_CURSOR = "psycopg.Cursor"
_CURSOR_IO = ("execute", "executemany", "callproc", "fetchone", "fetchmany", "fetchall",
              "copy_from", "copy_to", "copy_expert", "copy", "scroll")
_CONNECTION_IO = ("commit", "rollback", "execute")


class SyncPostgres(BlockingCallRule):
    """Flag PostgreSQL calls that wait for the server on the calling thread."""

    code = "ABL171"
    slug = "sync-postgres"
    message = (
        "{call}() waits for PostgreSQL on the event loop's thread; use asyncpg or "
        "psycopg.AsyncConnection, or await {to_thread_call}"
    )
    summary = (
        "psycopg2.connect() / psycopg.connect() and the execute/fetch/commit/rollback "
        "methods of their connections and cursors, inside an async def."
    )
    why = (
        "A synchronous driver sends the query and waits for the reply on the calling "
        "thread; every task stalls for the length of the slowest query."
    )
    fix = ToThread(safe=False)
    constructors = {
        "psycopg2.connect": _PG2_CONNECTION,
        _PG2_CONNECTION: _PG2_CONNECTION,
        _PG2_CURSOR: _PG2_CURSOR,
        f"{_PG2_CONNECTION}.cursor": _PG2_CURSOR,
        "psycopg.connect": _PG3_CONNECTION,
        f"{_PG3_CONNECTION}.connect": _PG3_CONNECTION,
        _PG3_CONNECTION: _PG3_CONNECTION,
        _PG3_CURSOR: _PG3_CURSOR,
        f"{_PG3_CONNECTION}.cursor": _PG3_CURSOR,
        f"{_PG3_CONNECTION}.execute": _PG3_CURSOR,
        f"{_PG3_CURSOR}.execute": _PG3_CURSOR,
    }
    blocking_calls = frozenset(
        {
            "psycopg2.connect",
            "psycopg.connect",
            f"{_PG3_CONNECTION}.connect",
            *(f"{_PG2_CONNECTION}.{name}" for name in _CONNECTION_IO[:2]),
            *(f"{_PG3_CONNECTION}.{name}" for name in _CONNECTION_IO),
            *(f"{cursor}.{name}" for cursor in (_PG2_CURSOR, _PG3_CURSOR) for name in _CURSOR_IO),
        }
    )

    valid = (
        Valid("""
            import psycopg

            async def names(dsn):
                async with await psycopg.AsyncConnection.connect(dsn) as conn:
                    cursor = await conn.execute("select name from users")
                    return await cursor.fetchall()
        """),
    )
    invalid = (
        Invalid(
            """
            import psycopg2

            async def names(dsn):
                conn = psycopg2.connect(dsn)
                with conn.cursor() as cur:
                    cur.execute("select name from users")
                    return cur.fetchall()
            """,
            errors=["ABL171:4:12", "ABL171:6:9", "ABL171:7:16"],
            fixed="""
            import asyncio
            import psycopg2

            async def names(dsn):
                conn = await asyncio.to_thread(psycopg2.connect, dsn)
                with conn.cursor() as cur:
                    await asyncio.to_thread(cur.execute, "select name from users")
                    return await asyncio.to_thread(cur.fetchall)
            """,
        ),
    )
