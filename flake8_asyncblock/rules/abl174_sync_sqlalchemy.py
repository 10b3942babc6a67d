"""ABL174 sync-sqlalchemy: SQLAlchemy's sync Engine, Connection and Session inside a coroutine."""

from __future__ import annotations

from flake8_asyncblock.clients import ClientCallRule, SyncClient
from flake8_asyncblock.rule import Invalid, Valid

__all__ = ["SyncSqlalchemy"]

_ENGINE = "sqlalchemy.engine.Engine"
_CONNECTION = "sqlalchemy.engine.Connection"
_SESSION = "sqlalchemy.orm.Session"
_FACTORY = "sqlalchemy.orm.sessionmaker"
_SCOPED = "sqlalchemy.orm.scoped_session"
_QUERY = "sqlalchemy.orm.Query"
#: Query methods that return a new Query without running it.
_QUERY_BUILDERS = (
    "filter", "filter_by", "where", "order_by", "group_by", "having", "join", "outerjoin",
    "limit", "offset", "options", "distinct", "with_entities", "execution_options",
)
_CONNECTION_IO = (
    "execute", "exec_driver_sql", "scalar", "scalars", "commit", "rollback", "begin",
    "begin_nested",
)
_SESSION_IO = (
    "execute", "scalar", "scalars", "get", "get_one", "commit", "rollback", "flush",
    "refresh", "merge", "connection", "bulk_save_objects", "bulk_insert_mappings",
    "bulk_update_mappings",
)
_QUERY_IO = ("all", "first", "one", "one_or_none", "scalar", "count", "get", "delete", "update")

SQLALCHEMY = SyncClient(
    library="SQLAlchemy",
    instead="sqlalchemy.ext.asyncio (create_async_engine, AsyncSession) and await the call",
    makes={
        **dict.fromkeys(
            ("sqlalchemy.create_engine", "sqlalchemy.engine.create_engine",
             "sqlalchemy.engine_from_config", "sqlalchemy.engine.base.Engine", _ENGINE),
            _ENGINE,
        ),
        **dict.fromkeys(
            (f"{_ENGINE}.connect", f"{_ENGINE}.begin", "sqlalchemy.engine.base.Connection",
             _CONNECTION),
            _CONNECTION,
        ),
        **dict.fromkeys(
            ("sqlalchemy.orm.Session", "sqlalchemy.orm.session.Session", f"{_FACTORY}()",
             f"{_FACTORY}.begin", f"{_SCOPED}()"),
            _SESSION,
        ),
        **dict.fromkeys(("sqlalchemy.orm.sessionmaker", "sqlalchemy.orm.session.sessionmaker"),
                        _FACTORY),
        **dict.fromkeys(("sqlalchemy.orm.scoped_session", "sqlalchemy.orm.scoping.scoped_session"),
                        _SCOPED),
        f"{_SESSION}.query": _QUERY,
        f"{_SCOPED}.query": _QUERY,
        **{f"{_QUERY}.{name}": _QUERY for name in _QUERY_BUILDERS},
    },
    calls=frozenset(
        {f"{_ENGINE}.{name}" for name in ("connect", "begin", "raw_connection", "execute")}
        | {f"{_CONNECTION}.{name}" for name in _CONNECTION_IO}
        | {f"{owner}.{name}" for owner in (_SESSION, _SCOPED) for name in _SESSION_IO}
        | {f"{_QUERY}.{name}" for name in _QUERY_IO}
    ),
)


class SyncSqlalchemy(ClientCallRule):
    """Flag statements run through SQLAlchemy's synchronous API inside a coroutine.

    Building statements, `session.add()` and `session.query(...).filter(...)`
    do no I/O; executing, fetching through a Query, flushing and committing do.
    """

    code = "ABL174"
    slug = "sync-sqlalchemy"
    message = "{call}() waits for the database on the event loop's thread; use {instead}"
    summary = (
        "execute/scalar(s)/get/commit/rollback/flush/refresh on a known SQLAlchemy Session "
        "(also from a sessionmaker or scoped_session), Connection or Engine, engine.connect()/"
        "begin(), and Query.all()/first()/one()/count()/..., inside an async def."
    )
    why = (
        "The sync engine checks a connection out of its pool and waits for the driver's "
        "reply on the calling thread: the loop is frozen for every statement and commit. "
        "The asyncio extension runs the same ORM over an async driver."
    )
    fix = None  # the counterpart is another engine and session, not a rewrite of the call
    clients = (SQLALCHEMY,)

    valid = (
        Valid("""
            from sqlalchemy import select
            from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

            engine = create_async_engine("postgresql+asyncpg://app@db/app")
            Session = async_sessionmaker(engine)

            async def user_names():
                async with Session() as session:
                    result = await session.execute(select(User.name))
                    return result.scalars().all()
        """),
    )
    invalid = (
        Invalid(
            """
            from sqlalchemy import create_engine, select
            from sqlalchemy.orm import sessionmaker

            Session = sessionmaker(create_engine("postgresql://app@db/app"))

            async def user_names():
                with Session() as session:
                    return session.scalars(select(User.name)).all()
            """,
            errors=["ABL174:8:16"],
            fixed="""
            from sqlalchemy import select
            from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

            Session = async_sessionmaker(create_async_engine("postgresql+asyncpg://app@db/app"))

            async def user_names():
                async with Session() as session:
                    return (await session.scalars(select(User.name))).all()
            """,
        ),
    )
