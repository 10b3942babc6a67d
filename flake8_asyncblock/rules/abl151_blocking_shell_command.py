"""ABL151 blocking-shell-command: os.system() and subprocess.getoutput() in a coroutine."""

from __future__ import annotations

import ast

from flake8_asyncblock.calls import offload
from flake8_asyncblock.rule import BlockingCallRule, Invalid, Valid

__all__ = ["BlockingShellCommand"]

_SHELL = {
    "asyncio": "asyncio.create_subprocess_shell",
    "trio": "trio.run_process",
    "anyio": "anyio.run_process",
}


class BlockingShellCommand(BlockingCallRule):
    """Flag shell commands run through calls that block until the shell is done."""

    code = "ABL151"
    slug = "blocking-shell-command"
    message = (
        "{call}() runs a shell command and blocks the event loop while it runs; "
        "use await {shell}(...) or await {offload}"
    )
    summary = (
        "os.system, subprocess.getoutput or subprocess.getstatusoutput called directly "
        "inside an async def."
    )
    why = (
        "These calls start a shell and wait for it to exit on the loop's thread: "
        "nothing else runs until the command finishes."
    )
    fix = "unsafe"
    blocking_calls = frozenset(
        {"os.system", "subprocess.getoutput", "subprocess.getstatusoutput"}
    )

    valid = (
        Valid("""
            import os

            async def schedule(loop):
                loop.call_soon(os.system, "sync")

            def flush():
                os.system("sync")
        """),
    )
    invalid = (
        Invalid(
            """
            import os

            async def compress(path):
                return os.system(f"gzip -9 {path}")
            """,
            errors=["ABL151:4:12"],
            fixed="""
            import asyncio
            import os

            async def compress(path):
                return await asyncio.to_thread(os.system, f"gzip -9 {path}")
            """,
        ),
    )

    def fields(self, node: ast.Call, name: str) -> dict[str, str]:
        library = self.names.async_library()
        return {"shell": _SHELL[library], "offload": offload(library, node)}
