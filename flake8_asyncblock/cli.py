"""The `asyncblock` command: check and fix without flake8, with the rules the plugin runs."""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

from flake8_asyncblock import __version__
from flake8_asyncblock.config import UsageError, load_config
from flake8_asyncblock.discover import discover
from flake8_asyncblock.formats import FORMATS, render
from flake8_asyncblock.project import helper_codes, summarize_project
from flake8_asyncblock.runner import Job, Outcome, check_file

__all__ = ["PARALLEL_THRESHOLD", "build_parser", "main"]

#: Fewer files than this are checked in this process: starting workers costs more.
PARALLEL_THRESHOLD = 48


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of `asyncblock` and its `check` subcommand."""
    parser = _Parser(prog="asyncblock", description="Find (and fix) calls that block the event loop.")
    parser.add_argument("--version", action="version", version=f"asyncblock {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    check = commands.add_parser("check", help="check files and folders (default: .)")
    check.add_argument("paths", nargs="*", metavar="PATH", help="files and folders (default: .)")
    check.add_argument("--select", help="codes or prefixes to check, comma-separated")
    check.add_argument("--ignore", help="codes or prefixes to skip, comma-separated")
    check.add_argument("--blocking", help="extra blocking calls (module.func), for ABL900")
    check.add_argument("--range-limit", help="range() bound counted as CPU-bound work")
    check.add_argument("--exclude", help="glob patterns of files and folders to skip")
    check.add_argument("--config", type=Path, help="pyproject.toml to read [tool.asyncblock] from")
    check.add_argument("--no-gitignore", action="store_true", help="also check what git ignores")
    check.add_argument("--format", choices=sorted(FORMATS), default="text", help="output format")
    check.add_argument("--jobs", "-j", type=_jobs, default=None, help="worker processes (default: all cores)")
    fixing = check.add_mutually_exclusive_group()
    fixing.add_argument("--fix", action="store_true", help="rewrite files in place")
    fixing.add_argument("--diff", action="store_true", help="print the fixes as a diff, write nothing")
    check.add_argument("--unsafe-fixes", action="store_true", help="also apply fixes that can change behaviour")
    return parser


def _jobs(value: str) -> int:
    try:
        jobs = int(value)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number of processes, got {value!r}")
    return jobs


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return 0 when clean, 1 when something was found, 2 on a usage error."""
    try:
        args = build_parser().parse_args(sys.argv[1:] if argv is None else list(argv))
        if args.command is None:
            raise UsageError("a command is required: asyncblock check [PATH ...]")
        return _check(args)
    except UsageError as exc:
        print(f"asyncblock: error: {exc}", file=sys.stderr)
        return 2


def _check(args: argparse.Namespace) -> int:
    paths = args.paths or ["."]
    flags = {"select": args.select, "ignore": args.ignore, "blocking": args.blocking,
             "range-limit": args.range_limit, "exclude": args.exclude}
    config = load_config(flags, args.config, Path(paths[0]))
    mode = "fix" if args.fix else "diff" if args.diff else "check"
    if args.unsafe_fixes and mode == "check":
        raise UsageError("--unsafe-fixes needs --fix or --diff")
    files = discover(paths, config.exclude, gitignore=not args.no_gitignore)
    job = Job(config.codes, config.settings, mode, args.unsafe_fixes)
    if job.codes & helper_codes():
        workers, chunk = _workers(len(files), args.jobs)
        job = replace(job, project=summarize_project(files, job.settings, workers, chunk))
    outcomes = list(_run(files, job, args.jobs))
    return _report(outcomes, args.format, mode)


def _run(files: list[str], job: Job, jobs: int | None) -> Iterable[Outcome]:
    """Check the files in this process, or in a pool of workers for large trees."""
    workers = jobs or _cores()
    if workers < 2 or len(files) < PARALLEL_THRESHOLD:
        return [check_file(path, job) for path in files]
    chunk = max(1, len(files) // (workers * 8))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(check_file, files, [job] * len(files), chunksize=chunk))


def _workers(files: int, jobs: int | None) -> tuple[int, int]:
    """Return the processes and files per task of the project pass, as `_run` picks them."""
    workers = jobs or _cores()
    if workers < 2 or files < PARALLEL_THRESHOLD:
        return 1, 1
    return workers, max(1, files // (workers * 8))


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _report(outcomes: list[Outcome], fmt: str, mode: str) -> int:
    """Print findings, errors and the fix summary; return the exit status."""
    errors = [o for o in outcomes if o.error]
    for outcome in errors:
        print(f"{outcome.path}: {outcome.error}", file=sys.stderr)
    for outcome in outcomes:
        for note in outcome.notes:
            print(note, file=sys.stderr)
    findings = [f for o in outcomes for f in o.findings]
    if mode == "diff":
        sys.stdout.write("".join(o.diff for o in outcomes))
    else:
        sys.stdout.write(render(fmt, findings))
    # The summary goes to stderr; flush first so a terminal shows it after the output.
    sys.stdout.flush()
    if mode == "fix":
        for outcome in outcomes:
            if outcome.new_bytes is not None:
                with open(outcome.path, "wb") as handle:
                    handle.write(outcome.new_bytes)
    if mode != "check":
        print(_summary(outcomes, mode), file=sys.stderr)
        left = sum(sum(o.left.values()) for o in outcomes)
        found = left if mode == "fix" else len(findings)
    else:
        found = len(findings)
    return 1 if found or errors else 0


def _summary(outcomes: list[Outcome], mode: str) -> str:
    left: Counter = Counter()
    for outcome in outcomes:
        left.update(outcome.left)
    fixed = sum(o.fixed for o in outcomes)
    total = fixed + sum(left.values())
    verb = "fixed" if mode == "fix" else "would be fixed"
    reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(left.items()))
    tail = f" ({reasons})" if reasons else ""
    return f"asyncblock: {total} findings, {fixed} {verb}, {sum(left.values())} left{tail}"
