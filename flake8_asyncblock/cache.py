"""`.asyncblock_cache/`: each file's results, kept under the key of everything they depend on.

A key is a digest of the file's text, its path and dotted module name, and
whatever the caller adds (for the ABL2xx rules: the chains of the helpers
the file's coroutines call). The store's name is a digest of the rest: the
version and the installed code, the Python version, and the settings that
change results (codes, rule settings, mode, per-file ignores, project roots).
So a stale entry can only miss, never answer. Each run reads the store once
and replaces it with one atomic rename; a store that cannot be read or
written costs a warning, never the run.

The deferred slots (the summaries of the ABL2xx pass: what their coroutines
call and their pickled bodies, nearly all of the bytes) live in a second file
beside the store, read only when a value of theirs is asked for: a run with
nothing to link again never reads it. The store itself holds plain values
(strings, tuples, None), which unpickle several times faster than the
result objects: a run that the cache answers spends most of its loading there.

The folder keeps the `KEEP` stores used last, whatever their version: a run
that reads its store without changing it refreshes the store's modification
time, and a run that writes one deletes the others beyond `KEEP` (oldest
first) and the version folders left empty.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from flake8_asyncblock import __version__
from flake8_asyncblock.context import module_of
from flake8_asyncblock.source import Source

__all__ = ["DEFERRED", "FOLDER", "KEEP", "MISS", "Cache", "code_fingerprint"]

#: The cache folder's default name, beside the configuration file (or in the current folder).
FOLDER = ".asyncblock_cache"
#: What `Cache.get` returns when the key does not match: a cached value may be None.
MISS: Any = object()

_GITIGNORE = "# Written by asyncblock: nothing in this folder belongs in version control.\n*\n"
_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
        "# This file marks a cache folder written by asyncblock (https://bford.info/cachedir/).\n")
_FORMAT = 2
#: The deferred slot (see the module's docstring): the summaries' calls and pickled bodies.
DEFERRED = "summary-data"
#: How many stores (one per version and settings) the folder keeps: those used last.
KEEP = 8
#: The deferred file's name after the store's.
_DEFERRED_SUFFIX = "-deferred"
#: Seconds a file must have been left alone before its status stands for its text.
_SETTLED = 2


class _Loader(pickle.Unpickler):
    """Unpickle only the project's own result types and builtin containers."""

    def find_class(self, module: str, name: str) -> Any:
        if module.startswith("flake8_asyncblock.") or (module == "builtins" and name in {
                "frozenset", "set", "tuple", "list", "dict"}):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"unexpected {module}.{name}")


def _status(info: os.stat_result) -> tuple[int, ...]:
    """What `Cache.known` compares: a write moves the change time, a replaced file has a new inode."""
    return (info.st_dev, info.st_ino, info.st_mode, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def code_fingerprint() -> str:
    """Size and modification time of every module of the package: an edited rule is a new tool."""
    package = Path(__file__).parent
    stats = []
    for path in sorted(package.rglob("*.py")):
        with contextlib.suppress(OSError):
            info = path.stat()
            stats.append(f"{path.relative_to(package)}:{info.st_size}:{info.st_mtime_ns}")
    return "\n".join(stats)


class Cache:
    """Per-file values by slot ("result", "summary", ...), each kept with the key it was made for.

    `folder` None is `--no-cache`: every lookup misses and nothing is written.
    Each path keeps only its newest entry per slot, so the store does not grow
    with edits. `warn` receives one line per problem.
    """

    def __init__(self, folder: Path | None, salt: str, warn: Callable[[str], None]) -> None:
        self.folder = folder
        self.warn = warn
        self.salt = hashlib.blake2b(
            "\0".join((str(_FORMAT), __version__, sys.version, code_fingerprint(), salt)).encode(),
            digest_size=16).hexdigest()
        self.entries: dict[str, dict[str, tuple[str, Any]]] = {}
        self._deferred: dict[str, dict[str, tuple[str, Any]]] | None = None  # read when first asked
        #: The key each file had in each slot during this run, for keys that build on it.
        self.keys: dict[tuple[str, str], str] = {}
        self._status: dict[str, tuple[int, ...]] = {}
        self._modules: dict[str, tuple[str, str]] = {}  # a file's key is made once per slot
        self._cwd = os.getcwd()
        self.changed = False
        self._deferred_changed = False
        self.file = folder / __version__ / self.salt if folder is not None else None
        if self.file is not None:
            self.entries = self._load(self.file)

    def _slot_entries(self, slot: str) -> dict[str, dict[str, tuple[str, Any]]]:
        """The entries that hold `slot`: the store's, or the deferred file's (read now if not yet)."""
        if slot != DEFERRED:
            return self.entries
        if self._deferred is None:
            self._deferred = self._load(self._deferred_file) if self._deferred_file is not None else {}
        return self._deferred

    @property
    def _deferred_file(self) -> Path | None:
        return self.file.with_name(self.file.name + _DEFERRED_SUFFIX) if self.file is not None else None

    def observed(self, stats: Mapping[str, os.stat_result]) -> None:
        """Take the status of files stat-ed already in this run (before any was read), not stat them again."""
        for path, info in stats.items():
            self._status.setdefault(path, _status(info))

    def known(self, path: str) -> str | None:
        """The digest of `path`'s text, without reading it, if its status shows no change since.

        The status (inode, size, modification and change times) is that of a
        previous run, taken before the file was read, and recorded only when
        the file had not changed for `_SETTLED` seconds; any later write moves
        the change time, which no one can set back. Within a run a file's
        status is taken once, before its first read, so every pass of the run
        sees the same text.
        """
        status = self._status.get(path)
        if status is None:
            try:
                status = self._status[path] = _status(os.stat(path))
            except OSError:
                return None  # reading it will say why
        memo: Any = self.entries.get(path, {}).get("status")
        if isinstance(memo, tuple) and len(memo) == 2 and memo[0] == status:
            return str(memo[1])
        return None

    def digest(self, source: Source) -> str:
        """The digest of a file's text as read; remembered by its status if that has settled."""
        digest = hashlib.blake2b(source.encoding.encode() + b"\0", digest_size=20)
        digest.update(source.text.encode("utf-8", "surrogatepass"))
        text = digest.hexdigest()
        status = self._status.get(source.path)
        if status is not None and time.time_ns() - max(status[4], status[5]) > _SETTLED * 10**9:
            self.put(source.path, "status", status, text)
        return text

    def key(self, path: str, text: str, extra: str = "") -> str:
        """The digest of what a result for `path` depends on: its text's digest and `extra`."""
        module, package = self.module(path)
        parts = "\0".join((path, module, package, text, extra)) + "\0"
        return hashlib.blake2b(parts.encode("utf-8", "surrogateescape"), digest_size=20).hexdigest()

    def module(self, path: str) -> tuple[str, str]:
        """`context.module_of(path)`, found once per path and run (it is part of every key)."""
        return self._modules.get(path) or self._modules.setdefault(path, module_of(path, self._cwd))

    def get(self, path: str, slot: str, key: str) -> Any:
        """The value stored for `path` in `slot` if it was made for `key`, else MISS."""
        self.keys[slot, path] = key
        entry: Any = self._slot_entries(slot).get(path, {}).get(slot)  # Any: the file may hold anything
        if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == key:
            return entry[1]
        return MISS

    def combined(self, slot: str, paths: Sequence[str]) -> str:
        """One key for the keys `paths` had in `slot` during this run: a value made from all of them."""
        digest = hashlib.blake2b(digest_size=20)
        for path in paths:
            digest.update(f"{path}\0{self.keys.get((slot, path), '')}\0".encode("utf-8", "surrogateescape"))
        return digest.hexdigest()

    @staticmethod
    def loads(data: bytes) -> Any:
        """Unpickle a value kept inside a cached value, as strictly as the store itself."""
        return _Loader(io.BytesIO(data)).load()

    def put(self, path: str, slot: str, key: Any, value: Any) -> None:
        if self.file is not None:
            self._slot_entries(slot).setdefault(path, {})[slot] = (key, value)
            if slot == DEFERRED:
                self._deferred_changed = True
            else:
                self.changed = True

    def save(self) -> None:
        """Replace the store and the deferred file, each at once; a folder that cannot be written warns.

        The deferred file is written first: a store never names values that
        its deferred file lost, and when one is missing anyway (a file
        deleted by hand) the caller computes it again.
        """
        if self.file is None or self.folder is None:
            return
        if not (self.changed or self._deferred_changed):
            with contextlib.suppress(OSError):
                os.utime(self.file)  # used: the pruning keeps the stores used last
            return
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            self._mark(self.folder)
            if self._deferred_changed and self._deferred_file is not None:
                self._write(self._deferred_file, self._slot_entries(DEFERRED))
            if self.changed:
                self._write(self.file, self.entries)
            self._prune(self.folder)
        except (OSError, pickle.PicklingError, RecursionError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.warn(f"cannot write the cache in {self.folder}: {reason}")

    def _prune(self, folder: Path) -> None:
        """Delete all but the `KEEP` stores used last (and this run's), their deferred files, empty folders."""
        stores: list[tuple[int, Path]] = []
        versions = [p for p in folder.iterdir() if p.is_dir()]
        for version in versions:
            for file in version.iterdir():
                if not file.name.startswith(".") and not file.name.endswith(_DEFERRED_SUFFIX):
                    with contextlib.suppress(OSError):  # another run may have pruned it
                        stores.append((file.stat().st_mtime_ns, file))
        stores.sort(reverse=True)
        for _, file in stores[KEEP:]:
            if file != self.file:
                for path in (file, file.with_name(file.name + _DEFERRED_SUFFIX)):
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
        for version in versions:
            with contextlib.suppress(OSError):  # only an empty folder goes
                version.rmdir()

    @staticmethod
    def _write(file: Path, entries: dict[str, dict[str, tuple[str, Any]]]) -> None:
        """Write `entries` to a temporary file beside `file`, then rename it over `file`."""
        import tempfile  # with what it imports, a tenth of a warm run's imports; only a write needs it

        data = pickle.dumps((_FORMAT, entries), protocol=pickle.HIGHEST_PROTOCOL)
        handle, temporary = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=file.parent)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temporary, file)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    def _load(self, file: Path) -> dict[str, dict[str, tuple[str, Any]]]:
        try:
            data = file.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return {}  # nothing cached yet; if the folder cannot be made, saving says so
        except OSError as exc:
            self.warn(f"cannot read the cache {file}: {exc.strerror or exc}")
            return {}
        try:
            version, entries = _Loader(io.BytesIO(data)).load()
            if version != _FORMAT or not isinstance(entries, dict):
                raise ValueError("unknown layout")
        except Exception as exc:  # any damage: start afresh, the next save replaces the file
            self.warn(f"ignoring the unreadable cache {file} ({type(exc).__name__})")
            return {}
        return entries

    @staticmethod
    def _mark(folder: Path) -> None:
        """Keep the folder out of git and out of backups, as other tools mark their caches."""
        for name, text in ((".gitignore", _GITIGNORE), ("CACHEDIR.TAG", _TAG)):
            path = folder / name
            if not path.exists():
                path.write_text(text, encoding="utf-8")
