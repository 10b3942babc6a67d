"""`asyncblock check` follows helpers across the files it checks; flake8 sees one module."""

from __future__ import annotations

import ast
import pickle
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from asyncblock_harness import compare, parse_expected

from flake8_asyncblock import cli, engine, pool, survey
from flake8_asyncblock.context import Project, module_of
from flake8_asyncblock.job import Job
from flake8_asyncblock.registry import RULES
from flake8_asyncblock.settings import Settings
from flake8_asyncblock.summaries import Summarizer, summarize
from flake8_asyncblock.survey import summarize_project

PROJECT = Path(__file__).resolve().parents[1] / "fixtures" / "asyncblock_project"
_ERROR = re.compile(r"#\s*error:\s*(?P<codes>[A-Z]+\d+(?::\d+)?(?:\s*,\s*[A-Z]+\d+(?::\d+)?)*)")
_ROW = re.compile(r"^(?:\./)?(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) ")


def _expected() -> dict[str, list]:
    found: dict[str, list] = {}
    for path in sorted(PROJECT.rglob("*.py")):
        name = path.relative_to(PROJECT).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if match := _ERROR.search(line):
                found.setdefault(name, []).extend(parse_expected(match["codes"].split(","), number))
    return found


def _actual(output: str) -> dict[str, list]:
    found: dict[str, list] = {}
    for row in output.splitlines():
        match = _ROW.match(row)
        assert match, row
        found.setdefault(match["path"], []).append(
            (int(match["line"]), int(match["col"]), match["code"]))
    return found


def _assert_markers(output: str) -> None:
    actual, expected = _actual(output), _expected()
    assert sorted(actual) == sorted(expected)
    for name, want in expected.items():
        assert compare(actual[name], want) == ([], []), name


def test_command_line_finds_every_marked_helper_call_across_modules() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flake8_asyncblock", "check", "--no-gitignore", "."],
        cwd=PROJECT, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    _assert_markers(result.stdout)
    assert "views.py:9:5: ABL220 refresh() blocks the event loop: it calls _read() -> open() " \
           "at shop/config.py:11" in result.stdout


def test_parallel_summary_pass_gives_the_same_findings(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(PROJECT)
    monkeypatch.setattr(pool, "PARALLEL_THRESHOLD", 1)
    assert cli.main(["check", "--no-gitignore", "--jobs", "2", "."]) == 1
    _assert_markers(capsys.readouterr().out)


def test_flake8_reports_the_same_module_findings_with_the_same_messages() -> None:
    def run(*argv: str) -> set[str]:
        result = subprocess.run([sys.executable, "-m", *argv], cwd=PROJECT,
                                capture_output=True, text=True, check=False)
        return {row.removeprefix("./") for row in result.stdout.splitlines() if " ABL2" in row}

    flake8 = run("flake8", "--isolated", "--select", "ABL", ".")
    command = run("flake8_asyncblock", "check", "--no-gitignore", ".")
    assert flake8 == {
        "shop/config.py:27:12: ABL220 refresh() blocks the event loop: it calls "
        "_read() -> open() at config.py:11",
        "shop/client.py:25:12: ABL220 Connection() blocks the event loop: it calls "
        "Connection.__init__() -> open() at client.py:17",
    }
    assert flake8 < command


def test_ignoring_the_helper_codes_skips_the_project_pass(monkeypatch, capsys) -> None:
    monkeypatch.chdir(PROJECT)
    calls = []
    monkeypatch.setattr(cli, "check_project", lambda *args: calls.append(args))
    assert cli.main(["check", "--no-gitignore", "--ignore", "ABL2", "."]) == 0
    assert calls == []


def test_unsafe_fix_runs_the_helper_in_a_thread(tmp_path: Path) -> None:
    shutil.copytree(PROJECT, tmp_path / "project")
    root = tmp_path / "project"
    (root / "worker.py").write_text(
        "import trio\n\nfrom shop.config import refresh\n\n\n"
        "async def run(path):\n    return refresh(path)\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "flake8_asyncblock", "check", "--no-gitignore", "--fix",
         "--unsafe-fixes", "--select", "ABL2", "."],
        cwd=root, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    views = (root / "shop" / "orders" / "views.py").read_text(encoding="utf-8")
    assert "\n    await asyncio.to_thread(refresh, path)  # error" in views
    assert "\n    await asyncio.to_thread(Store.reload, None, path)  # error" in views
    assert "\nimport asyncio\n" in views
    worker = (root / "worker.py").read_text(encoding="utf-8")
    assert "return await trio.to_thread.run_sync(refresh, path)\n" in worker


def test_fix_plans_each_rewrite_in_the_walk_that_summarizes_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No separate summary pass: a file is summarized again only if its summary went missing."""
    shutil.copytree(PROJECT, tmp_path / "project")
    monkeypatch.chdir(tmp_path / "project")
    again: list[str] = []
    monkeypatch.setattr(survey, "summarize_file", lambda source, job: again.append(source.path))
    assert cli.main(["check", "--no-gitignore", "--no-cache", "--fix", "--unsafe-fixes", "--select", "ABL2",
                     "."]) == 0
    views = Path("shop/orders/views.py").read_text(encoding="utf-8")
    assert "\n    await asyncio.to_thread(refresh, path)  # error" in views  # ABL200, from the links
    assert again == []


def test_module_names_follow_the_package_folders() -> None:
    assert module_of(str(PROJECT / "shop" / "orders" / "views.py")) == ("shop.orders.views",
                                                                        "shop.orders")
    assert module_of(str(PROJECT / "shop" / "__init__.py")) == ("shop", "shop")
    assert module_of(str(PROJECT / "app.py")) == ("app", "")


def test_summaries_are_plain_data_that_pickle() -> None:
    path = PROJECT / "shop" / "config.py"
    source = path.read_text(encoding="utf-8")
    summary = summarize(ast.parse(source), source, RULES, Settings(),
                        (str(path), "shop.config", "shop"), frozenset({"shop"}))
    assert pickle.loads(pickle.dumps(summary)) == summary
    assert summary.functions["refresh"].calls == ("shop.config._read",)
    assert summary.functions["_read"].blocker is not None
    assert summary.functions["pure"].blocker is None


def test_unreadable_and_broken_files_do_not_stop_the_project_pass(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def (:\n", encoding="utf-8")
    (tmp_path / "latin.py").write_bytes(b"# -*- coding: nope -*-\n")
    good = tmp_path / "good.py"
    good.write_text("import time\n\ndef nap():\n    time.sleep(1)\n", encoding="utf-8")
    files = [str(tmp_path / name) for name in ("broken.py", "latin.py", "good.py", "gone.py")]
    project = summarize_project(files, Job(frozenset(), Settings()), workers=1)
    assert set(project.chains) == {"good.nap"}


def test_summaries_made_during_the_check_walk_equal_those_of_a_walk_of_their_own() -> None:
    roots = frozenset({"shop", "app"})
    seen = []
    for path in sorted(PROJECT.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        module, package = module_of(str(path))
        where = (str(path), module, package)
        summarizer = Summarizer(source, RULES, Settings(), where, roots)
        origin = Project({}, roots).origin(str(path))
        engine.check(ast.parse(source), RULES, Settings(), source, origin, also=[summarizer])
        alone = summarize(ast.parse(source), source, RULES, Settings(), where, roots)
        assert summarizer.result() == alone, path
        seen.append(alone)
    assert any(s.functions for s in seen) and any(s.coroutine_calls for s in seen)
    assert any(s.imports for s in seen)


def test_summaries_record_each_class_with_its_bases_and_members() -> None:
    path = PROJECT / "shop" / "accounts" / "clients.py"
    source = path.read_text(encoding="utf-8")
    summary = summarize(ast.parse(source), source, RULES, Settings(),
                        (str(path), "shop.accounts.clients", "shop.accounts"), frozenset({"shop"}))
    assert summary.classes["Client"].bases == ("shop.base.BaseClient",)
    assert summary.classes["Calm"].bases == ("shop.base.BaseClient",)
    assert summary.classes["Deep"].bases == ("shop.accounts.clients.Mid",)
    assert summary.classes["Failure"].bases == ("Exception",)  # not a class of the project: passed over
    assert {"ping", "get", "name", "check", "find"} <= summary.classes["Client"].members
    assert "_fetch" in summary.classes["Cached"].members
    assert "shop.accounts.clients.Client._fetch" in summary.coroutine_calls


def test_bases_that_name_each_other_end_the_search(tmp_path: Path) -> None:
    package = tmp_path / "loop"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "a.py").write_text("from .b import B\n\nclass A(B):\n    pass\n", encoding="utf-8")
    (package / "b.py").write_text(
        "from .a import A\n\nclass B(A):\n    pass\n\nasync def f():\n    B().fetch()\n    A()\n",
        encoding="utf-8")
    (package / "c.py").write_text(
        "import time\nfrom .a import A\n\nclass C(A):\n    def fetch(self):\n        time.sleep(1)\n\n"
        "async def g():\n    C().fetch()\n", encoding="utf-8")
    files = sorted(str(p) for p in package.glob("*.py"))
    project = summarize_project(files, Job(frozenset(), Settings()), workers=1)
    assert set(project.chains) == {"loop.c.C.fetch"}
