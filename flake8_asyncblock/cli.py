"""The `asyncblock` command: check and fix without flake8, with the rules the plugin runs."""

from __future__ import annotations

import argparse
import functools
import multiprocessing
import os
import signal
import sys
from collections.abc import Generator, Sequence
from pathlib import Path

from flake8_asyncblock import __version__
from flake8_asyncblock.config import UsageError, load_config
from flake8_asyncblock.discover import discover
from flake8_asyncblock.formats import FORMATS
from flake8_asyncblock.project import check_project, helper_codes
from flake8_asyncblock.report import Exit, Reporter
from flake8_asyncblock.results import FileResult
from flake8_asyncblock.runner import Job, Mode, check_file
from flake8_asyncblock.write import apply

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
    """Run the command and return its exit status (see `Exit` and docs/cli.md)."""
    try:
        args = build_parser().parse_args(sys.argv[1:] if argv is None else list(argv))
        if args.command is None:
            raise UsageError("a command is required: asyncblock check [PATH ...]")
        return _check(args)
    except UsageError as exc:
        print(f"asyncblock: error: {exc}", file=sys.stderr)
        return Exit.USAGE
    except KeyboardInterrupt:
        # Workers ignore SIGINT and are terminated; a file being written keeps its old text.
        print("asyncblock: interrupted", file=sys.stderr)
        return Exit.INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as other filters do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return Exit.FINDINGS


def _check(args: argparse.Namespace) -> int:
    """Compute each file's result, apply it (the write step), report it: in that order, per file."""
    paths = args.paths or ["."]
    flags = {"select": args.select, "ignore": args.ignore, "blocking": args.blocking,
             "range-limit": args.range_limit, "exclude": args.exclude}
    config = load_config(flags, args.config, Path(paths[0]))
    mode: Mode = "fix" if args.fix else "diff" if args.diff else "check"
    if args.unsafe_fixes and mode == "check":
        raise UsageError("--unsafe-fixes needs --fix or --diff")
    if mode == "diff" and args.format != "text":
        raise UsageError("--diff prints a unified diff; --format applies to findings only")
    found = discover(paths, config.exclude, gitignore=not args.no_gitignore)
    job = Job(config.codes, config.settings, mode, args.unsafe_fixes)
    reporter = Reporter(args.format, mode, sys.stdout, sys.stderr)
    reporter.problems(found.problems)
    if not found.files and not found.problems:
        print("asyncblock: warning: no Python files found under "
              + ", ".join(paths), file=sys.stderr)
    if job.codes & helper_codes():  # ABL2xx: follow helpers across the files
        results = check_project(found.files, job, functools.partial(_workers, jobs=args.jobs))
    else:
        results = _run(found.files, job, args.jobs)
    try:
        for result in results:
            reporter.file(apply(result) if mode == "fix" else result)
    finally:
        results.close()  # stops the workers when the loop ends early
    return reporter.close()


def _run(files: list[str], job: Job, jobs: int | None) -> Generator[FileResult, None, None]:
    """Yield each file's result in order: in this process, or from workers for large trees."""
    workers, chunk = _workers(len(files), jobs)
    if workers < 2:
        yield from (check_file(path, job) for path in files)
        return
    # The parent alone answers Ctrl-C.
    with multiprocessing.Pool(workers, initializer=_ignore_interrupts) as pool:
        yield from pool.imap(functools.partial(check_file, job=job), files, chunksize=chunk)


def _workers(files: int, jobs: int | None) -> tuple[int, int]:
    """Return the processes and files per task; small tasks keep the output flowing."""
    workers = min(jobs or _cores(), files)
    if workers < 2 or files < PARALLEL_THRESHOLD:
        return 1, 1
    return workers, max(1, min(16, files // (workers * 8)))


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
