"""Instruction counts of the linter rows: each command once under valgrind's callgrind.

A count that hardly moves with the load of a shared machine: it leaves out the
kernel and the cost of cache misses, and sums the tool and every worker it forks.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

__all__ = ["available", "count_instructions"]

_TOTAL = re.compile(rb"^(?:summary|totals): (\d+)", re.MULTILINE)


def available() -> bool:
    """Tell whether valgrind is installed."""
    return shutil.which("valgrind") is not None


def count_instructions(argv: list[str], cwd: Path) -> tuple[int, float, int]:
    """Run `argv` once under callgrind; return (instructions, wall seconds, processes counted).

    Each process (the tool and its workers, forked or started anew) writes its
    own profile, and the count is their sum.
    """
    with tempfile.TemporaryDirectory(prefix="lint-callgrind-") as tmp:
        pattern = Path(tmp) / "callgrind.%p"
        command = ["valgrind", "--tool=callgrind", "--cache-sim=no", "--branch-sim=no",
                   "--trace-children=yes", f"--callgrind-out-file={pattern}", *argv]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, capture_output=True, check=False)
        elapsed = time.perf_counter() - started
        totals = []
        for profile in Path(tmp).glob("callgrind.*"):
            match = _TOTAL.search(profile.read_bytes())
            if match:
                totals.append(int(match[1]))
        if done.returncode not in (0, 1) or not totals:
            tail = b"\n".join(done.stderr.splitlines()[-10:]).decode(errors="replace")
            raise RuntimeError(f"callgrind run of {argv[0]} failed (exit {done.returncode}):\n{tail}")
        return sum(totals), elapsed, len(totals)
