"""ABL112 httpx-sync-call: httpx's synchronous API inside a coroutine."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import ClassVar

from flake8_asyncblock.fixes import ToThread
from flake8_asyncblock.rule import BlockingCallRule, Invalid, Valid

__all__ = ["HttpxSyncCall"]

_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request", "stream")
#: httpx2 continues httpx with the same API.
_MODULES = ("httpx", "httpx2")


class HttpxSyncCall(BlockingCallRule):
    """Flag httpx's (and httpx2's) sync functions and Client methods; AsyncClient is fine."""

    code = "ABL112"
    slug = "httpx-sync-call"
    message = (
        "{call}() blocks the event loop on network I/O; use {module}.AsyncClient "
        "with await, or await {to_thread}({callee}, ...)"
    )
    summary = (
        "httpx.get()/post()/.../stream() and httpx.Client methods (not httpx.AsyncClient), "
        "and the same in httpx2, inside an async def."
    )
    why = (
        "httpx has a sync and an async API with the same method names; the sync one "
        "waits for the server on the event loop's thread."
    )
    fix = ToThread(safe=False)
    constructors: ClassVar[Mapping[str, str]] = {f"{module}.Client": f"{module}.Client" for module in _MODULES}
    blocking_calls = frozenset(
        {f"{module}.{verb}" for module in _MODULES for verb in _VERBS}
        | {f"{module}.Client.{verb}" for module in _MODULES for verb in (*_VERBS, "send")}
    )

    valid = (
        Valid("""
            import httpx

            async def fetch(url):
                async with httpx.AsyncClient() as client:
                    response = await client.get(url)
                return response.json().get("items")
        """),
    )
    invalid = (
        Invalid(
            """
            from httpx import post as send

            async def notify(url, event):
                send(url, json=event)
            """,
            errors=["ABL112:4:5"],
            fixed="""
            import asyncio
            from httpx import post as send

            async def notify(url, event):
                await asyncio.to_thread(send, url, json=event)
            """,
        ),
        Invalid(
            """
            import httpx

            async def fetch(url):
                with httpx.Client(timeout=5) as client:
                    return client.get(url).json()
            """,
            errors=["ABL112:5:16"],
        ),
    )

    def fields(self, node: ast.Call, name: str) -> dict[str, str] | None:
        found = super().fields(node, name)
        return None if found is None else {**found, "module": name.partition(".")[0]}
