"""The per-file steps of the project pass: check and summarize a file in one walk, or summarize it.

They run in worker processes; project.py reaches them through steps.py, so
a run the cache answers never imports the rules.
"""

from __future__ import annotations

import ast
import pickle
from collections.abc import Sequence
from dataclasses import replace

from flake8_asyncblock.cache import Cache
from flake8_asyncblock.chains import blocking_functions
from flake8_asyncblock.context import NOTHING_BLOCKS, Chain, Project, module_of
from flake8_asyncblock.job import Job
from flake8_asyncblock.pool import source_map
from flake8_asyncblock.registry import RULES
from flake8_asyncblock.results import FileResult, PackedSummary
from flake8_asyncblock.runner import analyse
from flake8_asyncblock.source import Source, read_source
from flake8_asyncblock.summaries import ModuleSummary, Summarizer, summarize

__all__ = ["link", "pack", "summarize_file", "summarize_project", "survey"]

def pack(summary: ModuleSummary | None) -> PackedSummary | None:
    if summary is None:
        return None
    return PackedSummary(summary.path, summary.coroutine_calls,
                         pickle.dumps(summary, pickle.HIGHEST_PROTOCOL))


def link(summaries: Sequence[bytes]) -> dict[str, Chain]:
    """The chains of every blocking function, from the pickled summaries of the files.

    The summaries may come from the cache: they are unpickled as strictly as it is.
    """
    return blocking_functions([Cache.loads(data) for data in summaries])


def survey(source: Source, job: Job) -> tuple[FileResult, PackedSummary | None]:
    """Check a file with the direct rules and summarize it, in one walk of one parse."""
    tree = _parse(source)
    if tree is None:
        return analyse(source, job), None  # which reports why it does not parse
    summarizer = _summarizer(source, job)
    try:
        result = analyse(source, job, tree, also=(summarizer,))
    except RecursionError:  # too deep for name resolution: check the file alone
        return analyse(source, job, tree), None
    return result, pack(summarizer.result())


def summarize_file(source: Source, job: Job) -> PackedSummary | None:
    tree = _parse(source)
    return None if tree is None else pack(_summary(source, tree, job))


def summarize_project(files: Sequence[str], job: Job, workers: int, chunksize: int = 1) -> Project:
    """Summarize `files` (in `workers` processes when above 1) and link the summaries."""
    roots = frozenset(module_of(path)[0].partition(".")[0] for path in files)
    bare = replace(job, project=Project(NOTHING_BLOCKS, roots))
    sources = [s for s in map(read_source, files) if isinstance(s, Source)]
    found = source_map(summarize_file, sources, bare, lambda _: (workers, chunksize))
    return Project(link([s.data for s in found if s is not None]), roots)


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
