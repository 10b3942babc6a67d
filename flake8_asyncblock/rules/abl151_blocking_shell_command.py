"""ABL151 blocking-shell-command: os.system, os.popen and subprocess.getoutput in a coroutine."""

from __future__ import annotations

import ast

from flake8_asyncblock.calls import offload
from flake8_asyncblock.rule import Invalid, Rule, Valid

__all__ = ["BlockingShellCommand"]

_SHELL = {
    "asyncio": "asyncio.create_subprocess_shell",
    "trio": "trio.run_process",
    "anyio": "anyio.run_process",
}


class BlockingShellCommand(Rule):
    """Flag shell commands run through calls that block until the shell is done."""

    code = "ABL151"
    slug = "blocking-shell-command"
    message = (
        "{call}() runs a shell command and blocks the event loop while it runs; "
        "use await {shell}(...) or await {offload}"
    )
    summary = (
        "os.system, os.popen, subprocess.getoutput or subprocess.getstatusoutput "
        "called directly inside an async def."
    )
    why = (
        "os.system() and the getoutput helpers wait for the shell on the loop's thread; "
        "os.popen() hands back a pipe whose read waits for the command's output."
    )
    fix = "unsafe"
    blocking_calls = frozenset(
        {"os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput"}
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

            async def disk_usage(path):
                return os.popen(f"du -s {path}").read()
            """,
            errors=["ABL151:4:12"],
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

    def visit_Call(self, node: ast.Call) -> None:
        if not self.scope.in_coroutine():
            return
        if name := self.names.resolve_call(node, self.blocking_calls):
            library = self.names.async_library()
            self.report(
                node,
                call=name,
                shell=_SHELL[library],
                offload=offload(library, node),
            )
