"""Verdict stability: does the same scenario get the same loopguard verdict run after run?

Run `python benchmarks/verdict_stability.py --runs 20` (idle) and again with `--load 2` (two
CPU spinners, one per core of the development machines). Each run is a fresh pytest session
of one small suite, with `--loopguard=100ms`, using the loopguard installed in this Python:

- a 150 ms `time.sleep` in an async test (a stall: fails, "waiting"),
- 20 ms of CPU work in an async test (no stall, however slow the machine),
- 150 ms of CPU work in an async test (a stall: fails, "cpu"),
- a live server thread whose loop is still blocked when the test's call phase ends (charged
  to that call, "still blocked when the phase ended"), and the next test, during which that
  stall ends (never charged),
- a healthy test.

It prints, per test, how many runs gave the expected verdict (outcome and charged phases),
and the load average before and after, so the figures say what the machine was doing.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

__all__ = ["main"]

CONFTEST = '''
import asyncio, threading, time
import pytest

class Server:
    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="server")
        self.thread.start()

    def block(self, seconds):
        self.loop.call_soon_threadsafe(hold, seconds)

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()

def hold(seconds):
    time.sleep(seconds)

@pytest.fixture(scope="session")
def server():
    server = Server()
    yield server
    server.stop()
'''
TESTS = '''
import asyncio, time
import pytest

def compute(seconds):
    deadline = time.thread_time() + seconds
    while time.thread_time() < deadline:
        pass

@pytest.mark.asyncio
async def test_sleep_150ms():
    time.sleep(0.15)

@pytest.mark.asyncio
async def test_cpu_20ms():
    compute(0.02)
    await asyncio.sleep(0)

@pytest.mark.asyncio
async def test_cpu_150ms():
    compute(0.15)

def test_server_blocked_at_call_end(server):
    server.block(0.5)
    time.sleep(0.2)

def test_after_server(server):
    time.sleep(0.5)

@pytest.mark.asyncio
async def test_healthy():
    await asyncio.sleep(0.05)
'''
# test name -> (outcome, phases charged, kind of each stall)
EXPECTED: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "test_sleep_150ms": ("failed", ("call",), ("waiting",)),
    "test_cpu_20ms": ("passed", (), ()),
    "test_cpu_150ms": ("failed", ("call",), ("cpu",)),
    "test_server_blocked_at_call_end": ("failed", ("call",), ("waiting",)),
    "test_after_server": ("passed", (), ()),
    "test_healthy": ("passed", (), ()),
}
SPIN = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"


def one_run(folder: Path) -> dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """Run the suite once; return each test's outcome, charged phases and stall kinds."""
    junit, report = folder / "junit.xml", folder / "loopguard.json"
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
            "--loopguard=100ms", f"--loopguard-report={report}", f"--junitxml={junit}",
            "-o", "asyncio_mode=strict"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "LOOPGUARD"))}
    subprocess.run(argv, cwd=folder, env=env, capture_output=True, check=False)
    outcomes: dict[str, str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        failed = any(child.tag in ("failure", "error") for child in case)
        name = case.get("name", "")
        outcomes[name] = "failed" if failed or outcomes.get(name) == "failed" else "passed"
    stalls: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
    for record in json.loads(report.read_text())["stalls"]:
        stalls[record["test_id"].split("::")[-1]].append(
            (record["phase"], record["stall_kind"] or "unknown")
        )
    return {
        name: (
            outcome,
            tuple(phase for phase, _ in sorted(stalls[name])),
            tuple(kind for _, kind in sorted(stalls[name])),
        )
        for name, outcome in outcomes.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--load", type=int, default=0, help="CPU spinners (default 0)")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    # Spinners end on their own should this script be killed; a run takes a few seconds.
    spinners = [
        subprocess.Popen([sys.executable, "-c", SPIN.format(seconds=30 * args.runs)])
        for _ in range(args.load)
    ]
    seen: dict[str, collections.Counter[tuple[str, tuple[str, ...], tuple[str, ...]]]] = (
        collections.defaultdict(collections.Counter)
    )
    start = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            (folder / "conftest.py").write_text(CONFTEST)
            (folder / "test_scenarios.py").write_text(TESTS)
            for _ in range(args.runs):
                for name, verdict in one_run(folder).items():
                    seen[name][verdict] += 1
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
    load_after = os.getloadavg()
    print(f"{args.runs} runs, {args.load} CPU spinners, {time.perf_counter() - start:.0f} s; "
          f"load average before {load_before[0]:.1f}, after {load_after[0]:.1f} "
          f"({os.cpu_count()} CPUs)")
    stable = True
    for name, expected in EXPECTED.items():
        counts = seen.get(name, collections.Counter())
        good = counts[expected]
        stable = stable and good == args.runs
        others = ", ".join(f"{n}x {v}" for v, n in counts.most_common() if v != expected)
        print(f"  {good:>3}/{args.runs} {name}: expected {expected}" + (f"; got {others}" if others else ""))
    return 0 if stable else 1


if __name__ == "__main__":
    sys.exit(main())
