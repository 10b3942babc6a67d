"""ABL180 nested-event-loop: asyncio.run() or loop.run_until_complete() inside a coroutine."""

from __future__ import annotations

import ast

from flake8_asyncblock.calls import argument
from flake8_asyncblock.libraries import LIBRARIES
from flake8_asyncblock.rule import Invalid, Rule, Valid

__all__ = ["NestedEventLoop"]

_LOOP = "asyncio.AbstractEventLoop"
_LOOP_SOURCES = (
    "asyncio.get_event_loop", "asyncio.get_running_loop", "asyncio.new_event_loop",
    "asyncio.events.get_event_loop", "asyncio.events.new_event_loop", "uvloop.new_event_loop",
    "asyncio.AbstractEventLoop", "asyncio.BaseEventLoop", "asyncio.SelectorEventLoop",
    "asyncio.ProactorEventLoop", "asyncio.Runner.get_loop", "uvloop.Loop",
)
#: Entry points that take a coroutine function and its arguments, not a coroutine.
_TAKES_FUNCTION = frozenset(lib.run for lib in LIBRARIES if lib.run_takes_function)
_RUNS = frozenset(
    {*(lib.run for lib in LIBRARIES), "uvloop.run", "asyncio.Runner.run",
     f"{_LOOP}.run_until_complete", f"{_LOOP}.run_forever"}
)


class NestedEventLoop(Rule):
    """Flag calls that start an event loop from code already running in one.

    `.run_until_complete()` is flagged on any receiver whose type is unknown
    (`self.loop`): no other API uses the name.
    """

    code = "ABL180"
    slug = "nested-event-loop"
    message = (
        "{call}() starts an event loop inside a running one: it raises 'cannot be "
        "called from a running event loop', or blocks this loop until it is done "
        "(for ever if it waits on this loop); {instead}"
    )
    summary = (
        "asyncio.run, asyncio.Runner.run, loop.run_until_complete/run_forever, trio.run, "
        "anyio.run or uvloop.run called inside an async def."
    )
    why = (
        "A coroutine already runs on an event loop: asyncio refuses to start another "
        "in the same thread, and other libraries' loops run to completion while "
        "every task of the outer loop waits."
    )
    constructors = {
        **{source: _LOOP for source in _LOOP_SOURCES},
        "asyncio.Runner": "asyncio.Runner",
    }

    valid = (
        Valid("""
            import asyncio

            async def fetch_all(fetch, urls):
                loop = asyncio.get_running_loop()
                tasks = [loop.create_task(fetch(url)) for url in urls]
                return await asyncio.gather(*tasks)

            def main(fetch, urls):
                return asyncio.run(fetch_all(fetch, urls))
        """),
    )
    invalid = (
        Invalid(
            """
            import asyncio

            async def refresh(load):
                loop = asyncio.get_event_loop()
                return loop.run_until_complete(load())
            """,
            errors=["ABL180:5:12"],
            fixed="""
            async def refresh(load):
                return await load()
            """,
        ),
    )

    def visit_Call(self, node: ast.Call) -> None:
        if not self.scope.in_coroutine() or not isinstance(node.func, (ast.Name, ast.Attribute)):
            return
        name = self.names.call_name(node)
        if name is None and getattr(node.func, "attr", "") == "run_until_complete":
            name = ast.unparse(node.func)
        elif name not in _RUNS:
            return
        self.report(node, call=name, instead=_instead(node, name))


def _instead(node: ast.Call, name: str) -> str:
    """Say what to await in place of starting a loop."""
    target = argument(node, 0, "main")
    if target is None:
        return "await the coroutine it would run instead"
    code = ast.unparse(target)
    if name in _TAKES_FUNCTION:
        code = f"{code}(...)"
    return f"use await {code} instead"
