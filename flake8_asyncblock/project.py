"""The `asyncblock` command across a project: summarize every file, link, then report helpers.

In check mode each file is parsed once: a worker checks it with the direct
rules and summarizes its sync functions from the same tree, and returns both.
Results stream out while no file seen so far calls a project function from a
coroutine. The parent links the summaries into one call graph (imports,
relative imports, `__init__.py` re-exports) and checks again only the files
whose coroutines call a function that blocks. In fix and diff mode every file is summarized
first and then checked and rewritten with the whole project known.
"""

from __future__ import annotations

import ast
import functools
import pickle
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, replace

from flake8_asyncblock.cache import MISS, Cache
from flake8_asyncblock.chains import blocking_functions
from flake8_asyncblock.context import Chain, Project, module_of
from flake8_asyncblock.pool import PoolSize, cached_map, source_map
from flake8_asyncblock.registry import RULES
from flake8_asyncblock.results import FileError, FileResult
from flake8_asyncblock.runner import Job, analyse
from flake8_asyncblock.source import Source, read_source
from flake8_asyncblock.summaries import ModuleSummary, Summarizer, summarize

__all__ = ["check_project", "helper_codes", "summarize_project"]

#: While the files are first visited the helper rules see an empty project: they report nothing.
_NOTHING_BLOCKS: dict[str, Chain] = {}


def helper_codes() -> frozenset[str]:
    """Return the codes whose findings need the project-wide pass."""
    return frozenset(rule.code for rule in RULES if hasattr(rule, "reaches"))


@dataclass(frozen=True)
class _Packed:
    """A summary as results carry it: what the coroutines call, and the rest pickled.

    Only linking reads the rest, and a run whose files are all as cached
    takes the links from the cache, so it never unpickles a summary.
    """

    path: str
    coroutine_calls: frozenset[str]
    data: bytes

    @classmethod
    def of(cls, summary: ModuleSummary | None) -> _Packed | None:
        if summary is None:
            return None
        return cls(summary.path, summary.coroutine_calls, pickle.dumps(summary, pickle.HIGHEST_PROTOCOL))


def check_project(files: Sequence[str], job: Job, size: PoolSize,
                  cache: Cache) -> Generator[FileResult, None, None]:
    """Yield each file's result, in order, with the ABL2xx rules knowing every file.

    `size(n)` gives the worker processes and files per task for n files. A
    file's final result is cached under its own key plus the chains of the
    helpers its coroutines call, so editing a helper module re-checks its callers.
    """
    roots = _roots(files)
    first = replace(job, project=Project(_NOTHING_BLOCKS, roots))
    in_roots = functools.partial(_in_roots, repr(sorted(roots)))  # summaries depend on the roots
    if job.mode != "check":
        found = list(cached_map(_summarize, files, first, size, cache, "summary", _no_summary,
                                in_roots))
        project = _link(found, files, "summary", roots, cache)
        summary_of = {packed.path: packed for packed in found if packed is not None}
        yield from cached_map(analyse, files, replace(job, project=project), size, cache, "result",
                              _unreadable, functools.partial(_depends, summary_of, project, cache))
        return
    summaries: list[_Packed] = []
    pending: list[tuple[FileResult, _Packed | None]] = []
    surveyed = cached_map(_survey, files, first, size, cache, "survey", _unsurveyed, in_roots)
    for result, summary in surveyed:
        if summary is not None:
            summaries.append(summary)
        if pending or (summary is not None and summary.coroutine_calls):
            pending.append((result, summary))  # may call a helper: wait for the links
        else:
            yield result  # calls no project function: final now, and the output flows
    project = _link(summaries, files, "survey", roots, cache)
    by_path: dict[str, _Packed] = {s.path: s for _, s in pending if s is not None}
    again = [path for path, summary in by_path.items()
             if any(call in project.chains for call in summary.coroutine_calls)]
    redone = dict(zip(again, cached_map(analyse, again, replace(job, project=project), size, cache,
                                        "result", _unreadable,
                                        functools.partial(_depends, by_path, project, cache))))
    for result, _ in pending:
        yield redone.get(result.path, result)


def _link(summaries: Sequence[_Packed | None], files: Sequence[str], slot: str,
          roots: frozenset[str], cache: Cache) -> Project:
    """Link the summaries into chains, or take the chains cached for exactly these summaries."""
    key = cache.combined(slot, files)
    chains = cache.get("", "chains", key)
    if chains is MISS:
        chains = blocking_functions([cache.loads(s.data) for s in summaries if s is not None])
        cache.put("", "chains", key, chains)
    return Project(chains, roots)


def _depends(summaries: Mapping[str, _Packed], project: Project, cache: Cache, path: str) -> str:
    """What a file's result takes from the others: the chains of the helpers its coroutines call.

    The key of the file's summary comes first: the chains are those of the text summarized.
    """
    summary = summaries.get(path)
    calls = sorted(summary.coroutine_calls) if summary is not None else []
    chains = [(call, project.chains[call]) for call in calls if call in project.chains]
    survey = cache.keys.get(("survey", path)) or cache.keys.get(("summary", path), "")
    return f"{survey}\0{chains!r}"


def _in_roots(roots: str, path: str) -> str:
    return roots


def _unreadable(path: str, error: FileError) -> FileResult:
    return FileResult(path, error=error)


def _unsurveyed(path: str, error: FileError) -> tuple[FileResult, _Packed | None]:
    return FileResult(path, error=error), None


def _no_summary(path: str, error: FileError) -> _Packed | None:
    return None


def summarize_project(files: Sequence[str], job: Job, workers: int, chunksize: int = 1) -> Project:
    """Summarize `files` (in `workers` processes when above 1) and link the summaries."""
    roots = _roots(files)
    bare = replace(job, project=Project(_NOTHING_BLOCKS, roots))
    sources = [s for s in map(read_source, files) if isinstance(s, Source)]
    found = source_map(_summarize, sources, bare, lambda _: (workers, chunksize))
    return Project(blocking_functions([pickle.loads(s.data) for s in found if s is not None]), roots)


def _roots(files: Sequence[str]) -> frozenset[str]:
    return frozenset(module_of(path)[0].partition(".")[0] for path in files)


def _survey(source: Source, job: Job) -> tuple[FileResult, _Packed | None]:
    """Check a file with the direct rules and summarize it, in one walk of one parse."""
    tree = _parse(source)
    if tree is None:
        return analyse(source, job), None  # which reports why it does not parse
    summarizer = _summarizer(source, job)
    try:
        result = analyse(source, job, tree, also=(summarizer,))
    except RecursionError:  # too deep for name resolution: check the file alone
        return analyse(source, job, tree), None
    return result, _Packed.of(summarizer.result())


def _summarize(source: Source, job: Job) -> _Packed | None:
    tree = _parse(source)
    return None if tree is None else _Packed.of(_summary(source, tree, job))


def _parse(source: Source) -> ast.Module | None:
    try:
        return ast.parse(source.text, filename=source.path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _summarizer(source: Source, job: Job) -> Summarizer:
    assert job.project is not None
    module, package = module_of(source.path)
    return Summarizer(source.text, RULES, job.settings, (source.path, module, package), job.project.roots)


def _summary(source: Source, tree: ast.Module, job: Job) -> ModuleSummary | None:
    summarizer = _summarizer(source, job)
    try:
        return summarize(tree, source.text, RULES, job.settings, summarizer.where, summarizer.roots)
    except RecursionError:
        return None
