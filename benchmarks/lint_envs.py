"""Environments and corpus of the linter speed benchmark: built once, then reused."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import tarfile
import venv
import zipfile
from pathlib import Path

__all__ = ["CORPUS", "ENVS", "WORKTREE", "BenchError", "ensure_env", "install_project", "prepare",
           "print_versions"]

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CACHE = HERE / ".cache"
ENVS = HERE / ".work" / "lint-envs"  # other benchmarks keep their own folders in .work
SNAPSHOT = HERE / ".work" / "lint-src"  # the project as committed, see install_project()

CORPUS = "homeassistant==2024.3.3"
WHEEL = "homeassistant-2024.3.3-py3-none-any.whl"
WHEEL_SHA256 = "6e1ec2c07441d63fdcfb8acd2c4bbb6f68bc97330855784d3623d10c38fe3577"
# The development environment's flake8 in every flake8 row, so the rows differ only by plugin.
FLAKE8 = "flake8==7.5.0"
BASELINE = "ours-baseline"
ENV_REQUIREMENTS = {
    "baseline": [FLAKE8],
    "ours": [FLAKE8],  # plus the project itself
    BASELINE: [FLAKE8],  # the project at an earlier commit, for benchmarks that compare the two
    "flake8-async": [FLAKE8, "flake8-async==26.8.1"],
    "ruff": ["ruff==0.17.5"],
}
WORKTREE = "WORKTREE"


class BenchError(Exception):
    """A setup step failed; the message says which and why."""


def run_checked(argv: list[str], what: str) -> bytes:
    """Run a setup command and return its output; failure is a BenchError with the last lines."""
    try:
        proc = subprocess.run(argv, capture_output=True)
    except OSError as exc:
        raise BenchError(f"{what}: cannot run {argv[0]}: {exc}") from None
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).decode(errors="replace").strip().splitlines()[-15:]
        raise BenchError(f"{what} failed (exit {proc.returncode}):\n" + "\n".join(tail))
    return proc.stdout


def pip(env: Path, *args: str, what: str) -> None:
    """Run pip of one of our environments, quietly."""
    python = str(env / "bin" / "python")
    run_checked([python, "-m", "pip", *args, "--quiet", "--disable-pip-version-check"], what)


def ensure_env(name: str, fresh: bool) -> Path:
    """Create the environment of one tool, or reuse it; `.ready` marks a finished install."""
    env = ENVS / name
    if fresh or not (env / ".ready").exists():
        shutil.rmtree(env, ignore_errors=True)
        print(f"creating environment {name} ...", flush=True)
        venv.create(env, with_pip=True)
        pip(env, "install", *ENV_REQUIREMENTS[name], what=f"installing {name}")
        (env / ".ready").write_text("")
    return env


def install_project(env: Path, ref: str) -> str:
    """Install the project as committed at `ref` into `ours`, unless that commit is there.

    A `git archive` export keeps others' uncommitted edits in the work tree out of the figures.
    """
    source, label = REPO, WORKTREE
    if ref != WORKTREE:
        git = ["git", "-C", str(REPO)]
        commit = run_checked([*git, "rev-parse", "--verify", f"{ref}^{{commit}}"], f"--ref {ref}")
        label = commit.decode().strip()
        marker = env / ".project-commit"
        if marker.exists() and marker.read_text() == label:
            return label
        shutil.rmtree(SNAPSHOT, ignore_errors=True)
        source = SNAPSHOT / label[:12]
        # Our own commit, so trusted; the "data" filter is missing from older patch releases.
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        with tarfile.open(fileobj=io.BytesIO(run_checked([*git, "archive", label], "git"))) as tar:
            tar.extractall(source, **safe)  # type: ignore[arg-type]
    print(f"installing pytest-loopguard at {label[:12]} ...", flush=True)
    # pip always rebuilds and reinstalls a requirement given as a directory.
    pip(env, "install", str(source), FLAKE8, what="installing the project")
    (env / ".project-commit").write_text(label)
    return label


def prepare(fresh: bool, ref: str) -> tuple[dict[str, Path], str, Path]:
    """Return every tool's environment, the project commit installed, and the corpus root."""
    envs = {name: ensure_env(name, fresh) for name in ENV_REQUIREMENTS if name != BASELINE}
    project = install_project(envs["ours"], ref)
    return envs, project, fetch_corpus(envs["baseline"])


def fetch_corpus(env: Path) -> Path:
    """Download the pinned Home Assistant wheel and extract its .py files, each only once."""
    root = CACHE / WHEEL.removesuffix("-py3-none-any.whl")
    if (root / ".complete").exists():
        return root
    wheel = CACHE / WHEEL
    if not wheel.exists():
        print(f"downloading {CORPUS} ...", flush=True)
        pip(env, "download", "--no-deps", "--only-binary=:all:", "--ignore-requires-python",
            "-d", str(CACHE), CORPUS, what=f"downloading {CORPUS}")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise BenchError(f"{wheel} has sha256 {digest}, not {WHEEL_SHA256}; delete it, retry")
    shutil.rmtree(root, ignore_errors=True)
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.namelist():
            if member.startswith("homeassistant/") and member.endswith(".py"):
                archive.extract(member, root)
    (root / ".complete").write_text("")
    return root


def print_versions(envs: dict[str, Path], project: str) -> None:
    """Print each tool's version as the tool itself reports it."""
    print("\nversions:")
    for name, env in envs.items():
        command = "ruff" if name == "ruff" else "flake8"
        proc = subprocess.run([str(env / "bin" / command), "--version"],
                              capture_output=True, text=True)
        text = " ".join(proc.stdout.split()) if proc.returncode == 0 else "fails to start: " + (
            proc.stderr.strip().splitlines() or ["?"])[-1]
        print(f"  {name:<13} {'' if text.startswith(command) else command + ' '}{text}")
    print(f"  {'project':<13} pytest-loopguard at {project}")
