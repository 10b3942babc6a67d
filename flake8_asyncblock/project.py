"""The `asyncblock` command across a project: summarize every file, link, then report helpers.

Each file is parsed once: a worker checks it with the direct rules (and in
fix and diff mode plans its rewrite), summarizes its sync functions from the
same tree, and returns both. Results stream out while no file seen so far
calls a project function from a coroutine. The parent links the summaries
into one call graph (imports, relative imports, `__init__.py` re-exports) and
checks (and rewrites) again only the files whose coroutines call a function
that blocks: every other result stands as it is, fixes included. The
per-file work is in survey.py and runner.py, reached through steps.py.
"""

from __future__ import annotations

import functools
from collections.abc import Generator, Mapping, Sequence
from dataclasses import replace

from flake8_asyncblock import steps
from flake8_asyncblock.cache import DEFERRED, MISS, Cache
from flake8_asyncblock.catalog import CATALOG
from flake8_asyncblock.context import NOTHING_BLOCKS, Project
from flake8_asyncblock.job import Job
from flake8_asyncblock.pool import PoolSize, cached_map
from flake8_asyncblock.results import FileError, FileResult, PackedSummary
from flake8_asyncblock.source import Source, read_source

__all__ = ["check_project", "helper_codes"]
def helper_codes() -> frozenset[str]:
    """Return the codes whose findings need the project-wide pass."""
    return frozenset(rule.code for rule in CATALOG if rule.helper)


def check_project(files: Sequence[str], job: Job, size: PoolSize,
                  cache: Cache) -> Generator[FileResult, None, None]:
    """Yield each file's result, in order, with the ABL2xx rules knowing every file.

    `size(n)` gives the worker processes and files per task for n files. A
    file's final result is cached under its own key plus the chains of the
    helpers its coroutines call, so editing a helper module re-checks its callers.
    """
    roots = frozenset(cache.module(path)[0].partition(".")[0] for path in files)
    first = replace(job, project=Project(NOTHING_BLOCKS, roots))
    in_roots = functools.partial(_in_roots, repr(sorted(roots)))  # summaries depend on the roots
    summaries: list[PackedSummary] = []
    pending: list[tuple[FileResult, PackedSummary | None]] = []
    surveyed = cached_map(steps.survey, files, first, size, cache, "survey", _unsurveyed, in_roots,
                          functools.partial(_keep_survey, cache))
    for result, summary in surveyed:
        if summary is not None:
            summaries.append(summary)
        if pending or (summary is not None and summary.coroutine_calls):
            pending.append((result, summary))  # may call a helper: wait for the links
        else:
            yield result  # calls no project function: final now, and the output flows
    project = _link(summaries, files, first, cache)
    by_path: dict[str, PackedSummary] = {s.path: s for _, s in pending if s is not None}
    again = [path for path, summary in by_path.items()
             if any(call in project.chains for call in summary.coroutine_calls)]
    redone = dict(zip(again, cached_map(steps.analyse, again, replace(job, project=project), size, cache,
                                        "result", _unreadable,
                                        functools.partial(_depends, by_path, project, cache))))
    for result, _ in pending:
        yield redone.get(result.path, result)


def _link(summaries: Sequence[PackedSummary | None], files: Sequence[str], first: Job,
          cache: Cache) -> Project:
    """Link the summaries into chains, or take the chains cached for exactly these summaries."""
    assert first.project is not None
    key = cache.combined("survey", files)
    chains = cache.get("", "chains", key)
    if chains is MISS:
        data = [_data(s, first, cache) for s in summaries if s is not None]
        chains = steps.link([d for d in data if d is not None])
        if None not in data:  # a summary lost on the way (a file gone since) is not cached as such
            cache.put("", "chains", key, chains)
    return Project(chains, first.project.roots)


def _data(summary: PackedSummary, first: Job, cache: Cache) -> bytes | None:
    """A summary's pickled body: as computed in this run, else from the cache, else made again."""
    if summary.data:
        return summary.data
    data = cache.get(summary.path, DEFERRED, cache.keys.get(("survey", summary.path), ""))
    if data is not MISS:
        return bytes(data)
    source = read_source(summary.path)
    again = steps.summarize(source, first) if isinstance(source, Source) else None
    return again.data if again is not None else None


def _keep_summary(cache: Cache, path: str, key: str, summary: PackedSummary | None) -> PackedSummary | None:
    """Keep a summary's body in the deferred slot, which a run without links to make never reads."""
    if summary is None:
        return None
    cache.put(path, DEFERRED, key, summary.data)
    return replace(summary, data=b"")


def _keep_survey(cache: Cache, path: str, key: str,
                 value: tuple[FileResult, PackedSummary | None]) -> tuple[FileResult, PackedSummary | None]:
    result, summary = value
    return result, _keep_summary(cache, path, key, summary)


def _depends(summaries: Mapping[str, PackedSummary], project: Project, cache: Cache, path: str) -> str:
    """What a file's result takes from the others: the chains of the helpers its coroutines call.

    The key of the file's summary comes first: the chains are those of the text summarized.
    """
    summary = summaries.get(path)
    calls = sorted(summary.coroutine_calls) if summary is not None else []
    chains = [(call, project.chains[call]) for call in calls if call in project.chains]
    survey = cache.keys.get(("survey", path), "")
    return f"{survey}\0{chains!r}"


def _in_roots(roots: str, path: str) -> str:
    return roots


def _unreadable(path: str, error: FileError) -> FileResult:
    return FileResult(path, error=error)


def _unsurveyed(path: str, error: FileError) -> tuple[FileResult, PackedSummary | None]:
    return FileResult(path, error=error), None


def _no_summary(path: str, error: FileError) -> PackedSummary | None:
    return None
