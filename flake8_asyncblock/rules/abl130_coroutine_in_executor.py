"""ABL130 coroutine-in-executor: an async function (or its partial) handed to a pool."""

from __future__ import annotations

import ast
import re
from typing import Any, ClassVar

from flake8_asyncblock.fixes import AwaitCoroutine
from flake8_asyncblock.libraries import LIBRARIES
from flake8_asyncblock.rule import Invalid, Rule, Valid

__all__ = ["CoroutineInExecutor"]

#: APIs that call their first argument synchronously in a worker thread or process.
_RUN_SYNC = frozenset(name for library in LIBRARIES for name in library.worker_runners)
#: Their last names ("to_thread", "run_sync"): the attributes worth resolving.
_RUN_SYNC_ATTRS = frozenset(name.rpartition(".")[2] for name in _RUN_SYNC)
_POOL_TYPES = (
    "concurrent.futures.ThreadPoolExecutor", "concurrent.futures.ProcessPoolExecutor",
    "concurrent.futures.Executor",
)
_POOL_METHODS = frozenset(
    f"{pool}.{method}" for pool in _POOL_TYPES for method in ("submit", "map")
)
#: Receivers of unknown type whose `.submit()` we still trust to be a pool's.
_POOL_NAME = re.compile(r"(?i).*(executor|pool)\Z")
_PLAIN_DECORATORS = frozenset(
    {"staticmethod", "classmethod", "abstractmethod", "override", "wraps"}
)

#: Library coroutine functions, by qualified name.
_COROUTINE_FUNCTIONS = frozenset(
    name for library in LIBRARIES for name in library.coroutine_functions
)


class CoroutineInExecutor(Rule):
    """Flag coroutine functions given to APIs that call their argument synchronously."""

    code = "ABL130"
    slug = "coroutine-in-executor"
    message = "{what}: {api}() only creates a coroutine that never runs; use {instead}"
    summary = (
        "an async function (or a functools.partial of one) passed to run_in_executor(), "
        "to_thread(), to_thread.run_sync() or Executor.submit()/map(), in any code."
    )
    why = (
        "The pool calls the function like a sync one: that only builds a coroutine "
        "object, nothing in it runs, and the result is a never-awaited coroutine "
        "instead of the value the caller expected."
    )

    valid: ClassVar[tuple[Valid, ...]] = (
        Valid("""
            import asyncio

            def fetch(url):
                return url

            async def main(url):
                return await asyncio.to_thread(fetch, url)
        """),
        Valid("""
            import asyncio
            from concurrent.futures import ThreadPoolExecutor

            async def fetch(url):
                return url

            def run_in_worker(pool: ThreadPoolExecutor, url):
                return pool.submit(asyncio.run, fetch(url))
        """),
    )
    invalid: ClassVar[tuple[Invalid, ...]] = (
        Invalid(
            """
            async def fetch(url):
                return url

            async def main(loop, url):
                return await loop.run_in_executor(None, fetch, url)
            """,
            errors=["ABL130:5:18"],
            fixed="""
            async def fetch(url):
                return url

            async def main(loop, url):
                return await fetch(url)
            """,
        ),
        Invalid(
            """
            import asyncio
            from functools import partial

            async def notify(user, text):
                return user, text

            async def main():
                await asyncio.to_thread(partial(notify, "ann"), "hi")
            """,
            errors=["ABL130:8:11"],
            fixed="""
            async def notify(user, text):
                return user, text

            async def main():
                await notify("ann", "hi")
            """,
        ),
        Invalid(
            """
            from asyncio import sleep as pause, to_thread

            async def main():
                await to_thread(pause, 1)
            """,
            errors=["ABL130:4:11"],
            fixed="""
            from asyncio import sleep as pause

            async def main():
                await pause(1)
            """,
        ),
    )

    fix = AwaitCoroutine(safe=True)
    requires_async = False
    source_hints = ("to_thread", "run_in_executor", "submit", "Executor", "to_process")
    constructors = {
        **{pool: pool for pool in _POOL_TYPES},
        "concurrent.futures.thread.ThreadPoolExecutor": _POOL_TYPES[0],
        "concurrent.futures.process.ProcessPoolExecutor": _POOL_TYPES[1],
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._awaited: set[ast.AST] = set()
        self._runners: set[str] = set()

    def visit_Await(self, node: ast.Await) -> None:
        self._awaited.add(node.value)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        # Bare-name callees are only resolved when imported as such: `from asyncio
        # import to_thread`. Resolving every bare call would double this rule's cost.
        for alias in node.names:
            if alias.name in _RUN_SYNC_ATTRS:
                self._runners.add(alias.asname or alias.name)

    def visit_Call(self, node: ast.Call) -> None:
        found = self._executor_target(node)
        if found is not None:
            self.check_callable(node, *found)

    def check_callable(self, call: ast.Call, api: str, target: ast.expr) -> None:
        """Report `call` when `target`, what the pool will call, is a coroutine function."""
        function = self._unpartial(target)
        callee = self.coroutine_function(function)
        if callee is None:
            return
        what = f"{callee} is a coroutine function"
        if function is not target:
            what = f"functools.partial wraps coroutine function {callee}"
        instead = self.instead(api, ast.unparse(function))
        self.report(call, what=what, api=api, instead=instead)

    def _unpartial(self, expr: ast.expr) -> ast.expr:
        """Return the function inside `functools.partial(...)` (nested too), else `expr`."""
        while (
            isinstance(expr, ast.Call)
            and expr.args
            and not isinstance(expr.args[0], ast.Starred)
            and self.names.qualified_name(expr.func) == "functools.partial"
        ):
            expr = expr.args[0]
        return expr

    def instead(self, api: str, function: str, call: str = "") -> str:
        """Return the suggested replacement, phrased for the API and where the call is.

        `call` is the whole coroutine call when it is known (a lambda's body).
        """
        if api.endswith(".map"):
            text = f"await asyncio.gather(*map({function}, ...))"
        else:
            text = f"await {call or function + '(...)'}"
        return text if self.scope.in_coroutine() else f"{text} in a coroutine"

    def coroutine_function(self, expr: ast.expr) -> str | None:
        """Return how to name `expr` when it is a coroutine function, else None."""
        node = self.names.definition(expr)
        if isinstance(node, ast.AsyncFunctionDef):
            if not _plain(node):
                return None
            return node.name if isinstance(expr, ast.Name) else ast.unparse(expr)
        if node is None:
            name = self.names.qualified_name(expr)
            if name in _COROUTINE_FUNCTIONS:
                return name
        return None

    def _executor_target(self, call: ast.Call) -> tuple[str, ast.expr] | None:
        """Return (API name, argument the API will call) when `call` hands one to a pool."""
        func, args = call.func, call.args
        attr = func.attr if isinstance(func, ast.Attribute) else None
        if attr == "run_in_executor":
            index = 1
        elif attr in _RUN_SYNC_ATTRS or attr in ("submit", "map"):
            index = 0
        elif isinstance(func, ast.Name) and func.id in self._runners:
            index = 0
        else:
            return None
        if len(args) <= index or any(isinstance(arg, ast.Starred) for arg in args[: index + 1]):
            return None
        if attr == "run_in_executor":
            return ast.unparse(func), args[index]
        name = self.names.qualified_name(func)
        if name in _RUN_SYNC or name in _POOL_METHODS:
            return name, args[index]
        if name is None and isinstance(func, ast.Attribute) and attr == "submit" and call not in self._awaited:
            receiver = ast.unparse(func.value)
            if _POOL_NAME.match(receiver):
                return ast.unparse(func), args[index]
        return None


def _plain(node: ast.AsyncFunctionDef) -> bool:
    """Tell whether the decorators leave `node` a coroutine function (none that wrap it)."""
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
        if name not in _PLAIN_DECORATORS:
            return False
    return True
