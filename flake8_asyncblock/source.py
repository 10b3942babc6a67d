"""Read a file to check as flake8 reads it: regular files only, decoded by its coding line."""

from __future__ import annotations

import io
import os
import re
import stat
import tokenize
from dataclasses import dataclass

from flake8_asyncblock.results import FileError

__all__ = ["Source", "decode", "read_source", "split_lines"]

_NEWLINES = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """The lines of `text` as ast counts them (not at form feeds), ends dropped."""
    return _NEWLINES.split(text)

_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a character device",
          stat.S_IFBLK: "a block device", stat.S_IFDIR: "a folder"}


@dataclass(frozen=True)
class Source:
    """A file's text as decoded, with the encoding to write it back in."""

    path: str
    text: str
    encoding: str


def read_source(path: str) -> Source | FileError:
    """Read a regular file and decode it as flake8 does (coding line, else UTF-8, else latin-1)."""
    try:
        data = _read_regular(path)
    except OSError as exc:
        return FileError("read", exc.strerror or str(exc))
    return decode(path, data)


def decode(path: str, data: bytes) -> Source:
    """Decode a file's bytes as flake8 does; `path` only names the file (`-` for stdin)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return Source(path, data.decode(encoding), encoding)
    except (SyntaxError, UnicodeError, LookupError):
        # Bad bytes or an unknown coding line: flake8 reads the file as latin-1 and
        # lints it, so the two front ends agree; a fix writes it back as latin-1.
        return Source(path, data.decode("latin-1"), "latin-1")


def _read_regular(path: str) -> bytes:
    """Read `path` only if it is a regular file: a FIFO or device would block or never end."""
    kind = _KINDS.get(stat.S_IFMT(os.stat(path).st_mode))
    if kind is None:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(descriptor, "rb") as handle:
            kind = _KINDS.get(stat.S_IFMT(os.fstat(descriptor).st_mode))
            if kind is None:
                return handle.read()
    raise OSError(f"not a regular file ({kind})")
