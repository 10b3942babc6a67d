"""ABL142 large-range-without-await: a for loop over a huge constant range() in a coroutine."""

from __future__ import annotations

import ast
import operator
from typing import Any

from flake8_asyncblock.rule import Invalid, Rule, Valid
from flake8_asyncblock.rules.abl140_spin_loop import leaves_on_first_pass, scan_loop
from flake8_asyncblock.scope import SCOPE_NODES

__all__ = ["LargeRangeWithoutAwait", "range_length"]

_OPERATORS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv, ast.Pow: operator.pow, ast.LShift: operator.lshift,
}
_BIG = 1 << 64  # beyond this a constant is not a loop bound anyone means
#: Nodes whose body is not part of the loop's own pass count: other scopes, other loops.
_NOT_THIS_LOOP = (*SCOPE_NODES, ast.While, ast.AsyncFor)


def _constant(node: ast.expr) -> int | None:
    """Evaluate an int literal or a small expression of them (`10**6`, `2 * 1_000`)."""
    if isinstance(node, ast.Constant):
        value = node.value
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _constant(node.operand)
        return None if value is None else (-value if isinstance(node.op, ast.USub) else value)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = _constant(node.left), _constant(node.right)
        if left is None or right is None or abs(left) > _BIG or abs(right) > _BIG:
            return None
        if isinstance(node.op, (ast.Pow, ast.LShift)) and not 0 <= right <= 64:
            return None
        if isinstance(node.op, ast.FloorDiv) and right == 0:
            return None
        return _OPERATORS[type(node.op)](left, right)
    return None


def range_length(args: list[ast.expr]) -> int | None:
    """Return how many values `range(*args)` yields when the arguments are constants."""
    values = [value for value in map(_constant, args) if value is not None]
    if not 1 <= len(values) == len(args) <= 3:
        return None
    start, stop, step = (0, values[0], 1) if len(values) == 1 else (*values, 1)[:3]
    if step == 0:
        return None
    return max(0, (stop - start + step - (1 if step > 0 else -1)) // step)


class LargeRangeWithoutAwait(Rule):
    """Flag CPU loops whose iteration count is written into the code and large."""

    code = "ABL142"
    slug = "large-range-without-await"
    message = (
        "for loop runs {work} without an await, blocking the "
        "event loop; add await {async_sleep}(0) every few thousand iterations, or move "
        "the work to {cpu_worker}: threads do not speed up CPU-bound Python (the GIL)"
    )
    summary = (
        "a for loop in an async def over range() with constant bounds of at least "
        "--asyncblock-range-limit iterations (nested constant ranges multiply), or over "
        "itertools.count()/cycle()/repeat(x) or iter(callable, sentinel), and no await."
    )
    why = (
        "A loop of that many Python iterations runs for a noticeable time and the event "
        "loop cannot interrupt it; every other task waits until it ends."
    )
    options = ("asyncblock-range-limit",)

    valid = (
        Valid("""
            import asyncio

            async def checksum(data):
                total = 0
                for i in range(1_000_000):
                    total += data[i]
                    if i % 10_000 == 0:
                        await asyncio.sleep(0)
                for i in range(100):
                    total += i
                return total
        """),
    )
    invalid = (
        Invalid(
            """
            async def checksum(data):
                total = 0
                for i in range(10**6):
                    total += data[i]
                for row in range(1000):
                    for col in range(1000):
                        total += row * col
                return total
            """,
            errors=["ABL142:3:5", "ABL142:5:5"],
            fixed="""
            import asyncio
            from concurrent.futures import ProcessPoolExecutor

            def checksum_sync(data):
                return sum(data[:10**6])

            async def checksum(data):
                loop = asyncio.get_running_loop()
                with ProcessPoolExecutor() as pool:
                    return await loop.run_in_executor(pool, checksum_sync, data)
            """,
        ),
        Invalid(
            """
            async def warm_up():
                for _ in range(500):
                    pass
            """,
            errors=["ABL142:2:5"],
            flake8_args=("--asyncblock-range-limit=500",),
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._covered: set[ast.AST] = set()

    def visit_For(self, node: ast.For) -> None:
        if node in self._covered or not self.scope.in_coroutine():
            return
        counted: list[ast.For] = []
        count = self._work(node, counted)
        work: str | None = None
        if count is not None and count >= self.settings.range_limit:
            work = f"{count:,} iterations of range()"
        elif not leaves_on_first_pass(node):
            work = self._unbounded(node)
        if work is None or scan_loop(node).suspends:
            return
        self._covered.update(counted)
        library = self.library
        self.report(node, work=work, async_sleep=library.sleep, cpu_worker=library.cpu_worker)

    def _unbounded(self, node: ast.For) -> str | None:
        """Describe `node.iter` if it never runs out: itertools.count(), iter(f, sentinel)."""
        call = node.iter
        if not isinstance(call, ast.Call):
            return None
        name = self.names.qualified_name(call.func)
        if name in ("itertools.count", "itertools.cycle"):
            return f"over {name}() with no bound"
        if name == "itertools.repeat" and len(call.args) == 1 and not call.keywords:
            return "over itertools.repeat() with no bound"
        if name == "iter" and len(call.args) == 2:
            return "over iter(callable, sentinel) until the sentinel comes"
        return None

    def _count(self, node: ast.For) -> int | None:
        call = node.iter
        if not isinstance(call, ast.Call) or call.keywords:
            return None
        if self.names.qualified_name(call.func) != "range":
            return None
        return range_length(call.args)

    def _work(self, node: ast.For, counted: list[ast.For]) -> int | None:
        """Return the iterations of `node` times those of its deepest constant inner ranges."""
        count = self._count(node)
        if count is None:
            return None
        inner = 1
        todo: list[ast.AST] = list(node.body)
        while todo:
            child = todo.pop()
            if isinstance(child, ast.For):
                work = self._work(child, counted)
                if work is not None:
                    counted.append(child)
                    inner = max(inner, work)
                continue
            if isinstance(child, _NOT_THIS_LOOP):
                continue
            todo.extend(n for n in ast.iter_child_nodes(child) if not isinstance(n, ast.expr))
        return count * inner
