"""ABL120 sync-file-io: open() and reads/writes on built-in file objects inside a coroutine."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import ClassVar

from flake8_asyncblock.libraries import ANYIO
from flake8_asyncblock.rule import Invalid, Rule, Valid

__all__ = ["SyncFileIo"]

_OPENERS = frozenset(
    {"open", "io.open", "io.open_code", "os.fdopen", "pathlib.Path.open", "gzip.open",
     "bz2.open", "lzma.open", "tempfile.NamedTemporaryFile", "tempfile.TemporaryFile"}
)
#: Calls that create a file or folder without returning a file object.
_CREATORS = frozenset(
    {"os.open", "tempfile.mkstemp", "tempfile.mkdtemp", "tempfile.TemporaryDirectory"}
)
#: os functions taking a descriptor first; `os.open` results are tracked as _DESCRIPTOR.
_DESCRIPTOR_IO = frozenset(
    {"os.read", "os.write", "os.pread", "os.pwrite", "os.readv", "os.writev", "os.fsync"}
)
_DESCRIPTOR = "os.open()"
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
        "{call}() blocks the event loop on file I/O; use {open_file}, "
        "or do the file work in await {to_thread}(...)"
    )
    summary = (
        "open()/io.open()/io.open_code()/os.fdopen()/os.open()/Path.open()/gzip.open(), "
        "tempfile's NamedTemporaryFile()/TemporaryFile()/mkstemp()/mkdtemp()/"
        "TemporaryDirectory() inside an async def, and read()/write()/flush() on a file "
        "object (or os.read()/os.write() on an os.open() descriptor) opened outside it (a "
        "module-level file, an annotated parameter or local, self.x from __init__). Each "
        "blocking action is reported once: reads on a handle the coroutine opened itself "
        "fall under the finding on its open()."
    )
    why = (
        "Opening, reading and writing files are system calls that wait for the disk; "
        "on a slow or network file system the whole loop waits with them."
    )
    fix = None
    constructors: ClassVar[Mapping[str, str]] = {
        **{opener: _FILE_TYPE for opener in _OPENERS},
        "os.open": _DESCRIPTOR,
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
        if name is None:
            return
        if name in _OPENERS or name in _CREATORS or self._foreign_handle_io(node, name):
            self._report(node, name)
        elif name in _DESCRIPTOR_IO and node.args and self._foreign_descriptor(node.args[0]):
            self._report(node, name)

    def _report(self, node: ast.Call, name: str) -> None:
        library = self.library
        # asyncio has no async open(): name the helpers that work on it.
        open_file = f"aiofiles or {ANYIO.open_file}()"
        if library.open_file is not None:
            open_file = f"{library.open_file}()"
        self.report(node, call=name, open_file=open_file, to_thread=library.to_thread)

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
        return self._opened_elsewhere(handle)

    def _foreign_descriptor(self, fd: ast.expr) -> bool:
        """Tell whether `fd` is an `os.open()` descriptor opened outside this coroutine."""
        return self.names.type_of(fd) == _DESCRIPTOR and self._opened_elsewhere(fd)

    def _opened_elsewhere(self, handle: ast.expr) -> bool:
        """Tell whether the coroutine did not open `handle` itself (its open is reported)."""
        if isinstance(handle, ast.Name) and self.names.is_local(handle.id):
            return _given(self.scope.coroutine(), handle.id)
        return True


def _given(function: ast.AsyncFunctionDef | None, name: str) -> bool:
    """Tell whether local `name` is a parameter or only annotated (`f: io.TextIOWrapper`)."""
    if function is None:
        return False
    args = function.args
    every = (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg)
    if any(arg is not None and arg.arg == name for arg in every):
        return True
    return any(
        isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and node.target.id == name
        and not isinstance(node.value, ast.Call)
        for node in ast.walk(function)
    )
