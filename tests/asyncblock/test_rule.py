"""BlockingCallRule: a subclass that holds only data is a working rule."""

from __future__ import annotations

import ast
import textwrap

from flake8_asyncblock import engine
from flake8_asyncblock.rule import BlockingCallRule
from flake8_asyncblock.settings import Settings


class VendorQuery(BlockingCallRule):
    code = "ABL999"
    slug = "vendor-query"
    message = "{call}() blocks; await {to_thread}({callee}, ...)"
    blocking_calls = frozenset({"vendor.db.query"})


def test_data_only_blocking_call_rule_fires_in_coroutines_only() -> None:
    source = textwrap.dedent("""
        from vendor import db as store

        def sync_report():
            store.query("x")

        async def report():
            store.query("x")
            def helper():
                store.query("y")
    """)
    found = engine.check(ast.parse(source), [VendorQuery], Settings(), source)
    assert [(v.line, v.col, v.text) for v in found] == [
        (8, 4, "vendor.db.query() blocks; await asyncio.to_thread(store.query, ...)")
    ]
