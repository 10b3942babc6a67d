"""ABL150 blocking-subprocess: subprocess.run() and friends inside a coroutine."""

from __future__ import annotations

import ast
from typing import ClassVar

from flake8_asyncblock.calls import to_thread_call
from flake8_asyncblock.fixes import ToThread
from flake8_asyncblock.rule import BlockingCallRule, Invalid, Valid

__all__ = ["BlockingSubprocess"]


class BlockingSubprocess(BlockingCallRule):
    """Flag the subprocess helpers that start a child and wait for it to exit."""

    code = "ABL150"
    slug = "blocking-subprocess"
    message = (
        "{call}() blocks the event loop until the child process exits; "
        "use await {run_process}(...) or await {to_thread_call}"
    )
    summary = "subprocess.run/call/check_call/check_output called directly inside an async def."
    why = (
        "These helpers start a child process and wait for it on the loop's only "
        "thread: nothing else runs until the command finishes, however long it takes."
    )
    fix = ToThread(safe=False)
    blocking_calls = frozenset(
        f"subprocess.{name}" for name in ("run", "call", "check_call", "check_output")
    )

    valid: ClassVar[tuple[Valid, ...]] = (
        Valid("""
            import subprocess

            def build():
                return subprocess.run(["make"], check=True)
        """),
        Valid("""
            import asyncio
            import subprocess

            async def build():
                await asyncio.to_thread(subprocess.run, ["make"], check=True)
                proc = await asyncio.create_subprocess_exec("make")
                return await proc.wait()
        """),
    )
    invalid: ClassVar[tuple[Invalid, ...]] = (
        Invalid(
            """
            from subprocess import check_output as capture

            async def git_head():
                return capture(["git", "rev-parse", "HEAD"])
            """,
            errors=["ABL150:4:12"],
            fixed="""
            import asyncio
            from subprocess import check_output as capture

            async def git_head():
                return await asyncio.to_thread(capture, ["git", "rev-parse", "HEAD"])
            """,
        ),
    )

    def fields(self, node: ast.Call, name: str) -> dict[str, str] | None:
        library = self.library
        return {"run_process": library.run_process, "to_thread_call": to_thread_call(library, node)}
