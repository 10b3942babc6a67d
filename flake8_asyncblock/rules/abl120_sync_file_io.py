"""ABL120 sync-file-io: open() and reads/writes on built-in file objects inside a coroutine."""

from __future__ import annotations

import ast
from collections.abc import Mapping

from flake8_asyncblock.rule import Invalid, Rule, Valid

__all__ = ["SyncFileIo"]

_OPENERS = frozenset(
    {"open", "io.open", "pathlib.Path.open", "gzip.open", "bz2.open", "lzma.open"}
)
_HANDLE_METHODS = frozenset(
    {"read", "read1", "readinto", "readline", "readlines", "write", "writelines", "flush"}
)
_FILE_TYPE = "io.IOBase"


class SyncFileIo(Rule):
    """Flag opening files, and file-object I/O where the open is not itself reported.

    One blocking action is reported once: `with open(p) as fh: fh.read()` in a
    coroutine yields one finding, on `open`. Reads and writes are reported only
    on handles the coroutine did not open: module-level files, parameters
    annotated with a file type, handles held by `self` since `__init__`.
    """

    code = "ABL120"
    slug = "sync-file-io"
    message = (
        "{call}() blocks the event loop on file I/O; use aiofiles or anyio.open_file(), "
        "or do the file work in await {to_thread}(...)"
    )
    summary = (
        "open()/io.open()/Path.open()/gzip.open() inside an async def, and read()/write()/"
        "flush() on a file object opened outside it (a module-level file, an annotated "
        "parameter, self.x from __init__). Each blocking action is reported once: reads on "
        "a handle the coroutine opened itself fall under the finding on its open()."
    )
    why = (
        "Opening, reading and writing files are system calls that wait for the disk; "
        "on a slow or network file system the whole loop waits with them."
    )
    fix = None
    constructors: Mapping[str, str] = {
        **{opener: _FILE_TYPE for opener in _OPENERS},
        "io.TextIOWrapper": _FILE_TYPE,
        "io.BufferedReader": _FILE_TYPE,
        "io.BufferedWriter": _FILE_TYPE,
        "io.BufferedRandom": _FILE_TYPE,
        "io.FileIO": _FILE_TYPE,
    }

    valid = (
        Valid("""
            import io

            async def render(rows):
                buffer = io.StringIO()
                buffer.write(",".join(rows))
                return buffer.getvalue()

            def load(path):
                with open(path) as fh:
                    return fh.read()
        """),
    )
    invalid = (
        Invalid(
            """
            async def load(path):
                with open(path) as fh:
                    return fh.read()
            """,
            errors=["ABL120:2:10"],
            fixed="""
            import anyio

            async def load(path):
                async with await anyio.open_file(path) as fh:
                    return await fh.read()
            """,
        ),
        Invalid(
            """
            AUDIT = open("audit.log", "a")

            async def record(event):
                AUDIT.write(f"{event}\\n")
            """,
            errors=["ABL120:4:5"],
        ),
    )

    def visit_Call(self, node: ast.Call) -> None:
        if not self.scope.in_coroutine():
            return
        name = self.names.call_name(node)
        if name in _OPENERS:
            self.report(node, call=name, to_thread=self.names.to_thread())
        elif name is not None and self._foreign_handle_io(node, name):
            self.report(node, call=name, to_thread=self.names.to_thread())

    def _foreign_handle_io(self, node: ast.Call, name: str) -> bool:
        """Tell whether `node` reads or writes a file opened outside this coroutine."""
        func = node.func
        if not isinstance(func, ast.Attribute) or func.attr not in _HANDLE_METHODS:
            return False
        if name != f"{_FILE_TYPE}.{func.attr}":
            return False
        handle = func.value
        if isinstance(handle, ast.Call):
            return False  # open(p).read(): the open call is reported
        if isinstance(handle, ast.Name) and self.names.is_local(handle.id):
            return _is_parameter(self.scope.coroutine(), handle.id)
        return True


def _is_parameter(function: ast.AsyncFunctionDef | None, name: str) -> bool:
    if function is None:
        return False
    args = function.args
    every = (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg)
    return any(arg is not None and arg.arg == name for arg in every)
