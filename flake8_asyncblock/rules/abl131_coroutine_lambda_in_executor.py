"""ABL131 coroutine-lambda-in-executor: a lambda that returns a coroutine, handed to a pool."""

from __future__ import annotations

import ast

from flake8_asyncblock.fixes import AwaitCoroutine
from flake8_asyncblock.rule import Invalid, Valid
from flake8_asyncblock.rules.abl130_coroutine_in_executor import CoroutineInExecutor

__all__ = ["CoroutineLambdaInExecutor"]


class CoroutineLambdaInExecutor(CoroutineInExecutor):
    """Flag lambdas whose body calls a coroutine function, handed to a pool.

    Apart from ABL130 because its rewrite is not exact: `await fn(arg)` computes
    `arg` on the event loop, where the lambda computed it in the worker.
    """

    code = "ABL131"
    slug = "coroutine-lambda-in-executor"
    message = (
        "lambda returns a coroutine of {callee}: {api}() only creates it and it "
        "never runs; use {instead}"
    )
    summary = (
        "a lambda that calls an async function, passed to run_in_executor(), "
        "to_thread(), to_thread.run_sync() or Executor.submit()/map(), in any code."
    )
    why = (
        "The pool calls the lambda, which returns a coroutine object that nobody "
        "awaits: the work never happens and the caller gets the coroutine back."
    )
    fix = AwaitCoroutine(safe=False)

    valid = (
        Valid("""
            import asyncio

            def render(page, size):
                return page * size

            async def send(page):
                return page

            async def main(page):
                await asyncio.to_thread(lambda: render(page, 2))
                await asyncio.to_thread(lambda: asyncio.run(send(page)))
        """),
    )
    invalid = (
        Invalid(
            """
            import asyncio

            async def notify(user, text):
                return user, text

            async def main(loop):
                await loop.run_in_executor(None, lambda: notify("ann", "hi"))
                await asyncio.to_thread(lambda: asyncio.sleep(1))
            """,
            errors=["ABL131:7:11", "ABL131:8:11"],
            fixed="""
            import asyncio

            async def notify(user, text):
                return user, text

            async def main(loop):
                await notify("ann", "hi")
                await asyncio.sleep(1)
            """,
        ),
    )

    def check_callable(self, call: ast.Call, api: str, target: ast.expr) -> None:
        if not isinstance(target, ast.Lambda) or not isinstance(target.body, ast.Call):
            return
        function = target.body.func
        if _uses_parameter(function, target):
            return
        callee = self.coroutine_function(function)
        if callee is not None:
            body = "" if _parameters(target) else ast.unparse(target.body)
            instead = self.instead(api, ast.unparse(function), body)
            self.report(call, callee=callee, api=api, instead=instead)


def _uses_parameter(expr: ast.expr, function: ast.Lambda) -> bool:
    """Tell whether the root name of `expr` is one of the lambda's parameters."""
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return isinstance(expr, ast.Name) and expr.id in _parameters(function)


def _parameters(function: ast.Lambda) -> set[str]:
    args = function.args
    params = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    params.update(a.arg for a in (args.vararg, args.kwarg) if a is not None)
    return params
