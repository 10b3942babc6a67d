"""ABL172 sync-mysql: PyMySQL and mysqlclient (MySQLdb) calls inside a coroutine."""

from __future__ import annotations

from flake8_asyncblock.fixes import ToThread
from flake8_asyncblock.rule import BlockingCallRule, Invalid, Valid

__all__ = ["SyncMysql"]

_DRIVERS = {
    # driver: (connection type, cursor type, connect functions)
    "pymysql": ("pymysql.connections.Connection", "pymysql.cursors.Cursor",
                ("pymysql.connect", "pymysql.Connect", "pymysql.connections.Connection")),
    "MySQLdb": ("MySQLdb.connections.Connection", "MySQLdb.cursors.Cursor",
                ("MySQLdb.connect", "MySQLdb.Connect", "MySQLdb.connections.Connection")),
}
_CONNECTION_IO = ("commit", "rollback", "ping", "query", "select_db")
_CURSOR_IO = ("execute", "executemany", "callproc", "fetchone", "fetchmany", "fetchall")


def _constructors() -> dict[str, str]:
    table = {}
    for connection, cursor, connects in _DRIVERS.values():
        table.update({connect: connection for connect in connects})
        table.update({f"{connection}.cursor": cursor, cursor: cursor})
    return table


def _blocking() -> frozenset[str]:
    names: set[str] = set()
    for connection, cursor, connects in _DRIVERS.values():
        names.update(connects)
        names.update(f"{connection}.{name}" for name in _CONNECTION_IO)
        names.update(f"{cursor}.{name}" for name in _CURSOR_IO)
    return frozenset(names)


class SyncMysql(BlockingCallRule):
    """Flag MySQL calls that wait for the server on the calling thread."""

    code = "ABL172"
    slug = "sync-mysql"
    message = (
        "{call}() waits for MySQL on the event loop's thread; use aiomysql or "
        "asyncmy, or await {to_thread_call}"
    )
    summary = (
        "pymysql.connect() / MySQLdb.connect() and the execute/fetch/commit/rollback "
        "methods of their connections and cursors, inside an async def."
    )
    why = (
        "A synchronous driver sends the query and waits for the reply on the calling "
        "thread; every task stalls for the length of the slowest query."
    )
    fix = ToThread(safe=False)
    constructors = _constructors()
    blocking_calls = _blocking()

    valid = (
        Valid("""
            import aiomysql

            async def titles(pool: aiomysql.Pool):
                async with pool.acquire() as conn:
                    async with conn.cursor() as cur:
                        await cur.execute("select title from books")
                        return await cur.fetchall()
        """),
    )
    invalid = (
        Invalid(
            """
            import pymysql as mysql

            async def titles(host):
                conn = mysql.connect(host=host, database="shop")
                cur = conn.cursor()
                cur.execute("select title from books")
                return cur.fetchall()
            """,
            errors=["ABL172:4:12", "ABL172:6:5", "ABL172:7:12"],
            fixed="""
            import asyncio
            import pymysql as mysql

            async def titles(host):
                conn = await asyncio.to_thread(mysql.connect, host=host, database="shop")
                cur = conn.cursor()
                await asyncio.to_thread(cur.execute, "select title from books")
                return await asyncio.to_thread(cur.fetchall)
            """,
        ),
    )
