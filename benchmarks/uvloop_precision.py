"""uvloop precision: how often a time.sleep just under or over the threshold is reported.

Run `python benchmarks/uvloop_precision.py` (`--runs 20`, `--threshold 0.1`,
`--fraction 0.25` to try another heartbeat period). On uvloop loopguard cannot
time the loop's poll; it learns of a stall from a heartbeat timer that fires
late (pytest_loopguard/probes/uvloop_probe.py). This runs a real uvloop loop
under a started StallDetector, blocks it once with `time.sleep(factor *
threshold)` at a random moment, and prints, for each factor, how many runs
reported a stall and the durations reported. Factors above 1 should be caught
every time; factors below 1 count as caught only when the machine really slept
longer than asked (a loaded machine does).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time

__all__ = ["main"]

FACTORS = (0.90, 0.95, 1.05, 1.10, 1.20)


def trial(seconds: float, threshold: float) -> tuple[float | None, float]:
    """Block a uvloop loop once; return the duration reported (None: none) and slept."""
    import uvloop

    from pytest_loopguard.detector import StallDetector

    slept = 0.0

    async def main() -> None:
        nonlocal slept
        await asyncio.sleep(random.uniform(0.3, 0.8) * threshold)  # a random heartbeat phase
        started = time.perf_counter()
        time.sleep(seconds)  # noqa: ABL100 - the stall this benchmark measures
        slept = time.perf_counter() - started
        await asyncio.sleep(threshold / 2)

    with StallDetector(threshold) as detector:
        uvloop.run(main())
        stalls = detector.drain()
    reported = max((s.duration_seconds for s in stalls), default=None)
    return reported, slept


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=12, help="trials per sleep length")
    parser.add_argument("--threshold", type=float, default=0.1, help="threshold in seconds")
    parser.add_argument("--fraction", type=float, default=None,
                        help="heartbeat period as a fraction of the threshold (default: the probe's)")
    options = parser.parse_args(argv)
    if options.runs < 1 or options.threshold <= 0:
        parser.error("--runs must be at least 1 and --threshold positive")
    try:
        import uvloop  # noqa: F401
    except ImportError:
        print("uvloop_precision: uvloop is not installed", file=sys.stderr)
        return 2
    from pytest_loopguard.probes import uvloop_probe

    if options.fraction is not None:
        uvloop_probe.HEARTBEAT_FRACTION = options.fraction
    threshold_ms = options.threshold * 1000
    print(f"threshold {threshold_ms:.0f} ms, heartbeat every "
          f"{uvloop_probe.HEARTBEAT_FRACTION:g} of it, {options.runs} runs per sleep")
    print(f"{'sleep':>10}{'caught':>9}{'slept (median)':>16}   reported (ms)")
    for factor in FACTORS:
        results = [trial(options.threshold * factor, options.threshold) for _ in range(options.runs)]
        reported = [r for r, _ in results if r is not None]
        slept = statistics.median(s for _, s in results) * 1000
        shown = " ".join(f"{r * 1000:.1f}" for r in reported)
        print(f"{factor * threshold_ms:>7.0f} ms{len(reported):>5}/{options.runs:<3}"
              f"{slept:>13.1f} ms   {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
