"""The test suite on every supported Python found on the machine, each in a fresh environment.

`make test` runs `nox` after the lint; `nox -s tests-3.12` runs one interpreter. A Python that
is not installed is skipped with a message; one that is installed must pass. Interpreters are
looked up with pyenv first (its versions side by side, whichever one is selected), then on PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import nox

PYTHONS = ["3.10", "3.11", "3.12", "3.13", "3.14"]

nox.options.sessions = ["tests"]
nox.options.error_on_missing_interpreters = False  # nox makes it an error when CI is set
nox.options.download_python = "never"  # only what the machine has; nothing is fetched
nox.options.default_venv_backend = "venv"
nox.options.reuse_venv = "no"  # every run installs from scratch


def _pyenv_bins() -> list[str]:
    """Each pyenv-installed CPython's bin folder, newest patch release of each minor first."""
    if shutil.which("pyenv") is None:
        return []
    listed = subprocess.run(["pyenv", "versions", "--bare", "--skip-aliases"], capture_output=True, text=True)
    root = subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip()
    versions = [v for v in listed.stdout.split() if v[:1].isdigit() and v.count(".") == 2]
    versions.sort(key=lambda v: tuple(int(part) for part in v.split(".") if part.isdigit()), reverse=True)
    return [str(Path(root, "versions", v, "bin")) for v in versions if Path(root, "versions", v, "bin").is_dir()]


def _interpreter_path() -> str:
    """PATH for finding `python3.X`: pyenv's versions side by side, without pyenv's shims.

    A shim answers for every version pyenv knows but runs only the selected one, so nox would
    take a missing interpreter for a broken one instead of skipping it.
    """
    kept = [entry for entry in os.environ.get("PATH", "").split(os.pathsep) if not entry.endswith("shims")]
    return os.pathsep.join([*_pyenv_bins(), *kept])


os.environ["PATH"] = _interpreter_path()


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The whole suite, on two workers; pytest's exit status 5 (no tests ran) fails the session."""
    session.install("--upgrade", "pip")
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", "-p", "no:cacheprovider", "-n", "2", *session.posargs)
