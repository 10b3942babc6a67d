"""The write step of `--fix`: replace a file all at once, so no one sees half of it."""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import replace

from flake8_asyncblock.results import FIXABLE, NOT_WRITTEN, FileError, FileResult

__all__ = ["apply", "write_atomic"]


def write_atomic(path: str, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, then rename it over `path`.

    The file's permission bits (and owner, where allowed) are kept, and a
    symlink is followed, so the link stays a link. A file without write
    permission is refused even when the rename would succeed: read-only marks
    a file its owner does not want rewritten. Raises OSError; on any failure
    the original is untouched and the temporary file is removed.
    """
    target = os.path.realpath(path)
    info = os.stat(target)
    if not stat.S_ISREG(info.st_mode):
        raise OSError(f"not a regular file: {path}")
    if not info.st_mode & stat.S_IWUSR or not os.access(target, os.W_OK):
        raise PermissionError(13, "Permission denied (the file is read-only)", path)
    import tempfile  # with shutil and random: only a run that writes pays for them

    folder, name = os.path.split(target)
    handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if hasattr(os, "chown"):
            with contextlib.suppress(OSError):  # only root may give a file away
                os.chown(temporary, info.st_uid, info.st_gid)
        os.chmod(temporary, stat.S_IMODE(info.st_mode))  # after chown, which drops set-id bits
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def apply(result: FileResult) -> FileResult:
    """Write `result`'s rewrite to its file; on failure, the result says so and what is left."""
    if result.rewrite is None:
        return result
    try:
        write_atomic(result.path, result.rewrite.data)
    except OSError as exc:
        before = result.rewrite
        return replace(
            result, findings=before.findings_before, fixed=0, fixed_codes=(), rewrite=None,
            left=tuple(NOT_WRITTEN if why == FIXABLE else why for why in before.left_before),
            error=FileError("write", exc.strerror or str(exc)),
        )
    return result
