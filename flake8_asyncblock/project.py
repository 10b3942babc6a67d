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
import multiprocessing
import signal
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import replace
from typing import TypeVar

from flake8_asyncblock.chains import blocking_functions
from flake8_asyncblock.context import Chain, Project, module_of
from flake8_asyncblock.registry import RULES
from flake8_asyncblock.results import FileResult
from flake8_asyncblock.runner import Job, analyse, check_file
from flake8_asyncblock.source import Source, read_source
from flake8_asyncblock.summaries import ModuleSummary, summarize

__all__ = ["check_project", "helper_codes", "summarize_project"]

_T = TypeVar("_T")
#: While the files are first visited the helper rules see an empty project: they report nothing.
_NOTHING_BLOCKS: dict[str, Chain] = {}


def helper_codes() -> frozenset[str]:
    """Return the codes whose findings need the project-wide pass."""
    return frozenset(rule.code for rule in RULES if hasattr(rule, "reaches"))


def check_project(
    files: Sequence[str], job: Job, pool_size: Callable[[int], tuple[int, int]]
) -> Generator[FileResult, None, None]:
    """Yield each file's result, in order, with the ABL2xx rules knowing every file.

    `pool_size(n)` gives the worker processes and files per task for n files.
    """
    workers, chunksize = pool_size(len(files))
    if job.mode != "check":
        project = summarize_project(files, job, workers, chunksize)
        yield from _map(check_file, files, replace(job, project=project), workers, chunksize)
        return
    roots = _roots(files)
    first = replace(job, project=Project(_NOTHING_BLOCKS, roots))
    summaries: list[ModuleSummary] = []
    pending: list[tuple[FileResult, ModuleSummary | None]] = []
    for result, summary in _map(_survey, files, first, workers, chunksize):
        if summary is not None:
            summaries.append(summary)
        if pending or (summary is not None and summary.coroutine_calls):
            pending.append((result, summary))  # may call a helper: wait for the links
        else:
            yield result  # calls no project function: final now, and the output flows
    project = Project(blocking_functions(summaries), roots)
    again = [summary.path for _, summary in pending
             if summary is not None and any(call in project.chains for call in summary.coroutine_calls)]
    redone = dict(zip(again, _map(check_file, again, replace(job, project=project),
                                  *pool_size(len(again)))))
    for result, _ in pending:
        yield redone.get(result.path, result)


def summarize_project(files: Sequence[str], job: Job, workers: int, chunksize: int = 1) -> Project:
    """Summarize `files` (in `workers` processes when above 1) and link the summaries."""
    roots = _roots(files)
    bare = replace(job, project=Project(_NOTHING_BLOCKS, roots))
    found = _map(_summarize, files, bare, workers, chunksize)
    return Project(blocking_functions([s for s in found if s is not None]), roots)


def _roots(files: Sequence[str]) -> frozenset[str]:
    return frozenset(module_of(path)[0].partition(".")[0] for path in files)


def _map(function: Callable[..., _T], files: Sequence[str], job: Job, workers: int,
         chunksize: int) -> Iterator[_T]:
    if workers < 2:
        yield from (function(path, job) for path in files)
        return
    # The parent alone answers Ctrl-C.
    with multiprocessing.Pool(workers, initializer=_ignore_interrupts) as pool:
        yield from pool.imap(functools.partial(function, job=job), files, chunksize=chunksize)


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _survey(path: str, job: Job) -> tuple[FileResult, ModuleSummary | None]:
    """Check `path` with the direct rules and summarize it, from one parse."""
    source = read_source(path)
    if not isinstance(source, Source):
        return FileResult(path, error=source), None
    tree = _parse(source)
    if tree is None:
        return analyse(source, job), None  # which reports why it does not parse
    return analyse(source, job, tree), _summary(source, tree, job)


def _summarize(path: str, job: Job) -> ModuleSummary | None:
    source = read_source(path)
    if not isinstance(source, Source):
        return None
    tree = _parse(source)
    return None if tree is None else _summary(source, tree, job)


def _parse(source: Source) -> ast.Module | None:
    try:
        return ast.parse(source.text, filename=source.path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _summary(source: Source, tree: ast.Module, job: Job) -> ModuleSummary | None:
    assert job.project is not None
    module, package = module_of(source.path)
    try:
        return summarize(tree, source.text, RULES, job.settings, (source.path, module, package),
                         job.project.roots)
    except RecursionError:
        return None
