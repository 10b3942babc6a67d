"""ABL113 urllib3-call: urllib3 requests inside a coroutine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from flake8_asyncblock.fixes import ToThread
from flake8_asyncblock.rule import BlockingCallRule, Invalid, Valid

__all__ = ["Urllib3Call"]

_METHODS = ("request", "request_encode_url", "request_encode_body", "urlopen")
_POOLS = ("PoolManager", "ProxyManager", "HTTPConnectionPool", "HTTPSConnectionPool")
_DEFINED_IN = (
    ("poolmanager", "PoolManager"), ("poolmanager", "ProxyManager"),
    ("connectionpool", "HTTPConnectionPool"), ("connectionpool", "HTTPSConnectionPool"),
)


class Urllib3Call(BlockingCallRule):
    """Flag urllib3.request() and requests made through urllib3 pools."""

    code = "ABL113"
    slug = "urllib3-call"
    message = (
        "{call}() blocks the event loop on network I/O; use httpx.AsyncClient or "
        "aiohttp, or await {to_thread}({callee}, ...)"
    )
    summary = (
        "urllib3.request() and request()/urlopen() on a urllib3 PoolManager, ProxyManager "
        "or connection pool inside an async def."
    )
    why = (
        "urllib3 is the synchronous engine under requests: each request holds the "
        "calling thread, here the event loop's, until the response arrives."
    )
    fix = ToThread(safe=False)
    constructors: ClassVar[Mapping[str, str]] = {
        **{f"urllib3.{pool}": f"urllib3.{pool}" for pool in _POOLS},
        "urllib3.connection_from_url": "urllib3.HTTPConnectionPool",
        "urllib3.proxy_from_url": "urllib3.ProxyManager",
        # The same classes named by the modules that define them.
        **{f"urllib3.{module}.{pool}": f"urllib3.{pool}" for module, pool in _DEFINED_IN},
        "urllib3.connectionpool.connection_from_url": "urllib3.HTTPConnectionPool",
        "urllib3.poolmanager.proxy_from_url": "urllib3.ProxyManager",
    }
    blocking_calls = frozenset(
        {"urllib3.request"}
        | {f"urllib3.{pool}.{method}" for pool in _POOLS for method in _METHODS}
    )

    valid = (
        Valid("""
            import urllib3

            HTTP = urllib3.PoolManager()

            def fetch(url):
                return HTTP.request("GET", url)
        """),
    )
    invalid = (
        Invalid(
            """
            import urllib3

            HTTP = urllib3.PoolManager(retries=2)

            async def fetch(url):
                return HTTP.request("GET", url).data
            """,
            errors=["ABL113:6:12"],
            fixed="""
            import asyncio
            import urllib3

            HTTP = urllib3.PoolManager(retries=2)

            async def fetch(url):
                return (await asyncio.to_thread(HTTP.request, "GET", url)).data
            """,
        ),
    )
