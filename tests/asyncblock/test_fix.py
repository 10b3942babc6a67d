"""`asyncblock check --fix/--diff` and the libcst rewrites behind it."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path
from typing import Any

import pytest

from flake8_asyncblock import engine
from flake8_asyncblock.cli import main
from flake8_asyncblock.fix import fix_source
from flake8_asyncblock.fixes import AwaitAsyncSleep, AwaitCoroutine, ToThread
from flake8_asyncblock.options import parse_args
from flake8_asyncblock.registry import RULES
from flake8_asyncblock.rule import Invalid, Rule, Violation


class _Unsafe(Rule):
    code, fix = "ABL999", ToThread(safe=False)


class _SafeExecutor(Rule):
    code, fix = "ABL998", AwaitCoroutine(safe=True)


class _SleepElsewhere(Rule):
    code, fix = "ABL997", AwaitAsyncSleep()


class _NoFix(Rule):
    code = "ABL996"


def _src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def _fix_calls(source: str, callee: str, rule: type[Rule]) -> tuple[str, list]:
    """Fix every call of `callee` (as unparsed) in `source` as a finding of `rule`."""
    tree = ast.parse(source)
    found = [
        Violation(n.lineno, n.col_offset, rule.code, "x", rule, n.end_lineno, n.end_col_offset)
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and ast.unparse(n.func) == callee
    ]
    assert found, callee
    result = fix_source(source, tree, found)
    return result.source, result.skipped


def _fix_with_rules(source: str) -> str:
    tree = ast.parse(source)
    found = [v for v in engine.check(tree, RULES, parse_args([])[0], source) if v.rule.fix]
    return fix_source(source, tree, found).source


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (  # an alias, a comment, the time import dropped once unused
            """
            from time import sleep as pause

            async def poll():
                pause(0.5)  # back off
            """,
            """
            import asyncio

            async def poll():
                await asyncio.sleep(0.5)  # back off
            """,
        ),
        (  # time still used elsewhere: its import stays; anyio is the module's library
            """
            import anyio
            import time

            async def poll(delay):
                time.sleep(delay)
                return time.monotonic()
            """,
            """
            import anyio
            import time

            async def poll(delay):
                await anyio.sleep(delay)
                return time.monotonic()
            """,
        ),
        (  # nested coroutine inside a sync function; the sync body is left alone
            '''
            """Docs."""
            import time


            def outer():
                time.sleep(1)

                async def inner():
                    return time.sleep(2) or 3
                return inner
            ''',
            '''
            """Docs."""
            import asyncio
            import time


            def outer():
                time.sleep(1)

                async def inner():
                    return await asyncio.sleep(2) or 3
                return inner
            ''',
        ),
    ],
)
def test_sleep_becomes_the_async_sleep(before: str, after: str) -> None:
    fixed = _fix_with_rules(_src(before))
    assert fixed == _src(after)
    assert _fix_with_rules(fixed) == fixed


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("x = await loop.run_in_executor(None, fetch, url, 3)",
         "x = await fetch(url, 3)"),
        ("await asyncio.to_thread(fetch, url, retries=2)",
         "await fetch(url, retries=2)"),
        ("await trio.to_thread.run_sync(fetch, url)", "await fetch(url)"),
        ("await asyncio.to_thread(partial(fetch, url), 1)", "await fetch(url, 1)"),
        ("await asyncio.to_thread(lambda: fetch(url))", "await fetch(url)"),
    ],
)
def test_executor_of_a_coroutine_function_becomes_a_plain_await(before: str, after: str) -> None:
    source = f"async def main(loop, url):\n    {before}\n"
    callee = ast.unparse(ast.parse(before.split("await ", 1)[1]).body[0].value.func)
    fixed, skipped = _fix_calls(source, callee, _SafeExecutor)
    assert (fixed, skipped) == (f"async def main(loop, url):\n    {after}\n", [])


def test_the_rewrite_is_the_rule_declared_fix_whatever_its_code() -> None:
    source = "import time\n\n\nasync def poll():\n    time.sleep(1)\n"
    fixed, skipped = _fix_calls(source, "time.sleep", _SleepElsewhere)
    assert (fixed, skipped) == ("import asyncio\n\n\nasync def poll():\n    await asyncio.sleep(1)\n", [])
    fixed, [(_, reason)] = _fix_calls(source, "time.sleep", _NoFix)
    assert fixed == source and reason == "ABL996 has no fix"


def test_a_pool_call_that_is_no_runner_is_left_with_a_reason() -> None:
    source = "async def main(pool):\n    await pool.submit(fetch)\n"
    fixed, [(_, reason)] = _fix_calls(source, "pool.submit", _SafeExecutor)
    assert fixed == source and "only run_in_executor(), to_thread() and run_sync()" in reason


def test_executor_call_that_is_not_awaited_is_left_with_a_reason() -> None:
    source = "async def main(loop):\n    fut = loop.run_in_executor(None, fetch)\n"
    fixed, [(_, reason)] = _fix_calls(source, "loop.run_in_executor", _SafeExecutor)
    assert fixed == source and "not awaited" in reason


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("return requests.get(url)", "return await asyncio.to_thread(requests.get, url)"),
        ("return requests.get(url).json()",
         "return (await asyncio.to_thread(requests.get, url)).json()"),
        ("data = requests.get(url)[0]",
         "data = (await asyncio.to_thread(requests.get, url))[0]"),
        ("requests.get()", "await asyncio.to_thread(requests.get)"),
        ("requests.get(url, *more, timeout=3, **kw)",
         "await asyncio.to_thread(requests.get, url, *more, timeout=3, **kw)"),
        ("rows = [requests.get(u) for u in urls]",
         "rows = [await asyncio.to_thread(requests.get, u) for u in urls]"),
    ],
)
def test_unsafe_fix_runs_the_call_in_a_thread(before: str, after: str) -> None:
    source = f"import requests\n\n\nasync def main(url, urls):\n    {before}\n"
    fixed, skipped = _fix_calls(source, "requests.get", _Unsafe)
    assert skipped == []
    assert fixed == f"import asyncio\nimport requests\n\n\nasync def main(url, urls):\n    {after}\n"


def test_unsafe_fix_keeps_a_multiline_call_readable() -> None:
    source = _src("""
        import asyncio

        async def main(url):
            return requests.get(
                url,
                timeout=3,  # seconds
            )
        """)
    fixed, _ = _fix_calls(source, "requests.get", _Unsafe)
    assert fixed == _src("""
        import asyncio

        async def main(url):
            return await asyncio.to_thread(
                requests.get,
                url,
                timeout=3,  # seconds
            )
        """)


@pytest.mark.parametrize(
    ("library", "call", "expected"),
    [
        ("trio", "requests.get(url)", "await trio.to_thread.run_sync(requests.get, url)"),
        ("anyio", "requests.get(url, timeout=3)",
         "await anyio.to_thread.run_sync(functools.partial(requests.get, url, timeout=3))"),
    ],
)
def test_unsafe_fix_uses_the_module_library(library: str, call: str, expected: str) -> None:
    source = f"import {library}\n\nasync def main(url):\n    {call}\n"
    fixed, _ = _fix_calls(source, "requests.get", _Unsafe)
    extra = "import functools\n" if "functools" in expected else ""
    assert fixed == f"import {library}\n{extra}\nasync def main(url):\n    {expected}\n"


def test_calls_in_generator_expressions_are_left_with_a_reason() -> None:
    source = "async def main(urls):\n    return sum(requests.get(u) for u in urls)\n"
    fixed, [(_, reason)] = _fix_calls(source, "requests.get", _Unsafe)
    assert fixed == source and "generator expression" in reason


FIXABLE = [(r, ex) for r in RULES if r.fix for ex in r.invalid if ex.fixed is not None]


@pytest.mark.parametrize(
    "case", FIXABLE, ids=[f"{r.code}-{r.invalid.index(ex)}" for r, ex in FIXABLE]
)
def test_the_fixer_produces_each_rule_example_fixed_code(case: tuple[type[Rule], Invalid]) -> None:
    rule, example = case
    settings, _ = parse_args(example.flake8_args)
    tree = ast.parse(example.code)
    found = [v for v in engine.check(tree, RULES, settings, example.code) if v.code == rule.code]
    result = fix_source(example.code, tree, found)
    assert result.skipped == []
    assert result.source == example.fixed


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text(
        "import time\n\nasync def poll(sub):\n    time.sleep(1)\n    return sub.run(['ls'])\n",
        encoding="utf-8",
    )
    return tmp_path


def test_diff_prints_the_fix_and_writes_nothing(project: Path, capsys) -> None:
    before = (project / "app.py").read_bytes()
    assert main(["check", "--diff"]) == 1
    out, err = capsys.readouterr()
    assert "-    time.sleep(1)\n+    await asyncio.sleep(1)\n" in out
    assert out.startswith("--- a/app.py\n+++ b/app.py\n")
    assert "1 findings, 1 would be fixed, 0 left" in err
    assert (project / "app.py").read_bytes() == before


def test_fix_rewrites_in_place_and_a_second_run_changes_nothing(project: Path, capsys) -> None:
    assert main(["check", "--fix"]) == 0
    _, err = capsys.readouterr()
    assert "1 findings, 1 fixed, 0 left" in err
    fixed = (project / "app.py").read_text(encoding="utf-8")
    assert "    await asyncio.sleep(1)\n" in fixed
    assert main(["check", "--fix"]) == 0
    assert (project / "app.py").read_text(encoding="utf-8") == fixed


def test_fix_reports_what_is_left_and_why(project: Path, capsys) -> None:
    (project / "app.py").write_text(
        "import time\n\n\nasync def poll():\n    open('data.txt')\n"
        "    x = (time.sleep(1) for _ in range(2))\n",
        encoding="utf-8",
    )
    status = main(["check", "--fix", "--select", "ABL100,ABL120"])
    out, err = capsys.readouterr()
    assert status == 1
    assert "2 findings, 0 fixed, 2 left (1 could not apply, 1 no fix available)" in err
    assert "app.py:6:10: ABL100 not fixed: inside a generator expression" in err
    assert [line.split(": ")[1][:6] for line in out.splitlines()] == ["ABL120", "ABL100"]


def test_a_file_with_a_syntax_error_is_left_untouched(project: Path, capsys) -> None:
    broken = b"import time\nasync def f(:\n    time.sleep(1)\n"
    (project / "broken.py").write_bytes(broken)
    assert main(["check", "--fix"]) == 1
    assert "broken.py: cannot parse: " in capsys.readouterr().err
    assert (project / "broken.py").read_bytes() == broken


def test_fix_keeps_encoding_bom_and_line_endings(project: Path, capsys) -> None:
    source = "\ufeffimport time\r\n\r\nasync def café():\r\n    time.sleep(1)  # é\r\n"
    (project / "app.py").write_bytes(source.encode("utf-8"))
    assert main(["check", "--fix"]) == 0
    data = (project / "app.py").read_bytes()
    assert data.startswith(b"\xef\xbb\xbfimport asyncio\r\n")
    assert "    await asyncio.sleep(1)  # é\r\n".encode() in data


@pytest.mark.parametrize("path", ["statements", "whole file"])
def test_both_fix_paths_plan_the_same_way(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The statement splice and the whole-file path apply, skip and give reasons alike."""
    from flake8_asyncblock import fix

    taken: list[bool] = []
    splice = fix._fix_statements

    def spy(*args: object) -> object:
        result = None if path == "whole file" else splice(*args)  # type: ignore[arg-type]
        taken.append(result is not None)
        return result

    monkeypatch.setattr(fix, "_fix_statements", spy)
    source = _src("""
        import time
        async def f():
            time.sleep(1)
            time.sleep(2)
    """)
    tree = ast.parse(source)
    first, second = (n for n in ast.walk(tree) if isinstance(n, ast.Call))
    sleep = _SleepElsewhere

    def at(node: ast.expr, rule: type[Rule]) -> Violation:
        return Violation(node.lineno, node.col_offset, rule.code, "x", rule, node.end_lineno, node.end_col_offset)

    found = [at(first, sleep), at(first, sleep), at(second, _NoFix), at(second, sleep)]
    if path == "whole file":  # the splice declines a finding on no call: it goes the whole-file way
        found.append(at(second.func, sleep))
    result = fix_source(source, tree, found)
    assert taken == [path == "statements"]
    assert result.source == _src("""
        import asyncio
        async def f():
            await asyncio.sleep(1)
            await asyncio.sleep(2)
    """)
    assert result.applied == [found[0], found[3]]
    assert result.skipped == [
        (found[1], "another fix rewrites the same call"),
        (found[2], "ABL996 has no fix"),
        *((v, "no matching call found in the source") for v in found[4:]),
    ]


_AS_TEXT = [
    "import time\nasync def f():\n    time.sleep(1)\n",
    "import time\nasync def f():\n    x = time.sleep(1) + 1\n",
    "import time\nasync def f():\n    time.sleep(time.sleep(1))\n",
    "import time\nasync def f():\n    time.sleep(1); time.sleep(2)\n",
    "import time\nasync def f():\n    s = 'é€'; time.sleep(len('ü'))\n",
    "import time\nasync def f():\n    (time.sleep(1))\n",
    "import time\nasync def f(r):\n    return [time.sleep(i) for i in r]\n",
    "from time import sleep\nasync def f():\n    sleep (1)\n",
    "import time as t\nasync def f():\n    t.sleep(\n        1,\n    )\n",
    "import time\nasync def f():\n    time.sleep(1)\n    return time.time()\n",
    "import time\nasync def f():\n    time.sleep(1)  # time passes\n",
    "import time\nimport trio\nasync def f():\n    time.sleep(1)\n",
    '"""Doc."""\nfrom __future__ import annotations\nimport os, time\nasync def f():\n    time.sleep(1)\n',
]
_AS_LIBCST = [
    "import time\nasync def f():\n    time.sleep(1).x\n",
    "import time\nasync def f():\n    time.sleep(1)()\n",
    "import time\nasync def f(r):\n    return list(time.sleep(i) for i in r)\n",
    "import time\nasync def f():\n    g = lambda: time.sleep(1)\n",
    "import time\nasync def f():\n    (time.sleep)(1)\n",
    "import time\nasync def f():\n    time.\\\n        sleep(1)\n",
]


@pytest.mark.parametrize("source", _AS_TEXT + _AS_LIBCST)
def test_a_text_fix_prints_what_the_libcst_rewrite_prints(source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain text edits, where they are taken, give the libcst rewrite's text, findings and reasons."""
    from flake8_asyncblock import fix

    tree = ast.parse(source)
    found = [
        Violation(n.lineno, n.col_offset, "ABL997", "x", _SleepElsewhere, n.end_lineno, n.end_col_offset)
        for n in ast.walk(tree) if isinstance(n, ast.Call) and ast.unparse(n.func).endswith("sleep")
    ]
    planned = fix.plan_text_edit
    taken: list[bool] = []

    def spy(*args: Any) -> Any:
        edit = planned(*args)
        taken.append(edit is not None)
        return edit

    monkeypatch.setattr(fix, "plan_text_edit", spy)
    as_text = fix_source(source, tree, found)
    assert taken and all(taken) == (source in _AS_TEXT)
    monkeypatch.setattr(fix, "plan_text_edit", lambda *args: None)
    by_libcst = fix_source(source, tree, found)
    assert (as_text.source, as_text.applied, as_text.skipped) == \
        (by_libcst.source, by_libcst.applied, by_libcst.skipped)
    if source in _AS_TEXT:
        assert "time.sleep" not in as_text.source and as_text.applied == found
        compile(as_text.source, "<fixed>", "exec")
