"""ABL210 network-call-in-helper: a coroutine calls a sync function that waits on the network."""

from __future__ import annotations

from flake8_asyncblock.helper_rule import HelperCallRule
from flake8_asyncblock.rule import Invalid, Valid

__all__ = ["NetworkCallInHelper"]


class NetworkCallInHelper(HelperCallRule):
    """Flag the call of a sync helper that reaches a sync HTTP or service client (ABL11x, ABL30x, ABL31x, ABL32x)."""

    code = "ABL210"
    slug = "network-call-in-helper"
    reaches = ("ABL11", "ABL30", "ABL31", "ABL32")
    summary = (
        "a call from an async def to a sync function that makes a request with requests, "
        "http.client/urllib, httpx's sync client or urllib3 (the ABL11x calls), or calls AWS "
        "or a model API through a sync SDK (ABL300, ABL310), or a sync SSH, message broker or "
        "gRPC client (ABL320-ABL323), directly or through other sync "
        "functions; also self.method() and methods of instances of classes defined in the module."
    )
    why = (
        "A sync HTTP call hidden in a helper still holds the loop for the whole round trip; "
        "a client class whose methods use requests is the most common case."
    )

    valid = (
        Valid("""
            import asyncio
            import requests

            class Client:
                def fetch(self, url):
                    return requests.get(url, timeout=5)

                async def fetch_async(self, url):
                    return await asyncio.to_thread(self.fetch, url)
        """),
    )
    invalid = (
        Invalid(
            """
            import requests

            class Client:
                def _get(self, url):
                    return requests.get(url, timeout=5)

                def fetch(self, url):
                    return self._get(url).json()

                async def refresh(self, url):
                    return self.fetch(url)
            """,
            errors=["ABL210:11:16"],
            fixed="""
            import asyncio
            import requests

            class Client:
                def _get(self, url):
                    return requests.get(url, timeout=5)

                def fetch(self, url):
                    return self._get(url).json()

                async def refresh(self, url):
                    return await asyncio.to_thread(self.fetch, url)
            """,
        ),
    )
