"""The distribution as PyPI would get it: what the sdist and the wheel carry, and its metadata.

One `python -m build` per session (the sdist, then the wheel built from that sdist, so a file the
sdist forgets breaks the wheel too), checked with `twine check --strict`.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from email.parser import HeaderParser
from pathlib import Path

import pytest

from flake8_asyncblock import __version__
from pytest_loopguard import __version__ as plugin_version

ROOT = Path(__file__).resolve().parents[1]
REPOSITORY = "https://github.com/pytest-loopguard/pytest-loopguard"
PACKAGES = ("pytest_loopguard", "flake8_asyncblock")
# Folders the sdist carries whole, so its tests run and its docs and benchmarks can be judged.
SDIST_FOLDERS = ("tests", "docs", "examples", "benchmarks")
# What never belongs in a distribution, wherever a developer's tree has it.
JUNK = re.compile(r"(^|/)(\.venv[^/]*|\.git|build|dist|[^/]*\.egg-info|__pycache__|\.hypothesis)(/|$)|\.py[cod]$")
LOCAL = re.compile(r"^benchmarks/\.(cache|work)(/|$)")


def _source_files(folder: str) -> set[str]:
    """Every file under `folder` that a clean checkout has (caches and environments left out)."""
    found = set()
    for path in (ROOT / folder).rglob("*"):
        name = path.relative_to(ROOT).as_posix()
        if path.is_file() and not JUNK.search(name) and not LOCAL.search(name):
            found.add(name)
    return found


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the sdist and the wheel from a copy of the tree, away from the working tree."""
    work = tmp_path_factory.mktemp("packaging")
    source = work / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", ".hypothesis", ".cache", ".work",
    ))
    out = work / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        capture_output=True, text=True,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    return out


def _only(dist: Path, pattern: str) -> Path:
    found = sorted(dist.glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {dist}, found {found}"
    return found[0]


def _sdist_names(dist: Path) -> set[str]:
    with tarfile.open(_only(dist, "*.tar.gz")) as archive:
        prefix = f"pytest_loopguard-{__version__}/"
        names = {member.name for member in archive.getmembers() if member.isfile()}
    assert all(name.startswith(prefix) for name in names), names
    return {name[len(prefix):] for name in names}


def _wheel_names(dist: Path) -> set[str]:
    with zipfile.ZipFile(_only(dist, "*.whl")) as archive:
        return set(archive.namelist())


def _wheel_metadata(dist: Path) -> Message:
    with zipfile.ZipFile(_only(dist, "*.whl")) as archive:
        text = archive.read(f"pytest_loopguard-{__version__}.dist-info/METADATA").decode()
    return HeaderParser().parsestr(text)


def test_twine_check_passes_on_both_archives(dist: Path) -> None:
    archives = sorted(str(path) for path in dist.iterdir())
    assert len(archives) == 2, archives
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *archives], capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASSED") == 2, result.stdout


def test_sdist_carries_the_tests_docs_examples_and_benchmarks(dist: Path) -> None:
    names = _sdist_names(dist)
    for top in ("LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml", "MANIFEST.in", "Makefile"):
        assert top in names, f"the sdist lacks {top}"
    for folder in SDIST_FOLDERS:
        missing = _source_files(folder) - names
        assert not missing, f"the sdist lacks {sorted(missing)[:10]}"
    assert "tests/test_packaging.py" in names and "docs/generate_rules.py" in names
    assert any(name.startswith("tests/fixtures/") for name in names)


def test_sdist_and_wheel_carry_no_caches_or_environments(dist: Path) -> None:
    # setuptools puts its own egg-info at the sdist's top; any other one is a developer's.
    sdist = {name for name in _sdist_names(dist) if not name.startswith("pytest_loopguard.egg-info/")}
    for name in sdist | _wheel_names(dist):
        assert not JUNK.search(name) and not LOCAL.search(name), f"{name} does not belong in a distribution"


def test_wheel_carries_every_module_and_py_typed_of_both_packages(dist: Path) -> None:
    names = _wheel_names(dist)
    for package in PACKAGES:
        assert f"{package}/py.typed" in names, f"the wheel lacks {package}/py.typed"
        modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / package).rglob("*.py")}
        assert modules <= names, f"the wheel lacks {sorted(modules - names)}"
    assert not {name for name in names if name.split("/")[0] in SDIST_FOLDERS}, "tests or docs in the wheel"
    assert f"pytest_loopguard-{__version__}.dist-info/licenses/LICENSE" in names


def test_wheel_declares_the_entry_points_of_both_tools(dist: Path) -> None:
    with zipfile.ZipFile(_only(dist, "*.whl")) as archive:
        text = archive.read(f"pytest_loopguard-{__version__}.dist-info/entry_points.txt").decode()
    assert "[pytest11]\nloopguard = pytest_loopguard.plugin" in text
    assert "[flake8.extension]\nABL = flake8_asyncblock.checker:AsyncBlockChecker" in text
    assert "[console_scripts]\nasyncblock = flake8_asyncblock.cli:main" in text


def test_metadata_names_version_license_urls_and_supported_pythons(dist: Path) -> None:
    meta = _wheel_metadata(dist)
    assert meta["Version"] == __version__ == plugin_version
    assert meta["License-Expression"] == "MIT"
    assert meta["Requires-Python"] == ">=3.10"
    urls = dict(entry.split(", ", 1) for entry in meta.get_all("Project-URL", []))
    assert urls["Source"] == REPOSITORY
    assert all(url.startswith(REPOSITORY) for url in urls.values()), urls
    classifiers = set(meta.get_all("Classifier", []))
    for minor in range(10, 15):
        assert f"Programming Language :: Python :: 3.{minor}" in classifiers
    assert {"Typing :: Typed", "Framework :: Pytest", "Framework :: Flake8"} <= classifiers
    assert "License ::" not in " ".join(classifiers), "the license is said once, by License-Expression"


def test_readme_links_work_off_the_repository() -> None:
    """PyPI shows README.md on its own: a relative link there leads nowhere."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)\s]+)\)", readme)
    assert targets, "no links found in README.md"
    relative = [t for t in targets if not t.startswith(("https://", "#"))]
    assert not relative, f"README.md has relative links: {relative}"
    blob = f"{REPOSITORY}/blob/main/"
    for target in targets:
        if target.startswith(blob):
            path, _, anchor = target[len(blob):].partition("#")
            assert (ROOT / path).is_file(), f"README.md links to {path}, which does not exist"
            if anchor and path.endswith(".md"):
                assert anchor in _anchors(ROOT / path), f"README.md links to {path}#{anchor}, no such heading"


def _anchors(doc: Path) -> set[str]:
    """The heading anchors GitHub gives a Markdown file."""
    anchors = set()
    for heading in re.findall(r"^#+ (.+)$", doc.read_text(encoding="utf-8"), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


def test_pre_commit_examples_name_the_current_version() -> None:
    for doc in (ROOT / "README.md", ROOT / "docs" / "cli.md"):
        revs = re.findall(r"rev: v(\S+)", doc.read_text(encoding="utf-8"))
        assert revs, f"{doc.name} lost its pre-commit example"
        assert set(revs) == {__version__}, f"{doc.name} shows rev {revs}, the version is {__version__}"


def _release(version: str) -> tuple[int, ...]:
    """The numeric release of a version such as 0.1.0 (no pre-release suffixes are used)."""
    return tuple(int(part) for part in version.split("."))


def test_changelog_has_unreleased_and_no_version_newer_than_the_package() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "\n## [Unreleased]\n" in text
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", text, re.M)
    for version in released:
        assert _release(version) <= _release(__version__), f"CHANGELOG.md names {version}, newer than {__version__}"
        assert f"\n[{version}]: {REPOSITORY}/" in text, f"CHANGELOG.md has no link for {version}"


def test_the_pythons_tested_locally_on_github_and_in_the_classifiers_agree(dist: Path) -> None:
    """noxfile.py's PYTHONS is the list; the workflow's matrix and the classifiers follow it."""
    noxfile = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    pythons = next(
        ast.literal_eval(node.value) for node in noxfile.body
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "PYTHONS" for t in node.targets)
    )
    workflow = (ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    matrix = re.search(r"^\s+python: \[(.*)\]$", workflow, re.M)
    assert matrix, "ci.yml lost its python matrix"
    assert [v.strip().strip('"') for v in matrix[1].split(",")] == pythons
    versions = re.compile(r"Programming Language :: Python :: (3\.\d+)")
    listed = [m[1] for c in _wheel_metadata(dist).get_all("Classifier", []) if (m := versions.fullmatch(c))]
    assert listed == pythons
    assert _wheel_metadata(dist)["Requires-Python"] == f">={pythons[0]}"
