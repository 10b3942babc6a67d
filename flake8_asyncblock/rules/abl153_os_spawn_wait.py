"""ABL153 os-spawn-wait: os.spawn*(os.P_WAIT, ...) inside a coroutine."""

from __future__ import annotations

import ast

from flake8_asyncblock.calls import argument, is_constant
from flake8_asyncblock.fixes import ToThread
from flake8_asyncblock.rule import Invalid, Valid
from flake8_asyncblock.rules.abl150_blocking_subprocess import BlockingSubprocess

__all__ = ["OsSpawnWait"]


class OsSpawnWait(BlockingSubprocess):
    """Flag os.spawn* calls in P_WAIT mode, which run the program to completion."""

    code = "ABL153"
    slug = "os-spawn-wait"
    message = (
        "{call}(os.P_WAIT, ...) blocks the event loop until the program exits; "
        "use await {run_process}(...) or await {to_thread_call}"
    )
    summary = "os.spawnl/spawnv/... in os.P_WAIT mode called directly inside an async def."
    why = (
        "With os.P_WAIT the spawn call returns only when the program exits, so the "
        "loop's thread waits for the whole run."
    )
    fix = ToThread(safe=False)
    blocking_calls = frozenset(
        f"os.spawn{suffix}" for suffix in ("l", "le", "lp", "lpe", "v", "ve", "vp", "vpe")
    )

    valid = (
        Valid("""
            import os

            async def launch(path):
                return os.spawnl(os.P_NOWAIT, path, path)

            def run(path):
                return os.spawnl(os.P_WAIT, path, path)
        """),
    )
    invalid = (
        Invalid(
            """
            from os import P_WAIT, spawnv

            async def backup(args):
                return spawnv(P_WAIT, "/usr/bin/rsync", args)
            """,
            errors=["ABL153:4:12"],
            fixed="""
            import asyncio
            from os import P_WAIT, spawnv

            async def backup(args):
                return await asyncio.to_thread(spawnv, P_WAIT, "/usr/bin/rsync", args)
            """,
        ),
    )

    def fields(self, node: ast.Call, name: str) -> dict[str, str] | None:
        mode = argument(node, 0, "mode")
        # os.P_WAIT is 0 on every platform; any other or unknown mode may not wait.
        if mode is None or not (
            self.names.qualified_name(mode) == "os.P_WAIT" or is_constant(mode, 0)
        ):
            return None
        return super().fields(node, name)
