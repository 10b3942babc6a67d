"""`.asyncblock_cache/`: a second run answers from it, and it never changes an answer or fails a run."""

from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from flake8_asyncblock.cache import KEEP, Cache
from flake8_asyncblock.results import FileResult

SLEEPY = "import time\n\n\nasync def poll():\n    time.sleep(1)\n"
CLEAN = "import time\n\n\nasync def poll():\n    pass  # sleep\n"
assert len(SLEEPY) == len(CLEAN)  # an edit that keeps the size: only the text tells them apart


def asyncblock(*argv: str, cwd: Path, code: str = "") -> subprocess.CompletedProcess[str]:
    """Run the real command; `code` runs first in the same interpreter (to change the version)."""
    run = "from flake8_asyncblock.cli import main; raise SystemExit(main())"
    return subprocess.run([sys.executable, "-c", f"{code}\n{run}", "check", *argv],
                          capture_output=True, text=True, check=False, cwd=cwd)


def stores(tree: Path) -> list[Path]:
    """The stores under the tree's cache folder, without their deferred files (the summaries)."""
    return sorted(p for p in (tree / ".asyncblock_cache").rglob("*") if p.is_file()
                  and p.name not in {".gitignore", "CACHEDIR.TAG"} and not p.name.endswith("-deferred"))


def poison(store: Path, path: str, text: str) -> None:
    """Replace every cached finding message of `path` with `text`: a run that shows it read the cache."""
    def poisoned(result: FileResult) -> FileResult:
        return replace(result, findings=tuple(replace(f, text=text) for f in result.findings))

    version, entries = Cache.loads(store.read_bytes())
    for slot, (key, value) in list(entries[path].items()):
        if slot == "result":
            entries[path][slot] = (key, poisoned(value))
        elif slot == "survey":  # (a result, a summary) from the first project pass
            entries[path][slot] = (key, (poisoned(value[0]), value[1]))
    store.write_bytes(pickle.dumps((version, entries)))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.asyncblock]\n", encoding="utf-8")
    (tmp_path / "app.py").write_text(SLEEPY, encoding="utf-8")
    return tmp_path


def test_a_second_run_answers_from_the_cache_and_no_cache_reads_none(tree: Path) -> None:
    first = asyncblock(".", cwd=tree)
    assert first.returncode == 1 and "app.py:5:5: ABL100" in first.stdout, first.stderr
    [store] = stores(tree)
    assert store.parent.name == __import__("flake8_asyncblock").__version__
    poison(store, "app.py", "FROM THE CACHE")
    assert "app.py:5:5: ABL100 FROM THE CACHE" in asyncblock(".", cwd=tree).stdout
    uncached = asyncblock("--no-cache", ".", cwd=tree)
    assert uncached.stdout == first.stdout
    assert "FROM THE CACHE" in asyncblock(".", cwd=tree).stdout  # --no-cache wrote nothing


def test_the_cache_folder_is_marked_and_left_out_of_git(tree: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tree)], check=True)
    asyncblock(".", cwd=tree)
    folder = tree / ".asyncblock_cache"
    assert (folder / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    assert (folder / "CACHEDIR.TAG").read_text(encoding="utf-8").startswith(
        "Signature: 8a477f597d28d172789f06886806bc55")
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=tree,
                            capture_output=True, text=True, check=True).stdout
    assert ".asyncblock_cache" not in status and "app.py" in status
    leftovers = [p.name for p in folder.rglob("*.tmp")]
    assert leftovers == []  # the store is written to a temporary file and renamed


def test_an_edited_file_is_checked_again_even_with_its_size_and_mtime_kept(tree: Path) -> None:
    app = tree / "app.py"
    before = app.stat()
    time.sleep(2.2)  # long enough for the run to trust the file's status next time
    assert asyncblock(".", cwd=tree).returncode == 1
    app.write_text(CLEAN, encoding="utf-8")
    os.utime(app, ns=(before.st_atime_ns, before.st_mtime_ns))  # as `cp -p` or an editor may
    assert app.stat().st_size == before.st_size and app.stat().st_mtime_ns == before.st_mtime_ns
    result = asyncblock(".", cwd=tree)
    assert (result.returncode, result.stdout) == (0, "")
    app.write_text(SLEEPY, encoding="utf-8")  # and straight back, within the same second
    assert "app.py:5:5: ABL100" in asyncblock(".", cwd=tree).stdout


@pytest.mark.parametrize(("flags", "expected"), [
    (("--select", "ABL900", "--blocking", "vendor.fetch"), "app.py:6:5: ABL900"),
    (("--range-limit", "5"), "app.py:7:5: ABL142"),
    (("--per-file-ignores", "app.py:ABL100"), None),
    (("--extend-select", "ABL141"), "app.py:8:9: ABL100"),
])
def test_a_changed_setting_is_never_answered_from_the_cache(
    tree: Path, flags: tuple[str, ...], expected: str | None
) -> None:
    (tree / "app.py").write_text("import time\nimport vendor\n\n\nasync def poll():\n    vendor.fetch()\n"
                                 "    for _ in range(10):\n        time.sleep(1)\n", encoding="utf-8")
    default = asyncblock(".", cwd=tree)
    uncached = asyncblock("--no-cache", *flags, ".", cwd=tree)
    cached = asyncblock(*flags, ".", cwd=tree)
    assert cached.stdout == uncached.stdout, cached.stderr
    assert asyncblock(".", cwd=tree).stdout == default.stdout  # each setting keeps its own answer
    if expected is None:
        assert "ABL100" not in cached.stdout and "ABL100" in default.stdout
    else:
        assert expected in cached.stdout


def test_a_new_version_never_reads_the_old_ones_cache(tree: Path) -> None:
    first = asyncblock(".", cwd=tree)
    [store] = stores(tree)
    poison(store, "app.py", "FROM THE CACHE")
    upgraded = asyncblock(".", cwd=tree, code="import flake8_asyncblock; flake8_asyncblock.__version__ = '99.0'")
    assert upgraded.stdout == first.stdout
    assert (tree / ".asyncblock_cache" / "99.0").is_dir()


HELPER = "import time\n\n\ndef wait():\n    time.sleep(1)\n"
NOT_BLOCKING = "import time\n\n\ndef wait():\n    return time.monotonic()\n"
CALLER = "from shop.util import wait\n\n\nasync def main():\n    wait()\n"


def make_shop(tmp_path: Path, util: str, app: str = CALLER) -> Path:
    """Write a project whose package `shop` has util.py and app.py, app.py calling util.wait."""
    (tmp_path / "pyproject.toml").write_text("[tool.asyncblock]\n", encoding="utf-8")
    package = tmp_path / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "util.py").write_text(util, encoding="utf-8")
    (package / "app.py").write_text(app, encoding="utf-8")
    return package


def test_editing_an_imported_helper_module_rechecks_its_callers(tmp_path: Path) -> None:
    """app.py's ABL200 comes from util.py's summary: app.py itself never changes."""
    package = make_shop(tmp_path, HELPER)

    def run() -> str:
        result = asyncblock("--select", "ABL200", "shop", cwd=tmp_path)
        assert result.stderr == ""
        assert result.stdout == asyncblock("--select", "ABL200", "--no-cache", "shop",
                                           cwd=tmp_path).stdout
        return result.stdout

    assert "shop/app.py:5:5: ABL200 wait() blocks the event loop: it calls time.sleep() at " \
           "shop/util.py:5" in run()
    (package / "util.py").write_text(NOT_BLOCKING, encoding="utf-8")
    assert run() == ""
    (package / "util.py").write_text("import time\n\n\n\ndef wait():\n    time.sleep(1)\n",
                                     encoding="utf-8")
    assert "at shop/util.py:6" in run()  # the chain moved: the cached message must not stay
    (package / "__init__.py").unlink()  # no package: `shop.util` is no longer this module
    assert run() == ""


def test_fix_after_check_and_check_after_fix_see_the_file_as_it_is(tree: Path) -> None:
    assert asyncblock(".", cwd=tree).returncode == 1
    fixed = asyncblock("--fix", ".", cwd=tree)
    assert fixed.returncode == 0, fixed.stderr
    assert "await asyncio.sleep(1)" in (tree / "app.py").read_text(encoding="utf-8")
    assert (asyncblock(".", cwd=tree).returncode, asyncblock("--fix", ".", cwd=tree).returncode) == (0, 0)


def test_an_unwritable_cache_folder_warns_and_the_run_goes_on(tree: Path) -> None:
    (tree / "blocker").write_text("a file where the folder would go", encoding="utf-8")
    result = asyncblock("--cache-dir", "blocker/cache", ".", cwd=tree)
    assert result.returncode == 1 and "app.py:5:5: ABL100" in result.stdout
    assert result.stderr.startswith("asyncblock: warning: cannot write the cache in ")
    assert result.stderr.endswith("blocker/cache: Not a directory\n")
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("damage", [b"", b"not a pickle at all", b"\x80\x05garbage",
                                    pickle.dumps(("os", "system"))])
def test_a_damaged_cache_file_warns_once_and_is_replaced(tree: Path, damage: bytes) -> None:
    first = asyncblock(".", cwd=tree)
    [store] = stores(tree)
    store.write_bytes(damage)
    result = asyncblock(".", cwd=tree)
    assert result.stdout == first.stdout and result.returncode == 1
    assert result.stderr.startswith("asyncblock: warning: ignoring the unreadable cache ")
    assert "Traceback" not in result.stderr
    again = asyncblock(".", cwd=tree)
    assert (again.stdout, again.stderr) == (first.stdout, "")


def test_a_cache_file_that_would_run_code_is_refused(tree: Path) -> None:
    asyncblock(".", cwd=tree)
    [store] = stores(tree)
    marker = tree / "ran"

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, (f"touch {marker}",))

    store.write_bytes(pickle.dumps((1, {"app.py": {"result": ("k", Payload())}})))
    result = asyncblock(".", cwd=tree)
    assert "ignoring the unreadable cache" in result.stderr and not marker.exists()


def test_the_cache_lives_beside_the_configuration_file(tree: Path) -> None:
    sub = tree / "pkg"
    sub.mkdir()
    (sub / "mod.py").write_text(SLEEPY, encoding="utf-8")
    asyncblock("mod.py", cwd=sub)
    assert (tree / ".asyncblock_cache").is_dir() and not (sub / ".asyncblock_cache").exists()


#: What a run that the cache answers in full must not import: the rules and what runs them, the
#: fixer, and the installed metadata (about half of such a run's cost when they were imported).
HEAVY = ("flake8_asyncblock.registry", "flake8_asyncblock.engine", "flake8_asyncblock.runner",
         "flake8_asyncblock.survey", "flake8_asyncblock.summaries", "flake8_asyncblock.rules",
         "flake8_asyncblock.fix", "libcst", "importlib.metadata")


def imported(*argv: str, cwd: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run the real command under `-X importtime`; return the run and the modules it imported."""
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "flake8_asyncblock", "check", *argv],
                         capture_output=True, text=True, check=False, cwd=cwd)
    names = {line.rpartition("|")[2].strip() for line in run.stderr.splitlines()
             if line.startswith("import time:")}
    return run, names


@pytest.mark.parametrize("select", [(), ("--select", "ABL100")])  # with and without the ABL2xx pass
def test_a_run_the_cache_answers_imports_no_rule(tmp_path: Path, select: tuple[str, ...]) -> None:
    make_shop(tmp_path, HELPER, "import time\nfrom shop.util import wait\n\n\nasync def main():\n"
              "    wait()\n    time.sleep(1)\n")
    cold, cold_names = imported(*select, "shop", cwd=tmp_path)
    assert cold.returncode == 1 and "flake8_asyncblock.registry" in cold_names  # the check ran
    warm, names = imported(*select, "shop", cwd=tmp_path)
    assert (warm.returncode, warm.stdout) == (cold.returncode, cold.stdout)
    assert "shop/app.py:7:5: ABL100" in warm.stdout
    assert ("shop/app.py:6:5: ABL200" in warm.stdout) == (not select)
    assert sorted(n for n in names if n.startswith(HEAVY)) == []


#: What a run that the cache answers over named files does not need either: workers, temporary
#: files (only a write makes one), git (only a folder walk asks it) and the JSON and XML formats.
UNNEEDED = ("multiprocessing", "tempfile", "subprocess", "json", "xml", "libcst")


def test_a_run_the_cache_answers_over_named_files_imports_nothing_it_does_not_use(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.asyncblock]\n", encoding="utf-8")
    (tmp_path / "app.py").write_text(SLEEPY, encoding="utf-8")
    (tmp_path / "util.py").write_text(HELPER, encoding="utf-8")
    cold, cold_names = imported("--no-gitignore", "app.py", "util.py", cwd=tmp_path)
    assert cold.returncode == 1 and "tempfile" in cold_names  # the store was written
    warm, names = imported("--no-gitignore", "app.py", "util.py", cwd=tmp_path)
    assert (warm.returncode, warm.stdout) == (cold.returncode, cold.stdout)
    assert sorted(n for n in names if n.partition(".")[0] in UNNEEDED) == []


def test_a_lost_deferred_file_costs_only_time(tmp_path: Path) -> None:
    """The summaries' file is read only to link again; without it the summaries are made anew."""
    package = make_shop(tmp_path, HELPER)
    assert "ABL200" in asyncblock("shop", cwd=tmp_path).stdout
    [deferred] = (tmp_path / ".asyncblock_cache").rglob("*-deferred")
    deferred.unlink()
    (package / "util.py").write_text(HELPER + "\n\ndef other():\n    time.sleep(2)\n", encoding="utf-8")
    again = asyncblock("shop", cwd=tmp_path)  # util.py is summarized again; app.py's summary is lost
    assert (again.stdout, again.stderr) == (asyncblock("--no-cache", "shop", cwd=tmp_path).stdout, "")
    assert "shop/app.py:5:5: ABL200" in again.stdout
    (package / "util.py").write_text(NOT_BLOCKING, encoding="utf-8")
    assert asyncblock("shop", cwd=tmp_path).stdout == ""


def test_the_folder_keeps_the_stores_used_last_and_no_other_version(tree: Path) -> None:
    """Each setting has its own store; past KEEP the least recently used go, an old version first."""
    old = tree / ".asyncblock_cache" / "0.0.1"
    old.mkdir(parents=True)
    (old / "0123456789abcdef").write_bytes(b"a store of an older version")
    (old / "0123456789abcdef-deferred").write_bytes(b"its summaries")
    os.utime(old / "0123456789abcdef", (time.time() - 86400,) * 2)
    time.sleep(2.2)  # app.py settles: a run that changes nothing writes nothing, only marks its use

    def run(limit: int) -> set[Path]:
        """Run with a setting of its own; return the stores it added."""
        before = set(stores(tree))
        assert asyncblock("--range-limit", str(limit), ".", cwd=tree).returncode == 1
        return set(stores(tree)) - before

    made = {limit: run(limit) for limit in range(1, KEEP)}  # with the old one: KEEP stores
    assert all(len(new) == 1 for new in made.values()) and len(stores(tree)) == KEEP
    assert run(1) == set()  # answered from its store, which counts as used now
    run(KEEP)
    assert not old.exists()  # the oldest store went, and with it its version's folder
    run(KEEP + 1)
    assert len(stores(tree)) == KEEP
    assert made[1] <= set(stores(tree)) and not made[2] & set(stores(tree))  # 2 was used last longest
    assert {p.name for p in (tree / ".asyncblock_cache").rglob("*-deferred")} <= {
        p.name + "-deferred" for p in stores(tree)}


class _NoObjects(pickle.Unpickler):
    """Refuse every class: what loads is strings, numbers, tuples, dicts and None alone."""

    def find_class(self, module: str, name: str) -> object:
        raise pickle.UnpicklingError(f"an object in the store: {module}.{name}")


def test_the_store_keeps_plain_values_for_files_that_report_nothing(tmp_path: Path) -> None:
    """Result and summary objects cost most of a warm run's load; the store keeps none of a clean file's."""
    make_shop(tmp_path, NOT_BLOCKING)
    for select in ((), ("--select", "ABL100")):  # with the ABL2xx pass, and the direct rules alone
        assert asyncblock(*select, "shop", cwd=tmp_path).returncode == 0
    for store in stores(tmp_path):
        _, entries = _NoObjects(io.BytesIO(store.read_bytes())).load()
        assert {"shop/app.py", "shop/util.py"} <= set(entries)


def test_a_warm_run_reads_no_summary_even_with_files_to_check_again(tmp_path: Path) -> None:
    """The chains are kept with the files they make check again: the deferred file stays unread."""
    package = make_shop(tmp_path, HELPER)
    first = asyncblock("shop", cwd=tmp_path)
    assert "shop/app.py:5:5: ABL200" in first.stdout
    [deferred] = (tmp_path / ".asyncblock_cache").rglob("*-deferred")
    deferred.write_bytes(b"damaged: reading it would warn")
    warm = asyncblock("shop", cwd=tmp_path)
    assert (warm.stdout, warm.stderr) == (first.stdout, "")
    (package / "other.py").write_text("async def idle():\n    pass\n", encoding="utf-8")
    relinked = asyncblock("shop", cwd=tmp_path)  # a new file: the summaries are linked again
    assert relinked.stdout == first.stdout
    assert relinked.stderr.startswith("asyncblock: warning: ignoring the unreadable cache ")


def test_a_warm_run_stats_each_named_file_once(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The status discovery took is the one the cache compares (taken before any read)."""
    from flake8_asyncblock import cli

    (tree / "clean.py").write_text(CLEAN, encoding="utf-8")
    time.sleep(2.2)  # the files settle: the cache trusts their status from the next run on
    monkeypatch.chdir(tree)
    assert cli.main(["check", "app.py", "clean.py"]) == 1
    seen: list[object] = []
    real = os.stat

    def counting(path: str, *args: Any, **kwargs: Any) -> os.stat_result:
        seen.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", counting)
    assert cli.main(["check", "app.py", "clean.py"]) == 1
    assert (seen.count("app.py"), seen.count("clean.py")) == (1, 1)
