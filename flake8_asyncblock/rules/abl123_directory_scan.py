"""ABL123 directory-scan: listing or walking directories inside a coroutine."""

from __future__ import annotations

import ast

from flake8_asyncblock.rule import BlockingCallRule, Invalid, Valid

__all__ = ["DirectoryScan"]


class DirectoryScan(BlockingCallRule):
    """Flag os.walk()/os.listdir()/os.scandir(), glob and Path.iterdir()/glob()/rglob()/walk().

    Several of these are lazy iterators, so the fix must consume them in the
    thread (`list(...)`); a plain `to_thread(os.walk, top)` would still scan on
    the loop. That is why no automatic rewrite is offered. Known false positive:
    code that creates the lazy scanner on the loop and only advances it in a
    thread (`gen = p.walk()`, then `to_thread(next, gen)`); silence it with noqa.
    """

    code = "ABL123"
    slug = "directory-scan"
    message = (
        "{call}() blocks the event loop while it reads directories; collect the "
        "result in a thread: await {to_thread}(lambda: list({scan}))"
    )
    summary = (
        "os.walk()/fwalk()/listdir()/scandir(), glob.glob()/iglob() and "
        "Path.iterdir()/glob()/rglob()/walk() inside an async def."
    )
    why = (
        "Reading a directory is a system call per entry batch, and recursive walks "
        "touch whole trees: on a large tree or network disk the loop stalls for seconds."
    )
    fix = None
    blocking_calls = frozenset(
        {"os.walk", "os.fwalk", "os.listdir", "os.scandir", "glob.glob", "glob.iglob"}
        | {f"pathlib.Path.{name}" for name in ("iterdir", "glob", "rglob", "walk")}
    )

    valid = (
        Valid("""
            import asyncio
            import os

            async def sources(root):
                names = await asyncio.to_thread(os.listdir, root)
                return [os.path.join(root, name) for name in names]
        """),
    )
    invalid = (
        Invalid(
            """
            from pathlib import Path

            async def sources(root):
                return [p for p in Path(root).rglob("*.py")]
            """,
            errors=["ABL123:4:24"],
            fixed="""
            import asyncio
            from pathlib import Path

            async def sources(root):
                return await asyncio.to_thread(lambda: list(Path(root).rglob("*.py")))
            """,
        ),
        Invalid(
            """
            import os as system

            async def total_size(top):
                return sum(len(files) for _, _, files in system.walk(top))
            """,
            errors=["ABL123:4:46"],
        ),
    )

    def fields(self, node: ast.Call, name: str) -> dict[str, str]:
        return {"to_thread": self.library.to_thread, "scan": ast.unparse(node)}
