"""ABL124 file-metadata-call: quick file system calls (stat, exists, remove) in a coroutine."""

from __future__ import annotations

from flake8_asyncblock.fixes import ToThread
from flake8_asyncblock.rule import BlockingCallRule, Invalid, Valid

__all__ = ["FileMetadataCall"]

_OS = (
    "stat", "lstat", "remove", "unlink", "rename", "replace", "mkdir", "makedirs",
    "rmdir", "removedirs", "chmod", "utime", "symlink", "link", "readlink",
)
_OS_PATH = (
    "exists", "lexists", "isfile", "isdir", "islink", "getsize", "getmtime",
    "getatime", "getctime", "samefile", "sameopenfile", "ismount", "realpath",
)
_PATH = (
    "exists", "is_file", "is_dir", "is_symlink", "stat", "lstat", "unlink", "mkdir",
    "rmdir", "rename", "replace", "touch", "chmod", "samefile", "symlink_to",
    "resolve", "readlink", "is_mount",
)


class FileMetadataCall(BlockingCallRule):
    """Flag single metadata system calls; off by default.

    Each is one quick system call on a local disk, and async code checks
    `exists()` often, so reporting them by default would bury the findings
    that matter. Enable ABL124 where files live on network storage.
    """

    code = "ABL124"
    slug = "file-metadata-call"
    message = (
        "{call}() waits for the file system on the event loop's thread; "
        "use await {to_thread}({callee}, ...) or {async_path}"
    )
    summary = (
        "os.stat()/remove()/rename()/mkdir()/readlink()/..., os.path.exists()/getsize()/"
        "realpath()/ismount()/... and Path.exists()/stat()/unlink()/mkdir()/resolve()/... "
        "inside an async def (off by default)."
    )
    why = (
        "Usually microseconds, but on NFS, SMB or a busy disk a single stat can take "
        "long enough to delay every task on the loop. Off by default: on local disks "
        "these calls are cheap and frequent, so flagging them would bury other findings."
    )
    fix = ToThread(safe=False)
    default_enabled = False
    blocking_calls = frozenset(
        {f"os.{name}" for name in _OS}
        | {f"os.path.{name}" for name in _OS_PATH}
        | {f"pathlib.Path.{name}" for name in _PATH}
    )

    valid = (
        Valid("""
            import os

            async def settings():
                return os.environ.get("APP_ENV"), os.path.join("etc", "app.toml")
        """),
    )
    invalid = (
        Invalid(
            """
            import os.path
            from pathlib import Path

            async def ensure(directory):
                if not os.path.exists(directory):
                    Path(directory).mkdir(parents=True)
            """,
            errors=["ABL124:5:12", "ABL124:6:9"],
            fixed="""
            import asyncio
            import os.path
            from pathlib import Path

            async def ensure(directory):
                if not await asyncio.to_thread(os.path.exists, directory):
                    await asyncio.to_thread(Path(directory).mkdir, parents=True)
            """,
        ),
    )
