"""Run a per-file step over many files: from the cache, in this process, or in worker processes."""

from __future__ import annotations

import functools
import os
import signal
from collections.abc import Callable, Generator, Sequence
from typing import Any, TypeVar

from flake8_asyncblock.cache import MISS, Cache
from flake8_asyncblock.results import FileError
from flake8_asyncblock.source import Source, read_source

__all__ = ["PARALLEL_THRESHOLD", "PoolSize", "cached_map", "pool_size", "source_map"]

_T = TypeVar("_T")
_Job = TypeVar("_Job")
#: Fewer files than this are checked in this process: starting workers costs more.
PARALLEL_THRESHOLD = 48
#: Worker processes and files per task for n files.
PoolSize = Callable[[int], tuple[int, int]]


def pool_size(files: int, jobs: int | None = None) -> tuple[int, int]:
    """Return the processes and files per task; small tasks keep the output flowing."""
    workers = min(jobs or _cores(), files)
    if workers < 2 or files < PARALLEL_THRESHOLD:
        return 1, 1
    return workers, max(1, min(16, files // (workers * 8)))


def source_map(function: Callable[[Source, _Job], _T], sources: Sequence[Source], job: _Job,
               size: PoolSize) -> Generator[_T, None, None]:
    """Yield `function(source, job)` for each source, in order."""
    workers, chunksize = size(len(sources))
    if workers < 2:
        yield from (function(source, job) for source in sources)
        return
    import multiprocessing  # a run the cache answers starts no worker: it saves the import

    # The parent alone answers Ctrl-C.
    with multiprocessing.Pool(workers, initializer=_ignore_interrupts) as pool:
        yield from pool.imap(functools.partial(_apply, function, job), sources, chunksize=chunksize)


def cached_map(function: Callable[[Source, _Job], _T], paths: Sequence[str], job: _Job,
               size: PoolSize, cache: Cache, slot: str,
               unreadable: Callable[[str, FileError], _T],
               extra: Callable[[str], str] | None = None,
               keep: Callable[[str, str, _T], Any] | None = None,
               restore: Callable[[str, Any], _T] | None = None) -> Generator[_T, None, None]:
    """Yield `function(source, job)` for each path, in order, taking what the cache holds.

    A file whose status shows it unchanged since a previous run is not read
    when its value is cached; any other is read here, once, and its key made
    from the text read. Only the misses go to `function`, with that same text,
    so a value is always stored under the key of what it was computed from.
    `extra(path)` adds what else the value depends on to the key;
    `keep(path, key, value)` is what the cache keeps of a computed value (all of it without),
    and `restore(path, kept)` makes the value again from what was kept.
    """
    plan: list[tuple[str, str, _T]] = []  # (path, key of a miss or "", value of a hit)
    misses: list[Source] = []
    for path in paths:
        added = extra(path) if extra is not None else ""
        text = cache.known(path)
        if text is not None:
            value = cache.get(path, slot, cache.key(path, text, added))
            if value is not MISS:
                plan.append((path, "", restore(path, value) if restore is not None else value))
                continue
        source = read_source(path)
        if isinstance(source, FileError):
            plan.append((path, "", unreadable(path, source)))
            continue
        key = cache.key(path, cache.digest(source), added)
        value = cache.get(path, slot, key)
        if value is MISS:
            plan.append((path, key, value))
            misses.append(source)
        else:
            plan.append((path, "", restore(path, value) if restore is not None else value))
    computed = source_map(function, misses, job, size)
    try:
        for path, key, value in plan:
            if key:
                value = next(computed)
                cache.put(path, slot, key, keep(path, key, value) if keep is not None else value)
            yield value
    finally:
        computed.close()  # stops the workers when the caller stops early


def _apply(function: Callable[[Source, _Job], _T], job: _Job, source: Source) -> _T:
    return function(source, job)


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
