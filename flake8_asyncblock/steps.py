"""The per-file steps as the command hands them out: each imports its module when it first runs.

A run that the cache answers in full never runs one, so it never imports
the rules, the engine or the summaries (about half of a warm run's cost
before this boundary). Workers receive these functions by name and import
the same way. tests/asyncblock/test_cli_cache.py checks what a warm run imports.
"""

from __future__ import annotations

from collections.abc import Sequence

from flake8_asyncblock.context import Chain
from flake8_asyncblock.job import Job
from flake8_asyncblock.results import FileResult, PackedSummary
from flake8_asyncblock.source import Source

__all__ = ["analyse", "link", "summarize", "survey"]


def analyse(source: Source, job: Job) -> FileResult:
    """`runner.analyse`: check a file (and in fix and diff mode plan its rewrite)."""
    from flake8_asyncblock import runner

    return runner.analyse(source, job)


def survey(source: Source, job: Job) -> tuple[FileResult, PackedSummary | None]:
    """`survey.survey`: check a file and summarize it in one walk."""
    from flake8_asyncblock import survey

    return survey.survey(source, job)


def summarize(source: Source, job: Job) -> PackedSummary | None:
    """`survey.summarize_file`: summarize a file's sync functions."""
    from flake8_asyncblock import survey

    return survey.summarize_file(source, job)


def link(summaries: Sequence[bytes]) -> dict[str, Chain]:
    """`survey.link`: the chains of every blocking function of the project."""
    from flake8_asyncblock import survey

    return survey.link(summaries)
