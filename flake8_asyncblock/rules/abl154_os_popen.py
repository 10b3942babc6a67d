"""ABL154 os-popen: os.popen() inside a coroutine."""

from __future__ import annotations

import ast

from flake8_asyncblock.rule import BlockingCallRule, Invalid, Valid

__all__ = ["OsPopen"]

class OsPopen(BlockingCallRule):
    """Flag os.popen(), whose pipe is read on the loop's thread."""

    code = "ABL154"
    slug = "os-popen"
    message = (
        "{call}() runs a shell command whose output is then read on the event loop's "
        "thread; use await {shell} and read its output with await"
    )
    summary = "os.popen() called directly inside an async def."
    why = (
        "os.popen() returns a pipe; reading it or closing it waits for the command's "
        "output and exit on the loop's thread. Moving only the os.popen() call to a "
        "thread would not help, so no automatic rewrite is offered."
    )
    blocking_calls = frozenset({"os.popen"})

    valid = (
        Valid("""
            import asyncio
            import os

            async def disk_usage(path):
                proc = await asyncio.create_subprocess_shell(
                    f"du -s {path}", stdout=asyncio.subprocess.PIPE
                )
                out, _ = await proc.communicate()
                return out.decode()

            def disk_usage_sync(path):
                return os.popen(f"du -s {path}").read()
        """),
    )
    invalid = (
        Invalid(
            """
            from os import popen

            async def disk_usage(path):
                return popen(f"du -s {path}").read()
            """,
            errors=["ABL154:4:12"],
            fixed="""
            import asyncio

            async def disk_usage(path):
                proc = await asyncio.create_subprocess_shell(
                    f"du -s {path}", stdout=asyncio.subprocess.PIPE
                )
                out, _ = await proc.communicate()
                return out.decode()
            """,
        ),
    )

    def fields(self, node: ast.Call, name: str) -> dict[str, str]:
        return {"shell": self.library.capture_shell}
