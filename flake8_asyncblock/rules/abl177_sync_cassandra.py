"""ABL177 sync-cassandra: the DataStax Cassandra driver's blocking calls inside a coroutine."""

from __future__ import annotations

from flake8_asyncblock.clients import ClientCallRule, SyncClient
from flake8_asyncblock.rule import Invalid, Valid

__all__ = ["SyncCassandra"]

_CLUSTER = "cassandra.cluster.Cluster"
_SESSION = "cassandra.cluster.Session"
_FUTURE = "cassandra.cluster.ResponseFuture"

CASSANDRA = SyncClient(
    library="cassandra-driver",
    instead="session.execute_async() with its future bridged to an asyncio future",
    makes={
        _CLUSTER: _CLUSTER,
        f"{_CLUSTER}.connect": _SESSION,
        _SESSION: _SESSION,
        f"{_SESSION}.execute_async": _FUTURE,
    },
    calls=frozenset(
        {f"{_CLUSTER}.{name}" for name in ("connect", "shutdown", "refresh_schema_metadata")}
        | {f"{_SESSION}.{name}" for name in ("execute", "prepare", "set_keyspace", "shutdown")}
        | {f"{_FUTURE}.result"}
    ),
)


class SyncCassandra(ClientCallRule):
    """Flag Cassandra driver calls that wait for the cluster on the calling thread."""

    code = "ABL177"
    slug = "sync-cassandra"
    message = (
        "{call}() waits for Cassandra on the event loop's thread; use {instead}, "
        "or await {to_thread_call}"
    )
    summary = (
        "Cluster.connect()/shutdown(), Session.execute()/prepare()/set_keyspace() and "
        "ResponseFuture.result() of the cassandra driver, inside an async def."
    )
    why = (
        "The driver's execute() sends the query and blocks until the reply; connect() "
        "contacts every node. execute_async() returns at once with a future whose "
        "callbacks can resolve an asyncio future."
    )
    fix = None  # the counterpart needs a future bridge, not a rewrite of the call
    clients = (CASSANDRA,)

    valid = (
        Valid("""
            import asyncio

            async def user(session, user_id):
                loop = asyncio.get_running_loop()
                done = loop.create_future()
                future = session.execute_async("SELECT * FROM users WHERE id = %s", [user_id])
                future.add_callbacks(
                    lambda rows: loop.call_soon_threadsafe(done.set_result, rows),
                    lambda exc: loop.call_soon_threadsafe(done.set_exception, exc),
                )
                return await done
        """),
    )
    invalid = (
        Invalid(
            """
            from cassandra.cluster import Cluster

            session = Cluster(["db"]).connect("app")

            async def user(user_id):
                return session.execute("SELECT * FROM users WHERE id = %s", [user_id])
            """,
            errors=["ABL177:6:12"],
            fixed="""
            import asyncio

            from cassandra.cluster import Cluster

            session = Cluster(["db"]).connect("app")

            async def user(user_id):
                query = "SELECT * FROM users WHERE id = %s"
                return await asyncio.to_thread(session.execute, query, [user_id])
            """,
        ),
    )
