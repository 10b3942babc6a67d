"""CPU wait accuracy: how much of a loop thread's run-queue wait loopguard leaves out of a stall.

Run `python benchmarks/cpu_wait_accuracy.py` (two CPU spinners; `--load 0` for an idle
machine, `--tests 60` for more stretches, `--work-ms 150` for another computation). Linux only:
it reads the same schedstat counters loopguard reads.

Each test of a generated suite runs a loop that does 300 short steps (as a server does between
requests; they keep loopguard's readings of the thread young or old as they would be) and then
one long computation in a coroutine, whose wall time, run time and run-queue wait the test reads
from its own thread's `/proc/<pid>/task/<tid>/schedstat` right before and after it. The suite
runs once under `--loopguard=100ms --loopguard-mode=warn` with the loopguard installed in this
Python, while `--load` spinners keep both cores busy, and the script compares each stall's
`cpu_wait_ms` with the wait the test measured:

- *left out*: measured wait minus loopguard's (loopguard subtracts only the wait that provably
  fell inside the stretch, so this is its error; a stretch is a little longer than the measured
  computation, hence small negative values);
- *wrong verdicts*: a computation whose own time (wall minus wait) was under the threshold
  counted as a stall, or one over it by more than the 5 ms a stretch can add dismissed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["main"]

THRESHOLD_MS = 100.0
SLACK_MS = 5.0  # what a stretch adds around the measured computation, at most

SUITE = '''
import asyncio, json, os, threading, time
import pytest

def counters():
    path = f"/proc/{os.getpid()}/task/{threading.get_native_id()}/schedstat"
    with open(path) as f:
        run, wait, _ = f.read().split()
    return time.perf_counter(), int(run) / 1e9, int(wait) / 1e9

def work(n):
    total = 0
    for i in range(n):
        total += i * i
    return total

@pytest.mark.parametrize("i", range(TESTS))
def test_computation(i, request):
    async def main():
        for _ in range(300):
            work(3000)
            await asyncio.sleep(0)
        before = counters()
        work(ITERATIONS)
        after = counters()
        wall, run, wait = (b - a for a, b in zip(before, after))
        with open(os.environ["ACCURACY_OUT"], "a") as out:
            out.write(json.dumps({"test_id": request.node.nodeid, "wall": wall, "run": run,
                                  "wait": wait}) + "\\n")
    asyncio.run(main())
'''

SPIN = "while True:\n    pass\n"


def _iterations(work_ms: float) -> int:
    """Return how many iterations of the suite's `work` loop take `work_ms` here, idle."""
    n = 200_000
    start = time.thread_time()
    total = 0
    for i in range(n):
        total += i * i
    elapsed = time.thread_time() - start
    return max(1, int(n * work_ms / 1000.0 / max(elapsed, 1e-6)))


def _measure(folder: Path, tests: int, work_ms: float, load: int) -> tuple[list[dict], dict]:
    (folder / "test_accuracy.py").write_text(
        SUITE.replace("TESTS", str(tests)).replace("ITERATIONS", str(_iterations(work_ms))),
        encoding="utf-8",
    )
    out, report = folder / "measured.jsonl", folder / "loopguard.json"
    spinners = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(load)]
    try:
        time.sleep(0.5 if load else 0.0)
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "ignore",
             f"--loopguard={THRESHOLD_MS:g}ms", "--loopguard-mode=warn",
             f"--loopguard-report={report}", "test_accuracy.py"],
            cwd=folder, env={**os.environ, "ACCURACY_OUT": str(out)},
            capture_output=True, text=True, check=False,
        )
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
    if done.returncode != 0 or not out.exists() or not report.exists():
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
        raise RuntimeError(f"the generated suite failed (exit {done.returncode}):\n{tail}")
    measured = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return measured, json.loads(report.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=30)
    parser.add_argument("--work-ms", type=float, default=150.0,
                        help="the computation's CPU time on this machine, idle")
    parser.add_argument("--load", type=int, default=2, help="CPU spinners (default 2)")
    options = parser.parse_args(argv)
    if options.tests < 1 or options.work_ms <= 0 or options.load < 0:
        parser.error("--tests must be at least 1, --work-ms positive, --load at least 0")
    if not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/schedstat").exists():
        print("cpu_wait_accuracy: needs Linux's /proc/<pid>/task/<tid>/schedstat", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="loopguard-accuracy-") as folder:
        try:
            measured, report = _measure(Path(folder), options.tests, options.work_ms, options.load)
        except RuntimeError as exc:
            print(f"cpu_wait_accuracy: {exc}", file=sys.stderr)
            return 1
    stalls = {r["test_id"]: r for r in report["stalls"] if r["kind"] == "stall"}
    dismissed = {r["test_id"]: r for r in report["starved_stretches"]}
    left_out, waits, owns, wrong = [], [], [], []
    for row in measured:
        own_ms = 1000.0 * (row["wall"] - row["wait"])
        waits.append(row["wait"] / row["wall"])
        owns.append(own_ms)
        record = stalls.get(row["test_id"]) or dismissed.get(row["test_id"])
        if record is None:
            if own_ms > THRESHOLD_MS + SLACK_MS:
                wrong.append(f"{row['test_id']}: own {own_ms:.0f} ms, not reported")
            continue
        left_out.append(1000.0 * row["wait"] - record["cpu_wait_ms"])
        counted = row["test_id"] in stalls
        if counted and own_ms < THRESHOLD_MS:
            wrong.append(f"{row['test_id']}: own {own_ms:.0f} ms, counted as a stall")
        elif not counted and own_ms > THRESHOLD_MS + SLACK_MS:
            wrong.append(f"{row['test_id']}: own {own_ms:.0f} ms, dismissed as CPU wait")
    print(f"{options.tests} tests, a {options.work_ms:g} ms computation each, "
          f"{options.load} CPU spinners, --loopguard={THRESHOLD_MS:g}ms; "
          f"the loop thread waited for a CPU {100 * statistics.mean(waits):.0f}% of the time; "
          f"own time (wall - wait) {min(owns):.0f}-{max(owns):.0f} ms, "
          f"median {statistics.median(owns):.0f} ms")
    if left_out:
        print(f"CPU wait left out of the verdict: mean {statistics.mean(left_out):.1f} ms, "
              f"median {statistics.median(left_out):.1f} ms, max {max(left_out):.1f} ms "
              f"({len(left_out)} stretches over the threshold in wall time)")
    print(f"wrong verdicts: {len(wrong)}")
    for line in wrong:
        print(f"   {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
