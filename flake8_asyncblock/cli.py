"""The `asyncblock` command: check and fix without flake8, with the rules the plugin runs."""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from flake8_asyncblock import __version__
from flake8_asyncblock.cache import FOLDER, Cache
from flake8_asyncblock.config import Config, load_config
from flake8_asyncblock.discover import discover, forced_out
from flake8_asyncblock.job import Job, Mode
from flake8_asyncblock.options import OPTIONS, UsageError
from flake8_asyncblock.pool import PARALLEL_THRESHOLD, cached_map, pool_size
from flake8_asyncblock.project import check_project, helper_codes
from flake8_asyncblock.report import Exit, Reporter
from flake8_asyncblock.results import FileError, FileResult, kept, restored
from flake8_asyncblock.source import decode
from flake8_asyncblock.steps import analyse
from flake8_asyncblock.text import TextStyle, use_color
from flake8_asyncblock.write import apply

__all__ = ["PARALLEL_THRESHOLD", "build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of `asyncblock` and its subcommands; `check`'s flags come from OPTIONS."""
    parser = _Parser(prog="asyncblock", description="Find (and fix) calls that block the event loop.")
    parser.add_argument("--version", action="version", version=f"asyncblock {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    check = commands.add_parser("check", help="check files and folders (default: .)")
    check.add_argument("paths", nargs="*", metavar="PATH", help="files and folders (default: .)")
    for option in OPTIONS:
        if "cli" not in option.where:
            continue
        names = [option.flag, *([option.short] if option.short else [])]
        if option.switch:
            check.add_argument(*names, dest=option.dest, action="store_true", default=None,
                               help=option.help)
        else:
            check.add_argument(*names, dest=option.dest, metavar=option.metavar or None,
                               default=None, help=option.help)
    rules = commands.add_parser("rules", help="list the rules")
    rules.set_defaults(command="rules")
    rule = commands.add_parser("rule", help="show a rule's documentation")
    rule.add_argument("code", metavar="CODE", help="a code such as ABL100, or a slug")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command and return its exit status (see `Exit` and docs/cli.md)."""
    try:
        args = build_parser().parse_args(sys.argv[1:] if argv is None else list(argv))
        if args.command is None:
            raise UsageError("a command is required: asyncblock check [PATH ...]")
        if args.command in ("rules", "rule"):
            from flake8_asyncblock import explain  # the rule classes: `check` loads them only on a miss

            sys.stdout.write(explain.list_rules() if args.command == "rules" else explain.describe_rule(args.code))
            return Exit.CLEAN
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
    flags = {o.name: getattr(args, o.dest) for o in OPTIONS
             if "cli" in o.where and getattr(args, o.dest) is not None}
    stdin = args.paths == ["-"] or (not args.paths and "stdin-filename" in flags)
    if "-" in args.paths and not stdin:
        raise UsageError("`-` (standard input) cannot be combined with other paths")
    paths = args.paths or ["."]
    start = Path(flags.get("stdin-filename", ".")) if stdin else Path(paths[0])
    config = load_config(flags, start)
    values = config.values
    if values["fix"] and values["diff"]:
        raise UsageError("--fix and --diff cannot be combined")
    mode: Mode = "fix" if values["fix"] else "diff" if values["diff"] else "check"
    if values["unsafe-fixes"] and mode == "check" and "unsafe-fixes" in flags:
        raise UsageError("--unsafe-fixes needs --fix or --diff")
    if mode == "diff" and values["format"] != "text":
        raise UsageError("--diff prints a unified diff; --format applies to findings only")
    job = Job(config.codes, config.settings, mode, values["unsafe-fixes"],
              per_file_ignores=config.per_file_ignores)
    root = str(config.source.parent) if config.source is not None else os.getcwd()
    force_root = root if values["force-exclude"] else None
    if stdin:
        name = values["stdin-filename"]
        excluded = force_root is not None and name is not None and forced_out(name, config.exclude, root)
        return _check_stdin(values, job, name or "-", excluded)
    gitignore = values["respect-gitignore"] and not values["no-gitignore"]
    found = discover(paths, config.exclude, gitignore=gitignore, force_root=force_root)
    with _output(values["output-file"]) as out:
        reporter = _reporter(values, mode, out)
        reporter.problems(found.problems)
        if not found.files and not found.problems:
            _warn("no Python files found under " + ", ".join(paths))
        cache = _cache(config, job, from_flag="cache-dir" in flags)
        cache.observed(found.stats)
        size = functools.partial(pool_size, jobs=values["jobs"])
        if job.codes & helper_codes():  # ABL2xx: follow helpers across the files
            results = check_project(found.files, job, size, cache)
        else:
            results = cached_map(analyse, found.files, job, size, cache, "result", _unreadable,
                                 keep=_keep, restore=restored)
        try:
            for result in results:
                reporter.file(apply(result) if mode == "fix" else result)
        finally:
            results.close()  # stops the workers when the loop ends early
        cache.save()  # only a whole run is saved: an interrupted one keeps the old cache
        status = reporter.close()
    return Exit.CLEAN if status == Exit.FINDINGS and values["exit-zero"] else status


def _check_stdin(values: Mapping[str, Any], job: Job, name: str, excluded: bool) -> int:
    """Check the code on standard input, named `name`; with --fix, print the fixed code.

    The name picks the configuration and the per-file ignores and names the
    findings; nothing is cached and no file is read or written. With --fix the
    standard output is the code alone (fixed, or as it came), and what is left
    goes to standard error, so the command can filter a buffer in an editor.
    An `excluded` name (`--force-exclude`) is not checked: no findings, the code as it came.
    """
    data = sys.stdin.buffer.read()
    result = FileResult(name) if excluded else analyse(decode(name, data), job)
    fixing = job.mode == "fix"
    with _output(values["output-file"]) as out:
        reporter = _reporter(values, job.mode, sys.stderr if fixing and values["output-file"] is None
                             else out)
        reporter.file(result)
        if fixing:
            sys.stdout.flush()
            sys.stdout.buffer.write(result.rewrite.data if result.rewrite is not None else data)
            sys.stdout.buffer.flush()
        status = reporter.close()
    return Exit.CLEAN if status == Exit.FINDINGS and values["exit-zero"] else status


def _reporter(values: Mapping[str, Any], mode: Mode, out: TextIO) -> Reporter:
    full = values["format"] == "full"  # ruff's: the text with the source lines around each finding
    style = TextStyle(color=use_color(values["color"], out), show_source=values["show-source"] or full,
                      mark_fixable=values["show-fixes"] and mode == "check",
                      unsafe=values["unsafe-fixes"], context=2 if full else 0)
    return Reporter(values["format"], mode, out, sys.stderr, values["statistics"], style,
                    values["show-fixes"])


def _cache(config: Config, job: Job, from_flag: bool) -> Cache:
    """The cache of results for this job's settings, or one that keeps nothing (`--no-cache`).

    The folder is relative to the configuration file's folder (the current
    folder without one, or for `--cache-dir`), as ruff places `.ruff_cache`.
    """
    values = config.values
    if values["no-cache"]:
        return Cache(None, "", _warn)
    base = config.source.parent if config.source is not None and not from_flag else Path.cwd()
    folder = base / (values["cache-dir"] or FOLDER)
    settings = job.settings
    salt = repr((sorted(job.codes), sorted(settings.blocking), settings.range_limit, job.mode,
                 job.unsafe, job.per_file_ignores))
    return Cache(folder, salt, _warn)


def _warn(line: str) -> None:
    print(f"asyncblock: warning: {line}", file=sys.stderr)


def _keep(path: str, key: str, result: FileResult) -> FileResult | None:
    return kept(result)


def _unreadable(path: str, error: FileError) -> FileResult:
    return FileResult(path, error=error)


@contextlib.contextmanager
def _output(path: str | None) -> Iterator[TextIO]:
    """Standard output, or the `--output-file` (opened before any file is checked)."""
    if path is None:
        yield sys.stdout
        return
    try:
        stream = open(path, "w", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--output-file: cannot write {path}: {exc.strerror or exc}") from None
    with stream:
        yield stream
