"""ABL110 requests-call: a requests function or Session method inside a coroutine."""

from __future__ import annotations

from flake8_asyncblock.fixes import ToThread
from flake8_asyncblock.rule import BlockingCallRule, Invalid, Valid

__all__ = ["RequestsCall"]

_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")


class RequestsCall(BlockingCallRule):
    """Flag requests calls: every one waits for the network on the loop's thread."""

    code = "ABL110"
    slug = "requests-call"
    message = (
        "{call}() blocks the event loop on network I/O; use httpx.AsyncClient or "
        "aiohttp, or await {to_thread}({callee}, ...)"
    )
    summary = (
        "requests.get()/post()/... and methods of a requests.Session (held in a variable, "
        "a with target, an annotated parameter or self.x set in __init__) inside an async def."
    )
    why = (
        "requests is synchronous: the loop stalls for the whole round trip, "
        "including DNS, connect, retries and timeouts, and no other task runs."
    )
    fix = ToThread(safe=False)
    blocking_calls = frozenset(
        {f"requests.{verb}" for verb in _VERBS}
        | {f"requests.api.{verb}" for verb in _VERBS}
        | {f"requests.Session.{verb}" for verb in (*_VERBS, "send")}
    )

    valid = (
        Valid("""
            import requests

            def fetch(url):
                return requests.get(url)
        """),
        Valid("""
            import asyncio
            import requests

            async def fetch(url, params: dict):
                params.get("page")
                return await asyncio.to_thread(requests.get, url)
        """),
    )
    invalid = (
        Invalid(
            """
            import requests as rq

            async def fetch(url):
                return rq.get(url, timeout=5)
            """,
            errors=["ABL110:4:12"],
            fixed="""
            import asyncio
            import requests as rq

            async def fetch(url):
                return await asyncio.to_thread(rq.get, url, timeout=5)
            """,
        ),
        Invalid(
            """
            import requests

            async def fetch(session: requests.Session, url):
                with requests.Session() as other:
                    other.post(url)
                return session.get(url)
            """,
            errors=["ABL110:5:9", "ABL110:6:12"],
            fixed="""
            import asyncio
            import requests

            async def fetch(session: requests.Session, url):
                with requests.Session() as other:
                    await asyncio.to_thread(other.post, url)
                return await asyncio.to_thread(session.get, url)
            """,
        ),
    )
