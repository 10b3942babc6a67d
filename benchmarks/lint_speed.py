"""Linter speed benchmark: flake8 + ABL against bare flake8, flake8-async and ruff.

Run `python benchmarks/lint_speed.py`, or with `--limit 300 --runs 2` for a quick look.
benchmarks/README.md describes the corpus, the environments and the targets.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

# Run as a script, so the benchmarks folder is on sys.path.
from lint_envs import CORPUS, ENVS, WORKTREE, BenchError, prepare, print_versions
from lint_instructions import available, count_instructions

__all__ = ["main"]

FINDING = re.compile(r"^(?:\./)?(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+)\b")
SEED = 2024
BASELINE, OURS = "flake8 (baseline)", "flake8 + ABL"
WARM = " warm"  # the suffix of a row run again over an unchanged tree, its cache full
#: Peer rows `--skip` may leave out, by the environment that holds them.
SKIPPABLE = {"flake8": (BASELINE, OURS), "flake8-async": ("flake8 + flake8-async",),
             "ruff": ("ruff ASYNC", "ruff ASYNC" + WARM)}
TARGETS = (  # (label, numerator row, denominator row, bound, True if the ratio must stay <= bound)
    ("flake8+ABL <= 1.25x bare flake8", OURS, BASELINE, 1.25, True),
    ("flake8+ABL >= 10x faster than flake8-async", "flake8 + flake8-async", OURS, 10.0, False),
    ("asyncblock check >= 5x faster than bare flake8", BASELINE, "asyncblock check", 5.0, False),
    ("asyncblock warm <= 3x ruff warm", "asyncblock check" + WARM, "ruff ASYNC" + WARM, 3.0, True),
)


@dataclass
class Tool:
    """One row of the table: a command, its timings and what it reported."""

    name: str
    argv: list[str]
    samples: list[tuple[float, float]] = field(default_factory=list)  # (wall, cpu) seconds
    findings: list[re.Match[str]] = field(default_factory=list)
    note: str = ""
    peak_rss_kib: int = 0  # the largest single process of any run (the tool or a worker)

    @property
    def crashed(self) -> bool:
        """Tell whether any run of the tool failed."""
        return self.note.startswith("CRASHED")

    def median(self, column: int) -> float | None:
        """Return the median wall (0) or CPU (1) seconds of a tool that never crashed."""
        if self.crashed or not self.samples:
            return None
        return statistics.median(sample[column] for sample in self.samples)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--runs", type=int, default=5, help="timed runs per tool, median reported (5)")
    add("--jobs", type=int, help="flake8 -j for all flake8 rows (default: flake8's own)")
    add("--limit", type=int, help="lint only the first N files in sorted path order")
    add("--sample", type=int, metavar="K", help="print K random ABL findings with source")
    add("--ref", default="HEAD", help=f"project commit to measure, or {WORKTREE} (HEAD)")
    add("--fresh", action="store_true", help="rebuild the tool environments")
    add("--skip", action="append", default=[], choices=SKIPPABLE,
        help="leave out a peer row (repeatable), e.g. the slow flake8-async")
    add("--instructions", type=int, metavar="N",
        help="also count each row's instructions under callgrind, on the first N files (slow: 300 takes ~15 min)")
    add("--max-tool-seconds", type=int, default=600,
        help="a tool whose first run takes longer is not rerun; that run is its sample (600)")
    args = parser.parse_args(argv)
    for name in ("runs", "jobs", "limit", "sample", "instructions", "max_tool_seconds"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def build_tools(envs: dict[str, Path], jobs: int | None) -> list[Tool]:
    """Make one row per tool; `asyncblock check` only if it exists and answers --help.

    Each tool ignores configuration files, as flake8's --isolated does: an empty
    `[tool.asyncblock]` table keeps the project's own pyproject.toml from applying.
    """
    jobs_arg = [f"-j{jobs}"] if jobs else []

    def flake8(env: str, select: str) -> list[str]:
        return [str(envs[env] / "bin" / "flake8"), "--isolated", *jobs_arg, "--select", select]

    ruff = [str(envs["ruff"] / "bin" / "ruff"), "check", "--isolated", "--select", "ASYNC",
            "--output-format", "concise"]
    asyncblock = envs["ours"] / "bin" / "asyncblock"
    isolated = ENVS / "asyncblock-isolated.toml"
    if not isolated.exists():
        isolated.write_text("[tool.asyncblock]\n")
    ours = [str(asyncblock), "check", "--select", "ABL", "--no-gitignore", "--config", str(isolated),
            *jobs_arg]
    # The warm rows keep their caches outside the corpus; the untimed first run fills them,
    # so every timed run finds each file unchanged (what a second run over a tree costs).
    caches = ENVS / "caches"
    shutil.rmtree(caches, ignore_errors=True)
    tools = [
        Tool(BASELINE, flake8("baseline", "ABL")),  # same command line as ours, no ABL plugin
        Tool(OURS, flake8("ours", "ABL")),
        Tool("flake8 + flake8-async", flake8("flake8-async", "ASYNC")),
        Tool("ruff ASYNC", [*ruff, "--no-cache"]),
        Tool("ruff ASYNC" + WARM, [*ruff, "--cache-dir", str(caches / "ruff")]),
        Tool("asyncblock check", [*ours, "--no-cache"]),
        Tool("asyncblock check" + WARM, [*ours, "--cache-dir", str(caches / "asyncblock")]),
    ]
    works = asyncblock.exists() and subprocess.run(
        [str(asyncblock), "check", "--help"], capture_output=True).returncode == 0
    for tool in tools[-2:]:
        if not works:
            tool.note = "skipped: the project has no working `asyncblock check` yet"
    return tools


def run_once(tool: Tool, files: list[str], root: Path) -> tuple[tuple[float, float], str]:
    """Time one run in wall and CPU seconds; a bad exit or a traceback marks a crash.

    CPU time is the sum over the tool and its worker processes. Unlike wall time it hardly
    moves when other work shares the machine's cores. The run's peak RSS is that of its
    largest process, as wait4() reports it for the tool and the workers it waited for.
    """
    start = time.perf_counter()
    try:
        proc = subprocess.Popen(tool.argv + files, cwd=root, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        tool.note = f"CRASHED: {exc}"
        return (0.0, 0.0), ""
    assert proc.stdout is not None and proc.stderr is not None
    with ThreadPoolExecutor(max_workers=2) as readers:
        out, err = readers.submit(proc.stdout.read), readers.submit(proc.stderr.read)
        _, status, usage = os.wait4(proc.pid, 0)
        stdout, stderr = out.result(), err.result()
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    tool.peak_rss_kib = max(tool.peak_rss_kib, usage.ru_maxrss)
    # All of them exit 1 when they find something, but flake8 also exits 1 after a plugin error.
    if proc.returncode not in (0, 1) or "Traceback (most recent" in stderr or "critical error" in stderr:
        last = (stderr.strip().splitlines() or ["no error output"])[-1]
        tool.note = f"CRASHED (exit {proc.returncode}): {last}"
    return (wall, cpu), stdout


def measure(tools: list[Tool], files: list[str], root: Path, runs: int, cap: int) -> None:
    """Run each tool once for its findings, untimed, then `runs` interleaved timed rounds.

    Interleaving spreads a shared machine's load over all rows alike. A tool slower than `cap`
    seconds keeps its first run as its one sample: more runs of many minutes each would not
    move a ratio of that size.
    """
    repeat = []
    for tool in (t for t in tools if not t.note):
        print(f"first run: {tool.name} ...", flush=True)
        sample, out = run_once(tool, files, root)
        tool.findings = [m for m in map(FINDING.match, out.splitlines()) if m]
        if tool.crashed:
            continue
        if sample[0] > cap:
            tool.samples.append(sample)
        else:
            repeat.append(tool)
    for round_number in range(1, runs + 1):
        print(f"timed round {round_number}/{runs} ...", flush=True)
        for tool in (t for t in repeat if not t.crashed):
            sample, out = run_once(tool, files, root)
            tool.samples.append(sample)
            if tool.name.endswith(WARM):  # a run from a full cache must report the same
                tool.findings = [m for m in map(FINDING.match, out.splitlines()) if m]


def print_report(tools: list[Tool]) -> None:
    """Print median, spread, ratio to bare flake8 and findings of each row, then the targets.

    A missed target is a measurement, so it does not fail the run.
    """
    medians = {tool.name: (tool.median(0), tool.median(1)) for tool in tools}
    base_wall, base_cpu = medians[BASELINE]
    print(f"\n{'tool':<22}{'wall s':>9}{'min..max':>19}{'x base':>8}{'cpu s':>9}{'x base':>8}"
          f"{'runs':>5}{'findings':>9}{'peak MiB':>9}")
    for tool in tools:
        wall, cpu = medians[tool.name]
        if wall is None or cpu is None:
            print(f"{tool.name:<22}  {tool.note}")
            continue
        walls = [sample[0] for sample in tool.samples]
        spread = f"{min(walls):.2f}..{max(walls):.2f}"
        wall_x = f"{wall / base_wall:.2f}" if base_wall else "-"
        cpu_x = f"{cpu / base_cpu:.2f}" if base_cpu else "-"
        print(f"{tool.name:<22}{wall:>9.2f}{spread:>19}{wall_x:>8}{cpu:>9.2f}{cpu_x:>8}"
              f"{len(walls):>5}{len(tool.findings):>9}{tool.peak_rss_kib / 1024:>9.0f}")
    for tool in (t for t in tools if t.findings):
        codes = Counter(match["code"] for match in tool.findings)
        print(f"  {tool.name}: " + ", ".join(f"{c} {n}" for c, n in sorted(codes.items())))
    rows = {tool.name: tool for tool in tools}
    for tool in (t for t in tools if t.name.endswith(WARM) and t.samples):
        cold = rows[tool.name.removesuffix(WARM)]
        same = {m.string for m in tool.findings} == {m.string for m in cold.findings}
        print(f"  {tool.name}: {'the same findings as' if same else 'FINDINGS DIFFER from'} "
              f"{cold.name} (last timed run against the uncached run)")
    print()
    for label, top, bottom, bound, at_most in TARGETS:
        verdicts = []
        for column, measure_name in enumerate(("wall", "cpu")):
            num, den = medians[top][column], medians[bottom][column]
            if num is None or not den:
                verdicts.append(f"{measure_name} n/a")
                continue
            ok = num / den <= bound if at_most else num / den >= bound
            verdicts.append(f"{measure_name} {'PASS' if ok else 'MISS'} {num / den:.2f}x")
        print(f"{label:<48} " + ", ".join(verdicts))


def print_sample(tool: Tool, root: Path, count: int) -> None:
    """Print a reproducible random sample of findings with their source line, for review."""
    if not tool.findings:
        print(f"\nno findings of {tool.name} to sample")
        return
    picked = random.Random(SEED).sample(tool.findings, min(count, len(tool.findings)))
    print(f"\n{len(picked)} random findings of {tool.name} (seed {SEED}):")
    for match in sorted(picked, key=lambda m: (m["path"], int(m["line"]))):
        lines = (root / match["path"]).read_text(encoding="utf-8", errors="replace").splitlines()
        number = int(match["line"])
        print(f"{match.string}\n    | {lines[number - 1].strip() if number <= len(lines) else '?'}")


def print_instructions(tools: list[Tool], files: list[str], root: Path) -> None:
    """Count each row's instructions once on `files`, and judge the targets on them.

    flake8-async is left out: under valgrind it would take hours.
    """
    if not available():
        print("\ninstructions: valgrind is not installed, skipped")
        return
    counts: dict[str, int] = {}
    print(f"\ninstructions (callgrind, one run each, user space, tool and workers), {len(files)} files:")
    for tool in tools:
        if tool.note or tool.name == "flake8 + flake8-async":
            continue
        try:
            counts[tool.name], wall, processes = count_instructions(tool.argv + files, root)
        except RuntimeError as exc:
            print(f"  {tool.name}: {exc}")
            continue
        base = counts.get(BASELINE)
        ratio = f"{counts[tool.name] / base:.3f}" if base else "-"
        print(f"  {tool.name:<22}{counts[tool.name] / 1e9:>9.3f} G  x base {ratio:>6}"
              f"  ({processes} processes, {wall:.0f} s under valgrind)", flush=True)
    for label, top, bottom, bound, at_most in TARGETS:
        if top in counts and bottom in counts:
            ratio = counts[top] / counts[bottom]
            ok = ratio <= bound if at_most else ratio >= bound
            print(f"{label:<48} instructions {'PASS' if ok else 'MISS'} {ratio:.2f}x")


def main(argv: list[str] | None = None) -> int:
    """Set up, measure and report; exit 1 if a tool crashed, 2 if the setup failed."""
    args = parse_args(argv)
    try:
        envs, project, root = prepare(args.fresh, args.ref)
    except BenchError as exc:
        print(f"lint_speed: {exc}", file=sys.stderr)
        return 2
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.py"))[: args.limit]
    coroutines = sum(b"async def" in (root / f).read_bytes() for f in files)
    print(f"corpus: {CORPUS}, {len(files)} files, {coroutines} with coroutines; runs: {args.runs}")
    tools = build_tools(envs, args.jobs)
    for tool in tools:
        if tool.name in {row for name in args.skip for row in SKIPPABLE[name]}:
            tool.note = "skipped (--skip)"
    measure(tools, files, root, args.runs, args.max_tool_seconds)
    print_versions(envs, project)
    print_report(tools)
    if args.instructions:
        print_instructions(tools, files[: args.instructions], root)
    if args.sample:
        print_sample(tools[1], root, args.sample)
    return 1 if any(t.crashed for t in tools) else 0


if __name__ == "__main__":
    sys.exit(main())
