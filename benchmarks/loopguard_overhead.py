"""Loopguard overhead benchmark: async tests plain, guarded, in calls mode, under blockbuster.

Run `python benchmarks/loopguard_overhead.py` (`--runs 2 --tests 300` for a quick check,
`--instructions` to add instruction counts taken with valgrind's callgrind, `--suite io` for
tests that do real file and socket work through `asyncio.to_thread`).
The first run builds `benchmarks/.work/loopguard-env`, a virtual environment of its own with
pytest-asyncio, blockbuster (the peer of calls mode, run as the autouse fixture its README
shows) and this project (editable), so nothing is installed into the project's deps.
Each run executes every configuration once, in rotating order so that machine noise
spreads evenly; the table shows the median wall time, the median and the minimum CPU time
(user + system of the pytest process, the watchdog thread included) of each, and their
ratios to plain. Targets: `--loopguard=100ms` adds at most 5% and `--loopguard-calls=fail`
at most 10% on the trivial suite, and calls mode is no slower than blockbuster on either
suite, judged on the median CPU time:
on a shared machine wall time moves by more than that from one run to the next, while CPU
time is what loopguard adds; the minimum shows what is left when the machine is quiet.
The "paired" columns are the medians of the per-round ratios (each configuration against the
plain run of the same round), of wall time and of CPU time: pairing cancels load that lasts
longer than a round. Wall time is what a user times, so `--loopguard=100ms` also has a target
on its paired wall ratio.

Even CPU time moves by 5-10% from run to run on a shared two-core machine, as much as the
target. `--instructions` therefore also counts the instructions each configuration executes
under callgrind: a count that does not depend on the machine's load (it leaves out what runs
in the kernel, and the cost of cache misses). Under valgrind a suite runs about fifty times
slower, so the full suite is not run there: each configuration runs a 1-test suite and a
suite of `--instruction-tests` tests (default 101: two files, so a file's own cost is in the
slope), and the count at `--tests` tests is projected on the line through the two (the cost
per test is the same for every test of a generated suite). Both measured counts and the cost
per test are printed beside the projection.

The children run as users' pytest runs do: in the suite's folder (from the checkout, pytest
would find the project's editable-install metadata there and assertion-rewrite the plugin's
modules on every run), and with bytecode caches. The project is compiled when the
benchmark starts and one untimed run writes pytest's caches of the test files, so no
configuration pays for compiling (PYTHONDONTWRITEBYTECODE is dropped for all of them).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

__all__ = ["main"]

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
ENV = HERE / ".work" / "loopguard-env"
REQUIREMENTS = ("pytest==9.2.0", "pytest-asyncio==1.5.0", "blockbuster==1.5.29")
TESTS_PER_FILE = 100
TARGET_RATIO = 1.05
CALLS_TARGET_RATIO = 1.10
CALLS = "--loopguard-calls=fail"
BLOCKBUSTER = "blockbuster fixture"
# (label, extra pytest arguments, extra environment)
Config = tuple[str, tuple[str, ...], dict[str, str]]
CONFIGS: tuple[Config, ...] = (
    ("plain", ("-p", "no:loopguard"), {}),
    ("--loopguard=100ms", ("--loopguard=100ms",), {}),
    ("PYTHONASYNCIODEBUG=1", ("-p", "no:loopguard"), {"PYTHONASYNCIODEBUG": "1"}),
    (CALLS, (CALLS,), {}),
    (BLOCKBUSTER, ("-p", "no:loopguard", "-p", "bench_blockbuster"), {}),
)
# `--only` names the rows to run by these words; plain always runs.
CONFIG_KEYS = {"loopguard": "--loopguard=100ms", "asynciodebug": "PYTHONASYNCIODEBUG=1",
               "calls": CALLS, "blockbuster": BLOCKBUSTER}
# blockbuster's pytest use, as its README shows it: an autouse fixture around every test.
BLOCKBUSTER_PLUGIN = """\
import pytest
from blockbuster import blockbuster_ctx


@pytest.fixture(autouse=True)
def blockbuster():
    with blockbuster_ctx() as bb:
        yield bb
"""
# The io suite's work, done in threads as it should be: a real file read and a socket
# round trip to a threaded echo server on localhost.
IO_WORK = """\
import os
import socket
import socketserver
import tempfile
import threading

DATA = os.path.join(tempfile.mkdtemp(prefix="loopguard-bench-io-"), "data.bin")
with open(DATA, "wb") as stream:
    stream.write(os.urandom(16384))


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(self.request.recv(4096))


SERVER = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo)
SERVER.daemon_threads = True
threading.Thread(target=SERVER.serve_forever, daemon=True).start()


def read_file():
    with open(DATA, "rb") as stream:
        return len(stream.read())


def round_trip():
    with socket.create_connection(SERVER.server_address) as sock:
        sock.sendall(b"ping")
        return sock.recv(4096)
"""


class BenchError(Exception):
    """A setup step or a run failed; the message says which and why."""


def _checked(
    argv: list[str], what: str, env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,),
    cwd: Path | None = None,
) -> str:
    """Run a command and return its output, or raise BenchError with its tail."""
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False, cwd=cwd)
    if done.returncode not in ok:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
        raise BenchError(f"{what} failed (exit {done.returncode}):\n{tail}")
    return done.stdout


def ensure_env() -> Path:
    """Create the benchmark's own environment once; return its python."""
    python = ENV / "bin" / "python"
    stamp = ENV / ".installed"
    wanted = "\n".join(REQUIREMENTS) + "\n"  # a new requirement rebuilds the environment
    if not stamp.exists() or stamp.read_text() != wanted:
        print(f"building {ENV} (once)", flush=True)
        shutil.rmtree(ENV, ignore_errors=True)
        venv.create(ENV, with_pip=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        _checked(pip + list(REQUIREMENTS), "installing pytest, pytest-asyncio and blockbuster")
        _checked([*pip, "-e", str(REPO)], "installing this project")
        stamp.write_text(wanted)
    # The project is installed editable: compile its current sources (a no-op when fresh).
    for package in ("pytest_loopguard", "flake8_asyncblock"):
        _checked([str(python), "-m", "compileall", "-q", str(REPO / package)],
                 f"compiling {package}", _child_env({}))
    return python


def write_suite(root: Path, tests: int, suite: str = "trivial") -> None:
    """Write `tests` pytest-asyncio tests, TESTS_PER_FILE to a file.

    "trivial" tests only yield to the loop; "io" tests read a file and make a
    socket round trip, each through `asyncio.to_thread`.
    """
    (root / "pytest.ini").write_text(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    (root / "bench_blockbuster.py").write_text(BLOCKBUSTER_PLUGIN)
    (root / "io_work.py").write_text(IO_WORK)
    for start in range(0, tests, TESTS_PER_FILE):
        count = min(TESTS_PER_FILE, tests - start)
        if suite == "io":
            body = ["import asyncio", "", "import io_work", ""]
            work = [
                "    assert await asyncio.to_thread(io_work.read_file) == 16384",
                '    assert await asyncio.to_thread(io_work.round_trip) == b"ping"',
            ]
        else:
            body, work = ["import asyncio", ""], ["    await asyncio.sleep(0)"]
        for index in range(start, start + count):
            body += ["", f"async def test_{index}():", *work, ""]
        (root / f"test_batch_{start // TESTS_PER_FILE:03d}.py").write_text("\n".join(body))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _child_env(extra_env: dict[str, str]) -> dict[str, str]:
    """Return the environment of a child run: this one, writing bytecode, no LOOPGUARD."""
    env = {**os.environ, **extra_env, "COLUMNS": "1000"}  # untruncated FAILED lines
    env.pop("LOOPGUARD", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def time_run(python: Path, suite: Path, args: tuple[str, ...], extra_env: dict[str, str],
             tests: int) -> tuple[float, float, int]:
    """Run the suite once; return wall and CPU seconds and the tests that stalled."""
    env = _child_env(extra_env)
    argv = [str(python), "-m", "pytest", "-p", "no:cacheprovider", str(suite), *args]
    guarded = "--loopguard=100ms" in args  # calls mode must find nothing: exit 0 only
    started, cpu_started = time.perf_counter(), _children_cpu()
    output = _checked(argv, "pytest " + " ".join(args), env, ok=(0, 1) if guarded else (0,),
                      cwd=suite)
    elapsed, cpu = time.perf_counter() - started, _children_cpu() - cpu_started
    stalls = _stalled_tests(output)
    if f"{tests - stalls} passed" not in output:
        raise BenchError(f"expected '{tests - stalls} passed' from pytest {' '.join(args)}")
    if guarded and "loopguard: on, threshold 100 ms" not in output:
        raise BenchError("the guarded run did not turn loopguard on")
    if CALLS in args and "loopguard: calls mode fail" not in output:
        raise BenchError("the calls mode run did not turn calls mode on")
    return elapsed, cpu, stalls


def _stalled_tests(output: str) -> int:
    """Count the tests loopguard failed; any other failure is an error of the benchmark.

    Trivial tests do not block, but on a loaded machine a process that is not
    scheduled for 100 ms, or a long garbage collection, is a real stall too.
    """
    failed = [line for line in output.splitlines() if line.startswith("FAILED ")]
    if any(" - loopguard: " not in line for line in failed):
        raise BenchError("a test failed for another reason than a stall:\n" + "\n".join(failed))
    return len(failed)


Timings = dict[str, list[tuple[float, float, int]]]


def measure(python: Path, suite: Path, runs: int, tests: int,
            configs: tuple[Config, ...] = CONFIGS) -> Timings:
    """Time every configuration `runs` times, rotating the order each run."""
    times: Timings = {label: [] for label, _, _ in configs}
    for _label, args, extra_env in configs:  # untimed: writes the bytecode caches
        time_run(python, suite, args, extra_env, tests)
    print("warm-up run done", flush=True)
    for run in range(runs):
        order = configs[run % len(configs):] + configs[: run % len(configs)]
        for label, args, extra_env in order:
            times[label].append(time_run(python, suite, args, extra_env, tests))
        print(f"run {run + 1}/{runs} done", flush=True)
    return times


def count_instructions(python: Path, suite: Path, args: tuple[str, ...],
                       extra_env: dict[str, str]) -> tuple[int, float]:
    """Run the suite once under callgrind; return the instructions executed and wall seconds."""
    env = _child_env(extra_env)
    with tempfile.TemporaryDirectory(prefix="loopguard-callgrind-") as tmp:
        out = Path(tmp) / "callgrind.out"
        argv = ["valgrind", "--tool=callgrind", "--cache-sim=no", "--branch-sim=no",
                f"--callgrind-out-file={out}", str(python), "-m", "pytest",
                "-p", "no:cacheprovider", "-q", str(suite), *args]
        started = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False,
                              cwd=suite)
        elapsed = time.perf_counter() - started
        match = re.search(r"Collected : (\d+)", done.stderr)
        if done.returncode != 0 or match is None:
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
            raise BenchError(f"callgrind run of pytest {' '.join(args)} failed:\n{tail}")
        return int(match.group(1)), elapsed


def _warm(python: Path, suite: Path, configs: tuple[Config, ...], tests: int) -> float:
    """Run every configuration once, untimed (bytecode caches); return plain's CPU seconds.

    CPU, not wall: plain's wall time grows with the machine's load, and a
    slowdown computed from it would scale the threshold too little, so that
    the watchdog's wake-ups would be counted many times over.
    """
    plain_cpu = 1.0
    for label, args, extra_env in configs:
        _, cpu, _ = time_run(python, suite, args, extra_env, tests)
        if label == "plain":
            plain_cpu = cpu
    return plain_cpu


def _counts(python: Path, suite: Path, tests: int,
            configs: tuple[Config, ...]) -> tuple[dict[str, int], float, str]:
    """Count each configuration's instructions on one suite; also return the slowdown used."""
    plain_cpu = _warm(python, suite, configs, tests)
    counts: dict[str, int] = {}
    scaled, slowdown = "", 1.0
    for label, args, extra_env in configs:
        if label == "plain":
            counts[label], wall = count_instructions(python, suite, args, extra_env)
            slowdown = max(wall / plain_cpu, 1.0)
            scaled = f"--loopguard={100 * slowdown:.0f}ms"
        else:
            args = tuple(scaled if a == "--loopguard=100ms" else a for a in args)
            counts[label], _ = count_instructions(python, suite, args, extra_env)
    return counts, slowdown, scaled


def project(small: int, large: int, tests: int, at_one: int, at_large: int) -> float:
    """Instructions at `tests` tests, on the line through the counts at `small` and `large`."""
    per_test = (at_large - at_one) / (large - small)
    return at_one + per_test * (tests - small)


def print_instructions(python: Path, tests: int, sample: int,
                       configs: tuple[Config, ...] = CONFIGS, kind: str = "trivial") -> bool:
    """Print each configuration's instructions, projected to `tests` tests, and its ratios.

    Under valgrind a suite runs tens of times slower while the watchdog
    still wakes by the clock, so the threshold is scaled by the slowdown of
    the plain run (valgrind's wall time over plain's CPU time): the watchdog
    then wakes as often per test as in a real run on a quiet machine, and no
    test stalls only because valgrind is slow.
    """
    if shutil.which("valgrind") is None:
        print("\ninstructions: valgrind is not installed, skipped")
        return True
    measured: dict[int, dict[str, int]] = {}
    notes = []
    for size in (1, sample):
        with tempfile.TemporaryDirectory(prefix="loopguard-bench-cg-") as tmp:
            write_suite(Path(tmp), size, kind)
            measured[size], slowdown, scaled = _counts(python, Path(tmp), size, configs)
        guarded = any(label == "--loopguard=100ms" for label, _, _ in configs)
        notes.append(f"{size} tests: valgrind {slowdown:.0f}x slower"
                     + (f", guarded run {scaled}" if guarded else ""))
    one, many = measured[1], measured[sample]
    projected = {
        label: project(1, sample, tests, one[label], many[label]) for label, _, _ in configs
    }
    plain = projected["plain"]
    print(f"\ninstructions executed (callgrind, user space only, one run per size; "
          f"{'; '.join(notes)}), projected to {tests} {kind} tests")
    peer = projected.get(BLOCKBUSTER)
    print(f"{'configuration':<22}{'1 test':>10}{f'{sample} tests':>12}{'per test':>11}"
          f"{f'at {tests}':>11}{'ratio':>8}" + (f"{'vs blockbuster':>16}" if peer else ""))
    for label, count in projected.items():
        per_test = (many[label] - one[label]) / (sample - 1)
        versus = f"{count / peer:>16.3f}" if peer else ""
        print(f"{label:<22}{one[label] / 1e6:>8.1f} M{many[label] / 1e6:>10.1f} M"
              f"{per_test / 1e6:>9.3f} M{count / 1e9:>9.3f} G{count / plain:>8.3f}{versus}")
    print()
    return print_targets(projected, "instructions", kind)


def _summary(values: list[tuple[float, float, int]]) -> tuple[float, float, float]:
    """Return the median wall time, the median CPU time and the minimum CPU time."""
    cpu = [v[1] for v in values]
    return statistics.median(v[0] for v in values), statistics.median(cpu), min(cpu)


def _paired(values: list[tuple[float, float, int]], plain: list[tuple[float, float, int]],
            field: int) -> float:
    """Return the median of the per-round ratios of one field (0: wall, 1: CPU) to plain."""
    return statistics.median(v[field] / p[field] for v, p in zip(values, plain))


def print_table(times: Timings, tests: int, suite: str = "trivial") -> bool:
    """Print medians, minima and ratios; return whether loopguard met its targets."""
    plain_wall, plain_cpu, plain_min = _summary(times["plain"])
    print(f"\n{tests} {suite} async tests, {len(times['plain'])} runs each (median, min CPU)")
    print(f"{'configuration':<22}{'wall s':>8}{'ratio':>7}{'paired':>8}{'CPU s':>8}{'ratio':>7}"
          f"{'paired':>8}{'min CPU':>9}{'ratio':>7}{'stalls':>8}   CPU runs (s)")
    for label, values in times.items():
        wall, cpu, least = _summary(values)
        paired_wall = _paired(values, times["plain"], 0)
        paired = _paired(values, times["plain"], 1)
        runs = " ".join(f"{v[1]:.2f}" for v in values)
        stalls = sum(v[2] for v in values)
        print(
            f"{label:<22}{wall:>8.2f}{wall / plain_wall:>7.3f}{paired_wall:>8.3f}"
            f"{cpu:>8.2f}{cpu / plain_cpu:>7.3f}"
            f"{paired:>8.3f}{least:>9.2f}{least / plain_min:>7.3f}{stalls:>8}   {runs}"
        )
    print()
    met = print_targets({label: _summary(values)[1] for label, values in times.items()},
                        "CPU time", suite)
    return print_wall_target(times, suite) and met


def print_wall_target(times: Timings, suite: str) -> bool:
    """Print loopguard's paired wall-time ratio against its target: what a user times."""
    guarded = times.get("--loopguard=100ms")
    if guarded is None or "plain" not in times:
        return True
    ratio = _paired(guarded, times["plain"], 0)
    if suite != "trivial":
        print(f"loopguard wall time (paired) vs plain: {ratio:.3f}x (no target on this suite)")
        return True
    verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
    print(f"target: loopguard wall time (paired) <= {TARGET_RATIO:.2f}x plain: {verdict} "
          f"({ratio:.3f}x)")
    return ratio <= TARGET_RATIO


def print_targets(measures: dict[str, float], what: str, suite: str) -> bool:
    """Print each target whose rows were measured; return whether all of them were met."""
    checks = [
        ("loopguard", "--loopguard=100ms", "plain", TARGET_RATIO if suite == "trivial" else None),
        ("calls mode", CALLS, "plain", CALLS_TARGET_RATIO if suite == "trivial" else None),
        ("calls mode", CALLS, BLOCKBUSTER, 1.0),
    ]
    met = True
    for name, label, peer, target in checks:
        if label not in measures or peer not in measures:
            continue
        ratio = measures[label] / measures[peer]
        if target is None:
            print(f"{name} {what} vs {peer}: {ratio:.3f}x (no target on this suite)")
            continue
        verdict = "met" if ratio <= target else "MISSED"
        met = met and ratio <= target
        print(f"target: {name} {what} <= {target:.2f}x {peer}: {verdict} ({ratio:.3f}x)")
    return met


def _rows(text: str) -> set[str]:
    """Parse `--only`: row words, each naming one configuration."""
    words = {word.strip() for word in text.split(",") if word.strip()}
    unknown = sorted(words - set(CONFIG_KEYS))
    if unknown or not words:
        raise argparse.ArgumentTypeError(
            f"expected rows among {', '.join(CONFIG_KEYS)}, got {text!r}"
        )
    return {CONFIG_KEYS[word] for word in words}


def main(argv: list[str] | None = None) -> int:
    """Build the environment, generate the suite, time it; exit 1 when the target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each configuration")
    parser.add_argument("--tests", type=int, default=2000, help="tests in the generated suite")
    parser.add_argument("--instructions", action="store_true",
                        help="also count instructions under valgrind's callgrind (slow)")
    parser.add_argument("--instruction-tests", type=int, default=TESTS_PER_FILE + 1, metavar="N",
                        help="with --instructions: tests of the larger suite run under callgrind "
                             "(the counts at 1 and N tests are projected to --tests)")
    parser.add_argument("--suite", choices=("trivial", "io"), default="trivial",
                        help="trivial tests, or tests doing file and socket work in threads")
    parser.add_argument("--only", metavar="ROWS", type=_rows,
                        help="comma-separated rows to run beside plain: " + ", ".join(CONFIG_KEYS))
    options = parser.parse_args(argv)
    if options.runs < 1 or options.tests < 1:
        parser.error("--runs and --tests must be at least 1")
    if options.instruction_tests < 2:
        parser.error("--instruction-tests must be at least 2")
    configs = CONFIGS if options.only is None else tuple(
        config for config in CONFIGS if config[0] == "plain" or config[0] in options.only
    )
    try:
        python = ensure_env()
        with tempfile.TemporaryDirectory(prefix="loopguard-bench-") as tmp:
            write_suite(Path(tmp), options.tests, options.suite)
            times = measure(python, Path(tmp), options.runs, options.tests, configs)
            met = print_table(times, options.tests, options.suite)
        if options.instructions:
            met = print_instructions(python, options.tests, options.instruction_tests, configs,
                                     options.suite) and met
    except BenchError as error:
        print(f"loopguard_overhead: {error}", file=sys.stderr)
        return 2
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
