"""ABL175 sync-mongodb: pymongo's synchronous client inside a coroutine."""

from __future__ import annotations

from flake8_asyncblock.clients import ClientCallRule, SyncClient, methods_of
from flake8_asyncblock.rule import Invalid, Valid

__all__ = ["SyncMongodb"]

_CLIENT = "pymongo.MongoClient"
_DATABASE = "pymongo.database.Database"
_COLLECTION = "pymongo.collection.Collection"
_CURSOR = "pymongo.cursor.Cursor"
#: Cursor methods that shape the query without sending it.
_CURSOR_BUILDERS = (
    "sort", "limit", "skip", "batch_size", "hint", "max_time_ms", "collation", "where",
    "comment", "allow_disk_use",
)

PYMONGO = SyncClient(
    library="pymongo",
    instead="pymongo.AsyncMongoClient (or motor) and await the call",
    makes={
        **dict.fromkeys((_CLIENT, "pymongo.mongo_client.MongoClient"), _CLIENT),
        **dict.fromkeys(
            (f"{_CLIENT}[]", f"{_CLIENT}.*", f"{_CLIENT}.get_database",
             f"{_CLIENT}.get_default_database", "pymongo.database.Database"),
            _DATABASE,
        ),
        **dict.fromkeys(
            (f"{_DATABASE}[]", f"{_DATABASE}.*", f"{_DATABASE}.get_collection",
             f"{_COLLECTION}.with_options", "pymongo.collection.Collection"),
            _COLLECTION,
        ),
        f"{_COLLECTION}.find": _CURSOR,
        **{f"{_CURSOR}.{name}": _CURSOR for name in _CURSOR_BUILDERS},
    },
    calls=frozenset(f"{_CURSOR}.{name}" for name in ("to_list", "next", "explain", "distinct")),
    methods={
        **methods_of(_CLIENT, spare=(
            "get_database", "get_default_database", "start_session", "close",
        )),
        **methods_of(_DATABASE, spare=("get_collection", "with_options")),
        # find() only builds a cursor: the cursor's reads are reported instead.
        **methods_of(_COLLECTION, spare=("find", "find_raw_batches", "with_options")),
    },
)


class SyncMongodb(ClientCallRule):
    """Flag round trips to MongoDB through pymongo's synchronous client.

    Databases and collections reached from a known client (`client["app"]`,
    `client.app.users`, `get_collection()`) are tracked; `find()` only builds a
    cursor, whose `to_list()`/`next()` are reported.
    """

    code = "ABL175"
    slug = "sync-mongodb"
    message = "{call}() waits for MongoDB on the event loop's thread; use {instead}"
    summary = (
        "a command through a known pymongo.MongoClient, its databases and collections "
        "(insert/find_one/update/delete/aggregate/count_documents/...) and cursor reads, "
        "inside an async def."
    )
    why = (
        "pymongo's MongoClient sends each command and waits for the reply on the calling "
        "thread. pymongo.AsyncMongoClient (pymongo 4.9+) and motor have the same API as "
        "coroutines."
    )
    fix = None  # the counterpart is another client
    clients = (PYMONGO,)

    valid = (
        Valid("""
            from pymongo import AsyncMongoClient

            client = AsyncMongoClient("mongodb://db")

            async def find_user(name):
                return await client.app.users.find_one({"name": name})
        """),
    )
    invalid = (
        Invalid(
            """
            from pymongo import MongoClient

            client = MongoClient("mongodb://db")

            async def find_user(name):
                return client.app.users.find_one({"name": name})
            """,
            errors=["ABL175:6:12"],
            fixed="""
            from pymongo import AsyncMongoClient

            client = AsyncMongoClient("mongodb://db")

            async def find_user(name):
                return await client.app.users.find_one({"name": name})
            """,
        ),
    )
