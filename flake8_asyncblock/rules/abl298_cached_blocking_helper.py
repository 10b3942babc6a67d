"""ABL298 cached-blocking-helper: a coroutine calls a cached sync function that blocks once."""

from __future__ import annotations

from flake8_asyncblock.helper_rule import HelperCallRule
from flake8_asyncblock.rule import Invalid, Valid

__all__ = ["CachedBlockingHelper"]


class CachedBlockingHelper(HelperCallRule):
    """Flag the call of a helper that blocks only through a functools.cache/lru_cache function.

    Off by default: such a helper blocks on its first call (per argument), which is
    usually at start-up and usually accepted.
    """

    code = "ABL298"
    slug = "cached-blocking-helper"
    through_cache = True
    default_enabled = False
    summary = (
        "a call from an async def to a sync function that blocks (any ABL2xx family) only "
        "through a function decorated with functools.cache or functools.lru_cache. Such "
        "calls are not reported under the family codes."
    )
    why = (
        "A cached helper blocks on its first call for each argument, then returns at once. "
        "That is often a start-up cost that is accepted. Enable this code to find the "
        "first call when it lands in a request path."
    )

    valid = (
        Valid("""
            import functools
            import json

            @functools.cache
            def settings(path):
                with open(path) as fh:
                    return json.load(fh)

            def main(path):
                return settings(path)["debug"]
        """),
    )
    invalid = (
        Invalid(
            """
            import functools
            import json

            @functools.cache
            def settings(path):
                with open(path) as fh:
                    return json.load(fh)

            async def handler(path):
                return settings(path)["debug"]
            """,
            errors=["ABL298:10:12"],
            fixed="""
            import asyncio
            import functools
            import json

            @functools.cache
            def settings(path):
                with open(path) as fh:
                    return json.load(fh)

            async def handler(path):
                return (await asyncio.to_thread(settings, path))["debug"]
            """,
        ),
    )
