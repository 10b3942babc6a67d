"""ABL122 blocking-shutil: shutil copies, moves, deletes and archives inside a coroutine."""

from __future__ import annotations

from flake8_asyncblock.fixes import ToThread
from flake8_asyncblock.rule import BlockingCallRule, Invalid, Valid

__all__ = ["BlockingShutil"]

_CALLS = (
    "copy", "copy2", "copyfile", "copyfileobj", "copytree", "rmtree", "move",
    "make_archive", "unpack_archive",
)


class BlockingShutil(BlockingCallRule):
    """Flag shutil's whole-file and whole-tree operations.

    `shutil.copyfileobj` counts: its source is often a file opened elsewhere
    (an upload's spooled temporary file), and it copies the whole stream.
    Cheap calls such as `shutil.which` are not I/O-heavy.
    """

    code = "ABL122"
    slug = "blocking-shutil"
    message = (
        "{call}() blocks the event loop while it copies, moves or deletes files; "
        "use await {to_thread}({callee}, ...)"
    )
    summary = (
        "shutil.copy()/copy2()/copyfile()/copyfileobj()/copytree()/rmtree()/move()/"
        "make_archive()/unpack_archive() inside an async def."
    )
    why = (
        "These calls walk and copy whole files or trees; their run time grows with the "
        "data, and the loop is frozen for all of it."
    )
    fix = ToThread(safe=False)
    blocking_calls = frozenset(f"shutil.{name}" for name in _CALLS)

    valid = (
        Valid("""
            import shutil

            async def tool_path():
                return shutil.which("git")

            def backup(src, dst):
                shutil.copytree(src, dst)
        """),
    )
    invalid = (
        Invalid(
            """
            from shutil import rmtree as remove_tree

            async def cleanup(workdir):
                remove_tree(workdir, ignore_errors=True)
            """,
            errors=["ABL122:4:5"],
            fixed="""
            import asyncio
            from shutil import rmtree as remove_tree

            async def cleanup(workdir):
                await asyncio.to_thread(remove_tree, workdir, ignore_errors=True)
            """,
        ),
    )
