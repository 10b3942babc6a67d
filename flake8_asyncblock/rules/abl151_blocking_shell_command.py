"""ABL151 blocking-shell-command: os.system() and subprocess.getoutput() in a coroutine."""

from __future__ import annotations

import ast

from flake8_asyncblock.calls import to_thread_call
from flake8_asyncblock.fixes import ToThread
from flake8_asyncblock.rule import BlockingCallRule, Invalid, Valid

__all__ = ["BlockingShellCommand"]

class BlockingShellCommand(BlockingCallRule):
    """Flag shell commands run through calls that block until the shell is done."""

    code = "ABL151"
    slug = "blocking-shell-command"
    message = (
        "{call}() runs a shell command and blocks the event loop while it runs; "
        "use await {shell}(...) or await {to_thread_call}"
    )
    summary = (
        "os.system, subprocess.getoutput or subprocess.getstatusoutput called directly "
        "inside an async def."
    )
    why = (
        "These calls start a shell and wait for it to exit on the loop's thread: "
        "nothing else runs until the command finishes."
    )
    fix = ToThread(safe=False)
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
        library = self.library
        return {"shell": library.run_shell, "to_thread_call": to_thread_call(library, node)}
