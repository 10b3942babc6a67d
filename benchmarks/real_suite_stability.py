"""Real-suite stability check: does loopguard change any outcome of a real project's own suite?

Run `python benchmarks/real_suite_stability.py` (`--suite aiohttp` for aiohttp's suite instead of
anyio's, `--rounds 3` for more runs, `--load 0` for an idle machine, `--ref <commit>` to measure
another commit of loopguard, `-k EXPR` to narrow, `--no-xdist` or `--xdist-only` for half the runs).

The suites are in SUITES below: each one's sdist (pinned; its `tests/` folder is the suite), how its
test dependencies are installed, and what is deselected (tests that need the Internet; the
machines only reach package registries). The first run of a suite with a given Python builds
`benchmarks/.work/real-suite-<name>-py<XY>` with it, a virtual environment of its own with the
suite's project, its test dependencies and pytest-xdist. Loopguard is installed into it from `git archive <ref>`
(default HEAD), so the figures belong to a commit, not to whatever is in the working tree.

While `--load` processes (default 2, one per core of the development machines) spin on the
CPU, each round runs the suite four times: plain and with `--loopguard=THRESHOLD`, each alone
and with `-n 2`. The script then prints, per mode, every test whose outcome differs between the
plain and the guarded run, marks the differences loopguard made (a failure whose text is a
loopguard report), and counts the stretches loopguard dismissed (from its JSON report). A test
that fails only under loopguard, and not in a run without load, is a false failure; run with
`--load 0` to see which stalls are real.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
import venv
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["main"]

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / ".work"
CACHE = HERE / ".cache"
EXTRA = ("pytest-xdist>=3.6",)
SPIN = "while True:\n    pass\n"


class BenchError(Exception):
    """A setup step failed; the message says which and why."""


def _run(
    argv: list[str], what: str, cwd: Path | None = None, environ: Mapping[str, str] | None = None
) -> str:
    env = {**os.environ, **environ} if environ else None
    done = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, env=env, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
        raise BenchError(f"{what} failed (exit {done.returncode}):\n{tail}")
    return done.stdout


def _test_group(pyproject: Path) -> list[str]:
    """Return the `test` dependency group of the suite's pyproject.toml."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef,import-not-found]  # same API
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    return [" ".join(req.split()) for req in data["dependency-groups"]["test"]]


def _anyio_install(source: Path) -> list[str]:
    return [f"{source}[trio]", *_test_group(source / "pyproject.toml")]


def _aiohttp_install(source: Path) -> list[str]:
    # aiohttp's pinned test requirements; the project editable, as its own CI installs it.
    return ["-r", str(source / "requirements" / "test.txt"), "-e", str(source)]


@dataclass(frozen=True)
class Suite:
    """A real project whose own test suite is run plain and guarded."""

    name: str
    version: str
    install: Callable[[Path], list[str]]  # pip install arguments, given the unpacked sdist
    pytest_args: tuple[str, ...]  # deselection and ini overrides, before any -k
    environ: Mapping[str, str] = field(default_factory=dict)  # for the install and every run

    @property
    def env(self) -> Path:
        # One per Python: the script's interpreter builds it, and asyncio differs between them.
        return WORK / f"real-suite-{self.name}-py{sys.version_info.major}{sys.version_info.minor}"


SUITES = {
    suite.name: suite
    for suite in (
        Suite("anyio", "4.16.0", _anyio_install, ("-m", "not network")),
        Suite(
            "aiohttp",
            "3.14.5",
            _aiohttp_install,
            # pytest.ini's addopts start xdist, coverage and doctests; keep only its selection.
            ("-o", "addopts=", "--strict-markers",
             "-m", "not dev_mode and not autobahn and not internal"),
        ),
    )
}


def ensure_suite(suite: Suite) -> Path:
    """Download and unpack the sdist once; return its folder."""
    source = CACHE / f"{suite.name}-{suite.version}"
    if source.is_dir():
        return source
    CACHE.mkdir(parents=True, exist_ok=True)
    _run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
         "-d", str(CACHE), f"{suite.name}=={suite.version}"],
        f"downloading the {suite.name} {suite.version} sdist",
    )
    with tarfile.open(CACHE / f"{suite.name}-{suite.version}.tar.gz") as archive:
        archive.extractall(CACHE, filter="data")
    return source


def ensure_env(suite: Suite, source: Path) -> Path:
    """Create the suite's environment once; return its python."""
    python = suite.env / "bin" / "python"
    stamp = suite.env / ".installed"
    if not stamp.exists():
        venv.create(suite.env, with_pip=True, clear=True)
        _run([str(python), "-m", "pip", "install", "-q", "-U", "pip"], "upgrading pip")
        _run(
            [str(python), "-m", "pip", "install", "-q", *suite.install(source), *EXTRA],
            f"installing {suite.name} and its test dependencies",
            environ=suite.environ,
        )
        stamp.write_text("ok\n")
    return python


def install_loopguard(suite: Suite, python: Path, ref: str) -> str:
    """Install loopguard as committed at `ref`; return the commit."""
    commit = _run(["git", "rev-parse", ref], "resolving --ref", cwd=REPO).strip()
    marker = suite.env / ".loopguard-commit"
    if marker.exists() and marker.read_text().strip() == commit:
        return commit
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "src.tar"
        _run(["git", "archive", "-o", str(archive), commit], "exporting the commit", cwd=REPO)
        with tarfile.open(archive) as tar:
            tar.extractall(Path(tmp) / "src", filter="data")
        _run(
            [str(python), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall",
             str(Path(tmp) / "src")],
            "installing loopguard",
        )
    marker.write_text(commit + "\n")
    return commit


def outcomes(junit: Path) -> dict[str, tuple[str, str]]:
    """Map each test of a junit file to (outcome, first line of its failure text)."""
    result: dict[str, tuple[str, str]] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        test = f"{case.get('classname')}::{case.get('name')}"
        outcome, text = "passed", ""
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = {"failure": "failed", "error": "error"}.get(child.tag, "skipped")
                lines = (child.get("message") or child.text or "").strip().splitlines()
                text = lines[0] if lines else ""
                break
        result[test] = max(result.get(test, ("passed", "")), (outcome, text), key=_rank)
    return result


def _rank(pair: tuple[str, str]) -> int:
    return ("passed", "skipped", "failed", "error").index(pair[0])


def run_suite(
    suite: Suite, python: Path, source: Path, guard: str | None, workers: bool, keyword: str | None
) -> tuple[dict[str, tuple[str, str]], dict, float]:
    """Run the suite once; return its outcomes, loopguard's JSON report and the wall time."""
    with tempfile.TemporaryDirectory() as tmp:
        junit, report = Path(tmp) / "junit.xml", Path(tmp) / "loopguard.json"
        argv = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", *suite.pytest_args,
                f"--junitxml={junit}", "-o", "junit_family=xunit1"]
        argv += [f"--loopguard={guard}", f"--loopguard-report={report}"] if guard else [
            "-p", "no:loopguard"]
        argv += ["-n", "2"] if workers else []
        argv += ["-k", keyword] if keyword else []
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "LOOPGUARD"))}
        env.update(suite.environ)
        start = time.perf_counter()
        done = subprocess.run(argv, cwd=source, env=env, capture_output=True, check=False)
        wall = time.perf_counter() - start
        if done.returncode not in (0, 1):  # 1: tests failed; anything else: the session broke
            tail = (done.stdout + done.stderr).decode(errors="replace").splitlines()[-40:]
            print(f"pytest exited with status {done.returncode} ({'guarded' if guard else 'plain'}); "
                  "the end of its output:", *tail, sep="\n  ")
        if not junit.exists():
            raise BenchError(f"pytest wrote no results: {' '.join(argv)}")
        document = json.loads(report.read_text()) if report.exists() else {}
        return outcomes(junit), document, wall


def start_load(count: int) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(count)]


def stop_load(spinners: list[subprocess.Popen[bytes]]) -> None:
    for spinner in spinners:
        spinner.kill()
        spinner.wait()


def compare(
    plain: dict[str, tuple[str, str]], guarded: dict[str, tuple[str, str]]
) -> list[tuple[str, str, str, bool]]:
    """List (test, plain outcome, guarded outcome, loopguard's doing) where they differ."""
    rows = []
    for test in sorted(set(plain) | set(guarded)):
        before, _ = plain.get(test, ("missing", ""))
        after, text = guarded.get(test, ("missing", ""))
        if before != after:
            rows.append((test, before, after, "loopguard:" in text))
    return rows


def junit_key(test_id: str) -> str:
    """Turn a pytest node id into the name `outcomes` gives it (junit's xunit1 classname::name)."""
    path, *names = test_id.split("::")
    module = path.removesuffix(".py").replace("/", ".")
    return "::".join([".".join([module, *names[:-1]]), names[-1]]) if names else module


def describe_stall(record: dict) -> str:
    """One line on a stall record: what a reader needs to tell a real stall from a false one."""
    where = (f"{record['file']}:{record['line']} {record.get('source') or ''}".strip()
             if record.get("file") else f"no sample; running {record.get('running')}")
    return (f"{record['duration_ms']:.0f} ms {record.get('phase')}, {record.get('stall_kind')}, "
            f"cpu wait {record.get('cpu_wait_ms', 0):.0f} ms, gc {record.get('gc_ms', 0):.0f} ms, "
            f"explicit gc {record.get('explicit_gc_ms', 0):.0f} ms, at {where}")


def _counts(document: dict) -> str:
    keys = ("stalls", "starved", "gc_pauses", "internal_error_count")
    found = [f"{key} {len(document[key]) if isinstance(document[key], list) else document[key]}"
             for key in keys if key in document]
    return ", ".join(found) or "no counts"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", choices=sorted(SUITES), default="anyio")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--load", type=int, default=2, help="CPU spinners (default 2)")
    parser.add_argument("--threshold", default="100ms")
    parser.add_argument("--ref", default="HEAD", help="loopguard commit (default HEAD)")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--no-xdist", action="store_true", help="only the runs without -n 2")
    only.add_argument("--xdist-only", action="store_true", help="only the runs with -n 2")
    parser.add_argument("-k", dest="keyword", default=None)
    args = parser.parse_args(argv)
    suite = SUITES[args.suite]
    try:
        source = ensure_suite(suite)
        python = ensure_env(suite, source)
        commit = install_loopguard(suite, python, args.ref)
    except BenchError as error:
        print(f"real_suite_stability: {error}", file=sys.stderr)
        return 2
    print(f"{suite.name} {suite.version} suite, loopguard {commit[:10]}, --loopguard={args.threshold}, "
          f"{args.load} CPU spinners, {args.rounds} round(s)")
    modes = (False,) if args.no_xdist else (True,) if args.xdist_only else (False, True)
    totals = {mode: 0 for mode in modes}
    spinners = start_load(args.load)
    try:
        for round_number in range(1, args.rounds + 1):
            for workers in modes:
                label = "-n 2" if workers else "serial"
                plain, _, plain_wall = run_suite(
                    suite, python, source, None, workers, args.keyword
                )
                guarded, document, wall = run_suite(
                    suite, python, source, args.threshold, workers, args.keyword
                )
                rows = compare(plain, guarded)
                ours = sum(1 for row in rows if row[3])
                totals[workers] += ours
                stalls = len(document.get("stalls", ()))
                print(f"\nround {round_number}, {label}: {len(guarded)} tests, plain "
                      f"{plain_wall:.0f} s, guarded {wall:.0f} s; {len(rows)} outcome(s) "
                      f"differ, {ours} by loopguard; {stalls} stall record(s); "
                      f"{_counts(document)}")
                stalls_of: dict[str, list[dict]] = {}
                for record in document.get("stalls", ()):
                    stalls_of.setdefault(junit_key(record["test_id"]), []).append(record)
                for test, before, after, by_loopguard in rows:
                    mark = "loopguard" if by_loopguard else "other"
                    print(f"  {before:>7} -> {after:<7} [{mark}] {test}")
                    for record in stalls_of.get(test, ()):
                        print(f"        {describe_stall(record)}")
    except BenchError as error:
        print(f"real_suite_stability: {error}", file=sys.stderr)
        return 2
    finally:
        stop_load(spinners)
    for workers in modes:
        label = "-n 2" if workers else "serial"
        print(f"total loopguard failures, {label}: {totals[workers]} in {args.rounds} round(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
