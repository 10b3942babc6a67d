"""ABL152 child-process-wait: Popen.wait()/communicate() and os.wait*() inside a coroutine."""

from __future__ import annotations

import ast

from flake8_asyncblock.calls import argument
from flake8_asyncblock.fixes import ToThread
from flake8_asyncblock.rule import Invalid, Valid
from flake8_asyncblock.rules.abl150_blocking_subprocess import BlockingSubprocess

__all__ = ["ChildProcessWait"]

#: os.wait* function -> (position, keyword) of its options argument.
_OPTIONS = {
    "os.wait": None,
    "os.waitpid": (1, "options"),
    "os.wait3": (0, "options"),
    "os.wait4": (1, "options"),
    "os.waitid": (2, "options"),
}


#: Reads and writes on a running child's pipes: they wait for the child.
_PIPE_IO = frozenset(
    {f"subprocess.Popen.{pipe}.{method}"
     for pipe in ("stdout", "stderr")
     for method in ("read", "read1", "readline", "readlines", "readinto")}
    | {f"subprocess.Popen.stdin.{method}" for method in ("write", "writelines", "flush")}
)


class ChildProcessWait(BlockingSubprocess):
    """Flag waits for a child process that hold the loop until the child exits."""

    code = "ABL152"
    slug = "child-process-wait"
    message = (
        "{call}() blocks the event loop until the child process exits; "
        "start it with await {run_process}(...) and await its wait(), "
        "or use await {to_thread_call}"
    )
    summary = (
        "subprocess.Popen.wait/communicate, or reads and writes on its stdout/stderr/stdin "
        "pipes, on a known Popen, or os.wait/waitpid/wait3/wait4/waitid without os.WNOHANG, "
        "inside an async def."
    )
    why = (
        "Waiting for a child process, or reading its pipes to the end, can take as "
        "long as the child runs; done on the loop's thread it stalls every task."
    )
    fix = ToThread(safe=False)
    constructors = {"subprocess.Popen": "subprocess.Popen"}
    blocking_calls = frozenset(
        {"subprocess.Popen.wait", "subprocess.Popen.communicate", *_OPTIONS, *_PIPE_IO}
    )

    valid = (
        Valid("""
            import asyncio
            import os

            async def reap(pid, proc):
                os.waitpid(pid, os.WNOHANG)
                await proc.wait()
                child = await asyncio.create_subprocess_exec("true")
                await child.communicate()
        """),
    )
    invalid = (
        Invalid(
            """
            import subprocess

            async def convert(src, dst):
                with subprocess.Popen(["ffmpeg", "-i", src, dst]) as proc:
                    return proc.wait()
            """,
            errors=["ABL152:5:16"],
            fixed="""
            import asyncio
            import subprocess

            async def convert(src, dst):
                with subprocess.Popen(["ffmpeg", "-i", src, dst]) as proc:
                    return await asyncio.to_thread(proc.wait)
            """,
        ),
    )

    def fields(self, node: ast.Call, name: str) -> dict[str, str] | None:
        return None if self._no_hang(node, name) else super().fields(node, name)

    def _no_hang(self, node: ast.Call, name: str) -> bool:
        """Tell whether an os.wait* call passes os.WNOHANG and so returns at once."""
        where = _OPTIONS.get(name)
        options = argument(node, *where) if where else None
        if options is None:
            return False
        return any(
            self.names.qualified_name(part) == "os.WNOHANG"
            for part in ast.walk(options)
            if isinstance(part, (ast.Name, ast.Attribute))
        )
