"""ABL178 sync-clickhouse: clickhouse_connect's synchronous client inside a coroutine."""

from __future__ import annotations

from flake8_asyncblock.clients import ClientCallRule, SyncClient, methods_of
from flake8_asyncblock.rule import Invalid, Valid

__all__ = ["SyncClickhouse"]

_CLIENT = "clickhouse_connect.driver.client.Client"
_CONNECTS = (
    "clickhouse_connect.get_client", "clickhouse_connect.create_client",
    "clickhouse_connect.driver.create_client",
)

CLICKHOUSE = SyncClient(
    library="clickhouse-connect",
    instead="await clickhouse_connect.get_async_client() and await the call",
    makes={**dict.fromkeys(_CONNECTS, _CLIENT), _CLIENT: _CLIENT},
    # Making a client queries the server for its version and settings.
    calls=frozenset(_CONNECTS),
    methods=methods_of(_CLIENT, spare=(
        "set_client_setting", "get_client_setting", "set_access_token", "close",
        "create_query_context", "create_insert_context",
    )),
)


class SyncClickhouse(ClientCallRule):
    """Flag queries and inserts made through clickhouse_connect's sync client."""

    code = "ABL178"
    slug = "sync-clickhouse"
    message = "{call}() waits for ClickHouse on the event loop's thread; use {instead}"
    summary = (
        "clickhouse_connect.get_client()/create_client() and the query/command/insert/... "
        "methods of the client they return, inside an async def."
    )
    why = (
        "The sync client makes an HTTP request per query and waits for the whole result; "
        "creating it already asks the server for its settings."
    )
    fix = None  # the counterpart is another client
    clients = (CLICKHOUSE,)

    valid = (
        Valid("""
            import clickhouse_connect

            async def totals():
                client = await clickhouse_connect.get_async_client(host="olap")
                return await client.query("SELECT count() FROM events")
        """),
    )
    invalid = (
        Invalid(
            """
            import clickhouse_connect

            CLIENT = clickhouse_connect.get_client(host="olap")

            async def totals():
                return CLIENT.query("SELECT count() FROM events")
            """,
            errors=["ABL178:6:12"],
            fixed="""
            import clickhouse_connect

            async def totals():
                client = await clickhouse_connect.get_async_client(host="olap")
                return await client.query("SELECT count() FROM events")
            """,
        ),
    )
