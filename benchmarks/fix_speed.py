"""`asyncblock check --fix` on a file with many fixes, against `check` and against an earlier commit.

Run `python benchmarks/fix_speed.py` (50,000 fixes), or `--fixes 5000 --runs 1` for a quick look.
The file is one coroutine of `time.sleep(i)` lines; each run fixes a fresh copy. The target:
`--fix` on the 50,000-fix file in under 10 s. The ratio to `check` says how close a fix comes
to costing what finding it costs; `--baseline REF` (default: none) also times that commit's
`--fix` in the same rounds, for the ratio of the two approaches on the same load. `--instructions
N` counts each `--fix` row's instructions under callgrind on an N-fix file (a load-proof figure).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

# Run as a script, so the benchmarks folder is on sys.path.
from lint_envs import BASELINE, ENVS, WORKTREE, BenchError, ensure_env, install_project
from lint_instructions import available, count_instructions

__all__ = ["main"]

WORK = ENVS.parent / "fix-speed"
TARGET_SECONDS = 10.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixes", type=int, default=50_000, help="fixes in the file (50000)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per row, median (3)")
    parser.add_argument("--ref", default="HEAD", help=f"project commit to measure, or {WORKTREE}")
    parser.add_argument("--baseline", metavar="REF", help="also time --fix at this commit, in the same rounds")
    parser.add_argument("--instructions", type=int, metavar="N", default=0,
                        help="count each --fix row's instructions under callgrind on an N-fix file")
    args = parser.parse_args(argv)
    if args.fixes < 1 or args.runs < 1 or args.instructions < 0:
        parser.error("--fixes and --runs must be at least 1, --instructions at least 0")
    return args


def write_file(path: Path, fixes: int) -> None:
    lines = "".join(f"    time.sleep({i})\n" for i in range(fixes))
    path.write_text(f"import time\n\n\nasync def poll():\n{lines}", encoding="utf-8")


def run_once(argv: list[str], cwd: Path) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall and CPU seconds (the command and its workers) of one run."""
    before = os.times()
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return wall, cpu, proc


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        env = ensure_env("ours", fresh=False)
        project = install_project(env, args.ref)
        envs = {"asyncblock": env}
        if args.baseline:
            envs["baseline"] = ensure_env(BASELINE, fresh=False)
            baseline = install_project(envs["baseline"], args.baseline)
    except BenchError as exc:
        print(f"fix_speed: {exc}", file=sys.stderr)
        return 2
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    original = WORK / "original.py"
    write_file(original, args.fixes)
    rows: dict[str, list[str]] = {}
    for label, where in envs.items():
        asyncblock = str(where / "bin" / "asyncblock")
        helped = subprocess.run([asyncblock, "check", "--help"], capture_output=True, text=True).stdout
        base = [asyncblock, "check", "--isolated", *(["--no-cache"] if "--no-cache" in helped else [])]
        if label == "asyncblock":
            rows["asyncblock check"] = [*base, "poll.py"]
        rows[f"{label} check --fix"] = [*base, "--fix", "poll.py"]
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in rows}
    print(f"{args.fixes} fixes, project {project[:12]}"
          + (f", baseline {baseline[:12]}" if args.baseline else "") + f", runs: {args.runs}", flush=True)
    for round_number in range(1, args.runs + 1):
        for name, command in rows.items():
            shutil.copyfile(original, WORK / "poll.py")
            wall, cpu, proc = run_once(command, WORK)
            problem = _problem(name, command, proc)
            if problem:
                print(problem)
                return 1
            samples[name].append((wall, cpu))
            print(f"round {round_number}: {name}: {wall:.2f} s wall, {cpu:.2f} s cpu", flush=True)
    medians = {name: (statistics.median(s[0] for s in runs), statistics.median(s[1] for s in runs))
               for name, runs in samples.items()}
    print(f"\n{'row':<30}{'wall s':>9}{'cpu s':>9}{'ms/fix cpu':>12}")
    for name, (wall, cpu) in medians.items():
        print(f"{name:<30}{wall:>9.2f}{cpu:>9.2f}{cpu * 1000 / args.fixes:>12.3f}")
    fix_wall, fix_cpu = medians["asyncblock check --fix"]
    check_wall, check_cpu = medians["asyncblock check"]
    print(f"\n--fix / check: wall {fix_wall / check_wall:.2f}x, cpu {fix_cpu / check_cpu:.2f}x")
    if args.baseline:
        old_wall, old_cpu = medians["baseline check --fix"]
        print(f"baseline --fix / --fix: wall {old_wall / fix_wall:.2f}x, cpu {old_cpu / fix_cpu:.2f}x")
    verdict = "PASS" if fix_cpu < TARGET_SECONDS * args.fixes / 50_000 else "MISS"
    print(f"--fix under {TARGET_SECONDS:.0f} s of CPU per 50,000 fixes: {verdict} "
          f"({fix_cpu * 50_000 / args.fixes:.1f} s scaled to 50,000; wall on this load "
          f"{fix_wall * 50_000 / args.fixes:.1f} s)")
    if args.instructions:
        return _instructions(rows, args.instructions)
    return 0


def _problem(name: str, command: list[str], proc: subprocess.CompletedProcess[str]) -> str | None:
    """Why a timed run does not count (a wrong exit, a traceback, a fix not made), or None."""
    expected = 1 if "--fix" not in command else 0
    if proc.returncode != expected or "Traceback" in proc.stderr:
        return f"{name} failed (exit {proc.returncode}): {proc.stderr.strip()[-500:]}"
    if "--fix" in command and "time.sleep" in (WORK / "poll.py").read_text(encoding="utf-8"):
        return f"{name}: the file still holds time.sleep after --fix"
    return None


def _instructions(rows: dict[str, list[str]], fixes: int) -> int:
    """Each --fix row once under callgrind on a smaller file: counts the load does not move."""
    if not available():
        print("\ninstructions: valgrind is not installed, skipped")
        return 0
    original = WORK / "original.py"
    write_file(original, fixes)
    counts = {}
    print(f"\ninstructions (callgrind, user space, tool and workers), {fixes} fixes:")
    for name, command in rows.items():
        if "--fix" not in command:
            continue
        shutil.copyfile(original, WORK / "poll.py")
        counts[name], wall, _ = count_instructions(command, WORK)
        print(f"{name:<30}{counts[name] / 1e9:>9.2f} G instructions ({wall:.0f} s under callgrind)", flush=True)
    if "baseline check --fix" in counts:
        print(f"baseline --fix / --fix: instructions "
              f"{counts['baseline check --fix'] / counts['asyncblock check --fix']:.2f}x")
    return 0

if __name__ == "__main__":
    sys.exit(main())
