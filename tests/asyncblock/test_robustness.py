"""Whatever flake8 hands the checker, it yields findings or nothing, never an exception."""

from __future__ import annotations

import ast
import subprocess
import sys
import sysconfig
import warnings
from pathlib import Path

import hypothesmith
import pytest
from asyncblock_harness import lint
from hypothesis import HealthCheck, given, settings

from flake8_asyncblock import engine
from flake8_asyncblock.registry import RULES
from flake8_asyncblock.settings import Settings

# Every rule switched on, with an option that makes ABL900 active too.
ALL_ON = Settings(blocking=frozenset({"os.read", "socket.socket.recv", "json.loads"}))
SLEEP_IN_COROUTINE = "import time\n\n\nasync def f():\n    time.sleep(1)\n"


def _check_all(source: str) -> list:
    tree = ast.parse(source)
    return engine.check(tree, RULES, ALL_ON, None)


def test_flake8_reports_a_syntax_error_and_still_checks_other_files(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("async def f(:\n    pass\n", encoding="utf-8")
    (tmp_path / "good.py").write_text(SLEEP_IN_COROUTINE, encoding="utf-8")
    (tmp_path / "latin1.py").write_bytes(
        b"# -*- coding: latin-1 -*-\nimport time\n\n\nasync def caf\xe9():\n    time.sleep(1)\n"
    )
    # No coding line and bytes that are not UTF-8: flake8 falls back to latin-1.
    (tmp_path / "not_utf8.py").write_bytes(SLEEP_IN_COROUTINE.encode() + b"x = '\xff\xfe'\n")
    (tmp_path / "empty.py").write_bytes(b"")
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select", "ABL,E999,E902", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    found = sorted(" ".join(line.split()[:2]) for line in result.stdout.splitlines())
    assert found == [
        "./broken.py:1:14: E999",
        "./good.py:5:5: ABL100",
        "./latin1.py:6:5: ABL100",
        "./not_utf8.py:5:5: ABL100",
    ]


def test_empty_and_comment_only_sources_yield_nothing() -> None:
    assert _check_all("") == []
    assert _check_all("# async def f(): time.sleep(1)\n") == []
    assert lint("") == []


def test_very_long_file_reports_every_coroutine() -> None:
    count = 3000
    body = "".join(f"async def f{i}():\n    time.sleep({i})\n\n\n" for i in range(count))
    found = lint("import time\n\n\n" + body)
    assert [line for line, _, _ in found] == [5 + 4 * i for i in range(count)]


def test_deeply_nested_code_does_not_exhaust_the_stack() -> None:
    chain = " + ".join(["x"] * 800)  # about as deep as ast.parse accepts
    calls = "f(" * 150 + "time.sleep(1)" + ")" * 150
    defs = "".join(f"{'    ' * i}async def f{i}():\n" for i in range(60))
    source = f"import time\n{defs}{'    ' * 60}y = {chain}\n{'    ' * 60}{calls}\n"
    assert [(line, code) for line, _, code in lint(source)] == [(63, "ABL100")]


def test_trees_deeper_than_the_recursion_limit_are_walked() -> None:
    tree = ast.parse("import time\n\nasync def f():\n    y = x + time.sleep(1)\n")
    assign = tree.body[1].body[0]  # type: ignore[attr-defined]
    for _ in range(sys.getrecursionlimit() * 5):
        assign.value = ast.BinOp(left=assign.value, op=ast.Add(), right=ast.Name("x"))
    assert [(v.line, v.code) for v in engine.check(tree, RULES, ALL_ON, None)] == [(4, "ABL100")]


@pytest.mark.skipif(sys.version_info < (3, 12), reason="PEP 695 syntax needs Python 3.12")
def test_python_312_syntax_is_walked() -> None:
    source = (
        "import time\n"
        "type Alias[T] = list[T]\n"
        "class Box[T]:\n"
        "    async def get[U](self, x: U) -> U:\n"
        "        time.sleep(f'{f\"{x}\"}')\n"
        "        return x\n"
    )
    assert [(line, code) for line, _, code in lint(source)] == [(5, "ABL100")]


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(source=hypothesmith.from_grammar())
def test_generated_programs_never_raise(source: str) -> None:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return  # the grammar also admits programs the compiler rejects
    engine.check(tree, RULES, ALL_ON, None)


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(source=hypothesmith.from_node())
def test_generated_syntax_trees_never_raise(source: str) -> None:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return
    engine.check(tree, RULES, ALL_ON, source)
    engine.check(tree, RULES, ALL_ON, None)


def _stdlib_sources() -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    return sorted(path for path in root.rglob("*.py") if "site-packages" not in path.parts)


def test_linting_the_standard_library_raises_nothing() -> None:
    """Walk every stdlib file (not only those with "async"), with every rule active."""
    checked = 0
    for path in _stdlib_sources():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(path.read_bytes(), filename=str(path))
        except (SyntaxError, ValueError):
            continue  # deliberately broken files in the test suite
        engine.check(tree, RULES, ALL_ON, None)
        checked += 1
    assert checked > 1000
