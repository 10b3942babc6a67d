"""ABL121 sync-path-io: pathlib.Path methods that read or write a whole file, in a coroutine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from flake8_asyncblock.fixes import ToThread
from flake8_asyncblock.rule import BlockingCallRule, Invalid, Valid

__all__ = ["SyncPathIo"]

_PATH = "pathlib.Path"
_METHODS = ("read_text", "write_text", "read_bytes", "write_bytes")
#: Path methods and class methods that return another Path, so chains stay typed.
_PATH_RESULTS = (
    "home", "cwd", "absolute", "resolve", "expanduser", "joinpath", "with_name",
    "with_suffix", "with_stem", "relative_to", "readlink",
)


class SyncPathIo(BlockingCallRule):
    """Flag Path.read_text()/write_bytes()/... on values known to be pathlib paths.

    Paths are recognised when built by `Path(...)`, `Path.home()`, `Path.cwd()`,
    `p / "x"`, `p.parent`, `p.with_suffix(...)` and the like, or held in a
    parameter annotated `Path`. `anyio.Path` and `trio.Path` are not pathlib
    paths and are never flagged; neither is `PurePath`, which does no I/O.
    """

    code = "ABL121"
    slug = "sync-path-io"
    message = (
        "{call}() blocks the event loop on file I/O; use await {to_thread}({callee}, ...) "
        "or {async_path}"
    )
    summary = (
        "Path.read_text()/write_text()/read_bytes()/write_bytes() inside an async def, on "
        "values known to be pathlib paths: Path(...), Path.home()/cwd(), p / \"x\", p.parent, "
        "p.with_suffix(...), parameters annotated Path (anyio.Path and trio.Path are fine)."
    )
    why = (
        "These helpers open, read or write and close a file in one synchronous call; "
        "a large file or a slow disk stalls every task on the loop."
    )
    fix = ToThread(safe=False)
    constructors: ClassVar[Mapping[str, str]] = {f"{_PATH}.{name}": _PATH for name in _PATH_RESULTS}
    blocking_calls = frozenset(f"{_PATH}.{name}" for name in _METHODS)

    valid = (
        Valid("""
            import anyio
            from pathlib import Path, PurePath

            async def load(name):
                path = anyio.Path("data") / name
                label = PurePath(name).with_suffix(".txt").name
                return await path.read_text(), label, Path(name).suffix
        """),
    )
    invalid = (
        Invalid(
            """
            from pathlib import Path

            async def load(name):
                config = Path.home() / ".config" / name
                return config.read_text()
            """,
            errors=["ABL121:5:12"],
            fixed="""
            import asyncio
            from pathlib import Path

            async def load(name):
                config = Path.home() / ".config" / name
                return await asyncio.to_thread(config.read_text)
            """,
        ),
        Invalid(
            """
            import pathlib

            async def save(target: pathlib.Path, data: bytes):
                target.parent.joinpath("tmp").write_bytes(data)
            """,
            errors=["ABL121:4:5"],
            fixed="""
            import asyncio
            import pathlib

            async def save(target: pathlib.Path, data: bytes):
                await asyncio.to_thread(target.parent.joinpath("tmp").write_bytes, data)
            """,
        ),
    )
