"""ABL220 file-io-in-helper: a coroutine calls a sync function that does file I/O."""

from __future__ import annotations

from flake8_asyncblock.helper_rule import HelperCallRule
from flake8_asyncblock.rule import Invalid, Valid

__all__ = ["FileIoInHelper"]


class FileIoInHelper(HelperCallRule):
    """Flag the call of a sync helper that reaches open(), Path I/O or shutil (ABL12x)."""

    code = "ABL220"
    slug = "file-io-in-helper"
    reaches = ("ABL12",)
    summary = (
        "a call from an async def to a sync function that opens, reads or writes files, "
        "or copies or scans them (the ABL12x calls that are on by default), directly or "
        "through other sync functions."
    )
    why = (
        "The classic hidden stall: `cfg = load_config()` in a request handler reads and "
        "parses a file on the loop's thread on every request."
    )

    valid = (
        Valid("""
            import asyncio
            import json

            def load_config(path):
                with open(path) as fh:
                    return json.load(fh)

            async def handler(path):
                return await asyncio.to_thread(load_config, path)
        """),
    )
    invalid = (
        Invalid(
            """
            import json

            def load_config(path):
                with open(path) as fh:
                    return json.load(fh)

            async def handler(path):
                cfg = load_config(path)
                return cfg["name"]
            """,
            errors=["ABL220:8:11"],
            fixed="""
            import asyncio
            import json

            def load_config(path):
                with open(path) as fh:
                    return json.load(fh)

            async def handler(path):
                cfg = await asyncio.to_thread(load_config, path)
                return cfg["name"]
            """,
        ),
    )
