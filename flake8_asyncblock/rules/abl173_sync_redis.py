"""ABL173 sync-redis: commands sent through the synchronous redis client inside a coroutine."""

from __future__ import annotations

import ast

from flake8_asyncblock.calls import to_thread_call
from flake8_asyncblock.fixes import ToThread
from flake8_asyncblock.rule import Invalid, Rule, Valid

__all__ = ["SyncRedis"]

_CLIENT = "redis.Redis"
_PIPELINE = "redis.client.Pipeline"
_PUBSUB = "redis.client.PubSub"
_LOCK = "redis.lock.Lock"
_CONNECTS = (
    "redis.Redis", "redis.StrictRedis", "redis.from_url", "redis.Redis.from_url",
    "redis.StrictRedis.from_url", "redis.Redis.from_pool", "redis.client.Redis",
    "redis.client.StrictRedis",
)
#: Client methods that build an object or read settings without a round trip.
_LOCAL = frozenset(
    {"pipeline", "pubsub", "lock", "from_url", "from_pool", "get_encoder", "get_retry",
     "set_retry", "get_connection_kwargs", "set_response_callback", "register_script"}
)
_PUBSUB_IO = ("get_message", "listen", "subscribe", "psubscribe", "unsubscribe",
              "punsubscribe", "ping")
_OTHER_IO = frozenset(
    {f"{_PIPELINE}.execute", f"{_PIPELINE}.watch",
     *(f"{_PUBSUB}.{name}" for name in _PUBSUB_IO),
     *(f"{_LOCK}.{name}" for name in ("acquire", "release", "extend", "reacquire"))}
)


class SyncRedis(Rule):
    """Flag every command a synchronous Redis client sends from a coroutine.

    Any public method of a known `redis.Redis` value counts, except the few that
    only build a pipeline, pub/sub or lock object; `redis.asyncio` is not matched.
    """

    code = "ABL173"
    slug = "sync-redis"
    message = (
        "{call}() waits for the Redis server on the event loop's thread; use "
        "redis.asyncio.Redis and await the command, or await {to_thread_call}"
    )
    summary = (
        "a command sent through a known redis.Redis / StrictRedis / from_url client, "
        "its pipeline's execute(), pub/sub reads or lock acquire(), inside an async def."
    )
    why = (
        "The synchronous client writes the command and waits for the reply on the "
        "calling thread: each round trip, and every blocking command such as BLPOP, "
        "stalls all other tasks."
    )
    fix = ToThread(safe=False)
    constructors = {
        **{connect: _CLIENT for connect in _CONNECTS},
        f"{_CLIENT}.pipeline": _PIPELINE,
        f"{_CLIENT}.pubsub": _PUBSUB,
        f"{_CLIENT}.lock": _LOCK,
        _PIPELINE: _PIPELINE,
        _PUBSUB: _PUBSUB,
    }

    valid = (
        Valid("""
            import redis
            import redis.asyncio as aioredis

            async def visits(page):
                client = aioredis.Redis()
                return await client.incr(f"visits:{page}")

            def sync_visits(client: redis.Redis, page):
                return client.incr(f"visits:{page}")
        """),
    )
    invalid = (
        Invalid(
            """
            import redis

            cache = redis.from_url("redis://localhost")

            async def visits(page):
                return cache.incr(f"visits:{page}")
            """,
            errors=["ABL173:6:12"],
            fixed="""
            import asyncio
            import redis

            cache = redis.from_url("redis://localhost")

            async def visits(page):
                return await asyncio.to_thread(cache.incr, f"visits:{page}")
            """,
        ),
    )

    def visit_Call(self, node: ast.Call) -> None:
        if not self.scope.in_coroutine() or not isinstance(node.func, ast.Attribute):
            return
        name = self.names.call_name(node)
        if name is None or not (name in _OTHER_IO or _is_command(name)):
            return
        self.report(node, call=name, to_thread_call=to_thread_call(self.library, node))


def _is_command(name: str) -> bool:
    """Tell whether `name` is a client method that talks to the server."""
    owner, _, method = name.rpartition(".")
    return owner == _CLIENT and not method.startswith("_") and method not in _LOCAL
