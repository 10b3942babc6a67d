"""What rules read off a call besides its callee: arguments and the async alternative to name."""

from __future__ import annotations

import ast

from flake8_asyncblock.libraries import AsyncLibrary

__all__ = ["argument", "is_constant", "receivers", "to_thread_call"]


def argument(call: ast.Call, position: int | None, keyword: str) -> ast.expr | None:
    """Return what `call` passes at `position` or as `keyword=`, or None if absent.

    A `*args` before `position` hides which argument lands there, so that
    counts as absent too.
    """
    for item in call.keywords:
        if item.arg == keyword:
            return item.value
    if position is None or position >= len(call.args):
        return None
    if any(isinstance(arg, ast.Starred) for arg in call.args[: position + 1]):
        return None
    return call.args[position]


def is_constant(expr: ast.expr | None, *values: object) -> bool:
    """Tell whether `expr` is a literal equal to one of `values` (False is not 0 here)."""
    if not isinstance(expr, ast.Constant):
        return False
    return any(type(expr.value) is type(v) and expr.value == v for v in values)


def to_thread_call(library: AsyncLibrary, call: ast.Call) -> str:
    """Spell `call` run in a worker thread: "asyncio.to_thread(q.get)", "...(f, ...)"."""
    extra = ", ..." if call.args or call.keywords else ""
    return f"{library.to_thread}({ast.unparse(call.func)}{extra})"


def receivers(function: ast.AST, method: str) -> set[str]:
    """Return the source of each `x` on which `function` calls `x.method()` without arguments.

    Rules use it to spare a wait the code has polled for: after
    `while not fut.done(): await ...`, `fut.result()` returns at once.
    """
    return {
        ast.unparse(node.func.value)
        for node in ast.walk(function)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == method
        and not node.args
        and not node.keywords
    }
