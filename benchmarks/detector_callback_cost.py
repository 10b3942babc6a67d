"""Measure what the stall detector adds per event-loop iteration, callback and loop run.

Run: python benchmarks/detector_callback_cost.py [--repeats 7] [--n 200000]

Each workload runs with and without a started StallDetector (threshold 100 ms,
nothing ever stalls), alternating, and the median of the repeats is printed in
nanoseconds per operation with the ratio. Time is the CPU time of the loop's
thread (`time.thread_time_ns`): on a shared machine wall time swings by tens of
percent between runs, and what the detector adds to the loop is CPU work. The
watchdog's own CPU (it sleeps while no loop runs) is not included. Workloads:

- sleep0:     one task doing `await asyncio.sleep(0)`: one callback per iteration,
              so it pays for the select wrapper and the Handle hook each time.
- chain:      a callback that call_soon()s the next one: same, without a task.
- batch:      n callbacks scheduled at once: one iteration, only the Handle hook.
- run:        loop.run_until_complete() of a trivial coroutine: per-run set-up,
              which is what each async test pays several times.
- uvloop / trio sleep0: the heartbeat and the instrument, when installed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pytest_loopguard.detector import StallDetector

Workload = Callable[[int], None]


async def _sleep0(n: int) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


def sleep0(n: int) -> None:
    asyncio.run(_sleep0(n))


def chain(n: int) -> None:
    loop = asyncio.new_event_loop()
    left = [n]

    def step() -> None:
        left[0] -= 1
        if left[0]:
            loop.call_soon(step)
        else:
            loop.stop()

    loop.call_soon(step)
    loop.run_forever()
    loop.close()


def batch(n: int) -> None:
    loop = asyncio.new_event_loop()
    for _ in range(n - 1):
        loop.call_soon(int)
    loop.call_soon(loop.stop)
    loop.run_forever()
    loop.close()


async def _nothing() -> None:
    pass


def runs(n: int) -> None:
    loop = asyncio.new_event_loop()
    for _ in range(n):
        loop.run_until_complete(_nothing())
    loop.close()


def uvloop_sleep0(n: int) -> None:
    import uvloop

    uvloop.run(_sleep0(n))


def trio_sleep0(n: int) -> None:
    import trio

    async def main() -> None:
        for _ in range(n):
            await trio.sleep(0)

    trio.run(main)


def timed(workload: Workload, n: int, detector: StallDetector | None) -> float:
    """Return CPU nanoseconds of this thread per operation of one run."""
    if detector is not None:
        detector.start()
    try:
        start = time.thread_time_ns()
        workload(n)
        return (time.thread_time_ns() - start) / n
    finally:
        if detector is not None:
            detector.stop()


def measure(name: str, workload: Workload, n: int, repeats: int) -> None:
    workload(min(n, 1000))  # warm up imports and caches
    plain, guarded = [], []
    for _ in range(repeats):
        plain.append(timed(workload, n, None))
        guarded.append(timed(workload, n, StallDetector(0.1)))
    base, with_detector = statistics.median(plain), statistics.median(guarded)
    print(
        f"{name:<14} {base:9.0f} ns {with_detector:9.0f} ns "
        f"{with_detector - base:+8.0f} ns  x{with_detector / base:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    workloads: list[tuple[str, Workload, int]] = [
        ("sleep0", sleep0, args.n),
        ("chain", chain, args.n),
        ("batch", batch, args.n),
        ("run", runs, max(args.n // 20, 1)),
    ]
    optional = (("uvloop sleep0", uvloop_sleep0, "uvloop"), ("trio sleep0", trio_sleep0, "trio"))
    for name, workload, module in optional:
        try:
            __import__(module)
        except ImportError:
            print(f"{name}: {module} not installed, skipped")
            continue
        workloads.append((name, workload, args.n))
    header = f"{'workload':<14} {'plain':>12} {'detector':>12} {'added':>11}  ratio"
    print(f"{header}  (CPU ns per operation, median of {args.repeats})")
    for name, workload, n in workloads:
        measure(name, workload, n, args.repeats)


if __name__ == "__main__":
    main()
