"""The ABL2xx rules: summaries of sync functions, shortest chains, noqa, defaults."""

from __future__ import annotations

import ast
import textwrap

from flake8_asyncblock import engine
from flake8_asyncblock.chains import blocking_functions
from flake8_asyncblock.cli import main
from flake8_asyncblock.context import Origin
from flake8_asyncblock.registry import RULES
from flake8_asyncblock.settings import Settings
from flake8_asyncblock.summaries import summarize
from flake8_asyncblock.targets import absolute_name


def _messages(source: str, path: str | None = "config.py") -> list[str]:
    source = textwrap.dedent(source).lstrip("\n")
    found = engine.check(ast.parse(source), RULES, Settings(), source, Origin(path))
    return [f"{v.line}: {v.code} {v.text}" for v in found]


def test_the_message_shows_the_shortest_chain_to_the_blocking_call() -> None:
    messages = _messages("""
        import time

        def deep():
            time.sleep(1)

        def middle():
            deep()

        def refresh(fast):
            if fast:
                middle()
            return _read()

        def _read():
            return open("cfg").read()

        async def handler():
            refresh(True)
    """)
    assert messages == [
        "18: ABL220 refresh() blocks the event loop: it calls _read() -> open() at config.py:15"
    ]


def test_mutual_recursion_terminates_and_blocks_through_either_side() -> None:
    source = textwrap.dedent("""
        def ping(n):
            return pong(n)

        def pong(n):
            open("x")
            return ping(n)
    """)
    chains = blocking_functions([summarize(ast.parse(source), source, RULES, Settings())])
    assert chains["ping"].steps == ("ping", "pong")
    assert chains["pong"].steps == ("pong",)


def test_calls_of_rules_that_are_off_by_default_do_not_make_a_helper_block() -> None:
    assert _messages("""
        import os

        def exists(path):
            return os.path.exists(path)

        async def handler(path):
            return exists(path)
    """) == []


def test_cached_helpers_need_their_own_code() -> None:
    source = """
        import functools

        @functools.cache
        def template(name):
            return open(name).read()

        async def page():
            return template("index.html")
    """
    assert _messages(source) == [
        "8: ABL298 template() blocks the event loop: it calls open() at config.py:5"
    ]
    assert not next(rule for rule in RULES if rule.code == "ABL298").default_enabled


def test_without_a_file_name_the_message_gives_the_line() -> None:
    assert _messages("""
        def load():
            return open("x").read()

        async def handler():
            load()
    """, path=None) == ["5: ABL220 load() blocks the event loop: it calls open() at line 2"]


def test_noqa_on_the_call_line_silences_the_command(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text(textwrap.dedent("""
        def load():
            return open("x").read()

        def quiet():
            return open("y").read()  # noqa: ABL120

        async def handler():
            load()  # noqa: ABL220
            quiet()
            load()
    """), encoding="utf-8")
    assert main(["check", "--no-gitignore", "app.py"]) == 1
    out = capsys.readouterr().out
    assert out == "app.py:11:5: ABL220 load() blocks the event loop: it calls open() at app.py:3\n"


def test_relative_names_are_made_absolute_from_the_package() -> None:
    assert absolute_name(".util.load", "pkg") == "pkg.util.load"
    assert absolute_name("..util.load", "pkg.sub") == "pkg.util.load"
    assert absolute_name(".load", "") is None
    assert absolute_name("..x", "pkg") is None
    assert absolute_name("os.path.join", "pkg") == "os.path.join"
