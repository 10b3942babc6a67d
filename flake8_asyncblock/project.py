"""The `asyncblock` command across a project: summarize every file, link, then report helpers.

Each file is parsed once: a worker checks it with the direct rules (and in
fix and diff mode plans its rewrite), summarizes its sync functions from the
same tree, and returns both. Results stream out while no file seen so far
calls a project function from a coroutine. The parent links the summaries
into one call graph (imports, relative imports, `__init__.py` re-exports) and
checks (and rewrites) again only the files whose coroutines call a function
that blocks: every other result stands as it is, fixes included. The
per-file work is in survey.py and runner.py, reached through steps.py.

The cache keeps of each file's first pass its result and whether its
coroutines call project functions; what they call and the summary's body go
to the deferred slot, and the chains are kept with the files to check again,
so a run with nothing to link again reads neither.
"""

from __future__ import annotations

import functools
from collections.abc import Generator, Mapping, Sequence
from dataclasses import replace

from flake8_asyncblock import steps
from flake8_asyncblock.cache import DEFERRED, Cache
from flake8_asyncblock.catalog import CATALOG
from flake8_asyncblock.context import NOTHING_BLOCKS, Chain, Project
from flake8_asyncblock.job import Job
from flake8_asyncblock.pool import PoolSize, cached_map
from flake8_asyncblock.results import FileError, FileResult, PackedSummary, kept, restored
from flake8_asyncblock.source import Source, read_source

__all__ = ["check_project", "helper_codes"]

#: A file's summary as the first pass yields it: made in this run; or kept in the cache's
#: deferred slot, True when its coroutines call project functions; None when it has none.
Summarized = PackedSummary | bool | None
#: Per file that must be checked again once linked: the project functions its coroutines call
#: that block (what its final result depends on), sorted.
Again = dict[str, tuple[str, ...]]


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
    summarized: dict[str, PackedSummary | None] = {}  # None: kept in the cache's deferred slot
    pending: list[FileResult] = []
    surveyed = cached_map(steps.survey, files, first, size, cache, "survey", _unsurveyed, in_roots,
                          functools.partial(_keep_survey, cache), _restore_survey)
    for result, summary in surveyed:
        if summary is not None:
            summarized[result.path] = summary if isinstance(summary, PackedSummary) else None
        calls = bool(summary.coroutine_calls) if isinstance(summary, PackedSummary) else summary is True
        if pending or calls:
            pending.append(result)  # may call a helper: wait for the links
        else:
            yield result  # calls no project function: final now, and the output flows
    chains, again = _link(summarized, files, first, cache)
    project = Project(chains, roots)
    redone = dict(zip(again, cached_map(steps.analyse, list(again), replace(job, project=project), size,
                                        cache, "result", _unreadable,
                                        functools.partial(_depends, again, project, cache),
                                        _keep_result, restored)))
    for result in pending:
        yield redone.get(result.path, result)


def _link(summarized: Mapping[str, PackedSummary | None], files: Sequence[str], first: Job,
          cache: Cache) -> tuple[Mapping[str, Chain], Again]:
    """Link the summaries into chains and find the files to check again, or take both from the cache.

    Both follow from the summaries alone, so they are cached under the keys of all of them.
    """
    key = cache.combined("survey", files)
    linked = cache.get("", "chains", key)
    if isinstance(linked, tuple) and len(linked) == 2:
        return linked[0], linked[1]
    packed = {path: _summary(path, summary, first, cache) for path, summary in summarized.items()}
    chains = steps.link([s.data for s in packed.values() if s is not None])
    again: Again = {}
    for path, summary in packed.items():
        calls = tuple(sorted(c for c in summary.coroutine_calls if c in chains)) if summary else ()
        if calls:
            again[path] = calls
    if None not in packed.values():  # a summary lost on the way (a file gone since) is not cached as such
        cache.put("", "chains", key, (chains, again))
    return chains, again


def _summary(path: str, summary: PackedSummary | None, first: Job, cache: Cache) -> PackedSummary | None:
    """A file's summary: as made in this run, else from the deferred slot, else made again."""
    if summary is not None:
        return summary
    value = cache.get(path, DEFERRED, cache.keys.get(("survey", path), ""))
    if isinstance(value, tuple) and len(value) == 2:
        return PackedSummary(path, frozenset(value[0]), bytes(value[1]))
    source = read_source(path)
    return steps.summarize(source, first) if isinstance(source, Source) else None


def _keep_survey(cache: Cache, path: str, key: str,
                 value: tuple[FileResult, Summarized]) -> tuple[FileResult | None, bool | None]:
    """Keep a file's result and whether it calls project functions; the summary goes to the deferred slot."""
    result, summary = value
    if not isinstance(summary, PackedSummary):
        return kept(result), None
    cache.put(path, DEFERRED, key, (summary.coroutine_calls, summary.data))
    return kept(result), bool(summary.coroutine_calls)


def _restore_survey(path: str, value: tuple[FileResult | None, bool | None]) -> tuple[FileResult, Summarized]:
    result, calls = value
    return restored(path, result), calls


def _keep_result(path: str, key: str, result: FileResult) -> FileResult | None:
    return kept(result)


def _depends(again: Again, project: Project, cache: Cache, path: str) -> str:
    """What a file's result takes from the others: the chains of the helpers its coroutines call.

    The key of the file's summary comes first: the chains are those of the text summarized.
    """
    chains = [(call, project.chains[call]) for call in again.get(path, ())]
    survey = cache.keys.get(("survey", path), "")
    return f"{survey}\0{chains!r}"


def _in_roots(roots: str, path: str) -> str:
    return roots


def _unreadable(path: str, error: FileError) -> FileResult:
    return FileResult(path, error=error)


def _unsurveyed(path: str, error: FileError) -> tuple[FileResult, Summarized]:
    return FileResult(path, error=error), None
