"""ABL111 stdlib-http-call: urllib.request or http.client network calls inside a coroutine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from flake8_asyncblock.fixes import ToThread
from flake8_asyncblock.rule import BlockingCallRule, Invalid, Valid

__all__ = ["StdlibHttpCall"]

_CONNECTION_METHODS = (
    "request", "getresponse", "connect", "send", "putrequest", "endheaders",
)


class StdlibHttpCall(BlockingCallRule):
    """Flag the standard library's synchronous HTTP clients."""

    code = "ABL111"
    slug = "stdlib-http-call"
    message = (
        "{call}() blocks the event loop on network I/O; use httpx.AsyncClient or "
        "aiohttp, or await {to_thread}({callee}, ...)"
    )
    summary = (
        "urllib.request.urlopen()/urlretrieve(), OpenerDirector.open() and "
        "http.client connection methods (request, getresponse, ...) inside an async def."
    )
    why = (
        "urlopen() and http.client wait for the server on the calling thread; in a "
        "coroutine that thread is the event loop's."
    )
    fix = ToThread(safe=False)
    constructors: ClassVar[Mapping[str, str]] = {
        "http.client.HTTPConnection": "http.client.HTTPConnection",
        "http.client.HTTPSConnection": "http.client.HTTPSConnection",
        "urllib.request.build_opener": "urllib.request.OpenerDirector",
        "urllib.request.OpenerDirector": "urllib.request.OpenerDirector",
    }
    blocking_calls = frozenset(
        {"urllib.request.urlopen", "urllib.request.urlretrieve",
         "urllib.request.OpenerDirector.open"}
        | {f"http.client.HTTPConnection.{m}" for m in _CONNECTION_METHODS}
        | {f"http.client.HTTPSConnection.{m}" for m in _CONNECTION_METHODS}
    )

    valid = (
        Valid("""
            import http.client
            from urllib.request import Request, urlopen

            async def prepare(url):
                conn = http.client.HTTPSConnection("example.org")
                return Request(url), conn, urlopen

            def fetch(url):
                return urlopen(url).read()
        """),
    )
    invalid = (
        Invalid(
            """
            from urllib.request import urlretrieve

            async def download(url, target):
                urlretrieve(url, target)
            """,
            errors=["ABL111:4:5"],
            fixed="""
            import asyncio
            from urllib.request import urlretrieve

            async def download(url, target):
                await asyncio.to_thread(urlretrieve, url, target)
            """,
        ),
        Invalid(
            """
            from urllib.request import urlopen

            async def fetch(url):
                with urlopen(url) as response:
                    return response.read()
            """,
            errors=["ABL111:4:10"],
        ),
        Invalid(
            """
            import http.client as hc

            async def status(host):
                conn = hc.HTTPSConnection(host)
                conn.request("HEAD", "/")
                return conn.getresponse().status
            """,
            errors=["ABL111:5:5", "ABL111:6:12"],
        ),
    )
