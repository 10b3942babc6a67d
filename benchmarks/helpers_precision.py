"""ABL2xx precision sample: check real async projects' sdists, draw the findings to judge by hand.

Run `python benchmarks/helpers_precision.py --dir /tmp/corpus2`: it downloads the sdists
named in PROJECTS (pip, no dependencies), unpacks them, runs `asyncblock check --select ABL2`
over each project on its own (each is a project: its own top-level packages), prints the
count per project and code, and the findings drawn with a fixed seed, as the rows of the
table in benchmarks/helpers_precision.md. The verdicts there are read from the code by hand.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import sys
import tarfile
from collections import Counter
from pathlib import Path

__all__ = ["main"]

#: Real async applications and frameworks, not the speed benchmark's corpus (Home Assistant).
PROJECTS = (
    "datasette==0.65.5", "esphome==2026.6.5", "jupyter-server==2.21.1", "jupyterhub==6.1.1",
    "kopf==1.45.2", "maubot==0.6.0", "opsdroid==0.31.0", "sanic==25.12.1",
)
SEED = 10
SAMPLE = 30
FINDING = re.compile(r"^(?:\./)?(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>ABL2\d\d) (?P<text>.*)$")


def _fetch(spec: str, where: Path) -> Path:
    """Download and unpack one sdist; return the folder it unpacks to."""
    name, _, version = spec.partition("==")
    stem = f"{name.replace('-', '_')}-{version}"
    for folder in (where / "src" / stem, where / "src" / f"{name}-{version}"):
        if folder.is_dir():
            return folder
    sdists = where / "sdists"
    sdists.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                    spec, "-d", str(sdists)], check=True)
    archive = next(p for p in sdists.glob("*.tar.gz") if p.name.lower().replace("-", "_").startswith(
        stem.lower()))
    with tarfile.open(archive) as tar:
        tar.extractall(where / "src", filter="data")
    return next(f for f in (where / "src" / stem, where / "src" / f"{name}-{version}") if f.is_dir())


def _check(folder: Path) -> list[tuple[str, str, int, str, str]]:
    """Run the command over one project; return (project, path, line, code, message) rows."""
    command = shutil.which("asyncblock") or "asyncblock"
    result = subprocess.run(
        [command, "check", "--isolated", "--no-gitignore", "--no-cache", "--select", "ABL2",
         "--jobs", "2", "--exit-zero", "."],
        cwd=folder, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{folder.name}: asyncblock check failed: {result.stderr.strip()}")
    rows = []
    for line in result.stdout.splitlines():
        if match := FINDING.match(line):
            rows.append((folder.name, match["path"], int(match["line"]), match["code"], match["text"]))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, required=True, help="where to keep the sdists and their trees")
    parser.add_argument("--sample", type=int, default=SAMPLE)
    args = parser.parse_args(argv)
    rows = [row for spec in PROJECTS for row in _check(_fetch(spec, args.dir))]
    by_project = Counter(row[0] for row in rows)
    by_code = Counter(row[3] for row in rows)
    print(f"{len(rows)} ABL2xx findings in {len(PROJECTS)} projects")
    print("by project: " + ", ".join(f"{name} {count}" for name, count in sorted(by_project.items())))
    print("by code: " + ", ".join(f"{code} {count}" for code, count in sorted(by_code.items())))
    drawn = sorted(random.Random(SEED).sample(rows, min(args.sample, len(rows))))
    print(f"\nsample of {len(drawn)} (seed {SEED}):")
    for number, (project, path, line, code, text) in enumerate(drawn, start=1):
        print(f"| {number} | {project} | {path}:{line} | {code} | {text} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
