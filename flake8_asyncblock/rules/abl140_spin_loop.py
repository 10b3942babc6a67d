"""ABL140 spin-loop: a while loop in a coroutine that never awaits and cannot end itself."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from flake8_asyncblock.rule import Invalid, Rule, Valid
from flake8_asyncblock.scope import SCOPE_NODES, FunctionNode

__all__ = ["LoopBody", "SpinLoop", "leaves_on_first_pass", "scan_loop", "spin_kind"]

_SUSPEND = (ast.Await, ast.AsyncFor, ast.AsyncWith, ast.Yield, ast.YieldFrom)
_LOOPS = (ast.For, ast.While, ast.AsyncFor)


@dataclass(frozen=True)
class LoopBody:
    """What a loop's own code (not nested functions) can do on each pass."""

    suspends: bool  # await, async for/with, yield: other tasks get to run
    exits: bool  # break (of this loop), return or raise
    inert: bool  # only pass, continue, `...` or constants: a spin-wait


def scan_loop(loop: ast.While | ast.For) -> LoopBody:
    """Scan the test (for `while`) and body of `loop`, skipping nested scopes."""
    suspends = exits = False
    todo: list[tuple[ast.AST, bool]] = [(node, False) for node in loop.body]
    if isinstance(loop, ast.While):
        todo.append((loop.test, False))
    while todo:
        node, nested = todo.pop()
        if isinstance(node, SCOPE_NODES):
            continue
        if isinstance(node, _SUSPEND) or (isinstance(node, ast.comprehension) and node.is_async):
            suspends = True
        elif isinstance(node, (ast.Return, ast.Raise)):
            exits = True
        elif isinstance(node, ast.Break) and not nested:
            exits = True
        if isinstance(node, _LOOPS):
            # A break in a nested loop's body ends that loop; one in its else ends ours.
            heads = (getattr(node, name, None) for name in ("target", "iter", "test"))
            todo.extend((child, True) for child in (*heads, *node.body) if child is not None)
            todo.extend((child, nested) for child in node.orelse)
            continue
        todo.extend((child, nested) for child in ast.iter_child_nodes(node))
    inert = all(
        isinstance(stmt, (ast.Pass, ast.Continue))
        or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))
        for stmt in loop.body
    )
    return LoopBody(suspends, exits, inert)


#: What a loop that never awaits does to the event loop, by what its condition reads.
_FOR_GOOD = "nothing that could end it gets to run: it blocks the event loop for good"
_UNTIL_CHANGED = (
    "it holds the event loop until its condition's call answers otherwise, and no "
    "other task runs meanwhile"
)


def _outcome(test: ast.expr) -> str:
    """Say "for good" only when the condition reads state no call can change on its own.

    `while not state.ready` waits for a task that never runs; `while f()` or
    `while time.monotonic() < deadline` may end by itself.
    """
    calls = any(isinstance(node, ast.Call) for node in ast.walk(test))
    return _UNTIL_CHANGED if calls else _FOR_GOOD


def _always_true(test: ast.expr) -> bool:
    return isinstance(test, ast.Constant) and bool(test.value)


class SpinLoop(Rule):
    """Flag while loops that hold the event loop with no way out."""

    code = "ABL140"
    slug = "spin-loop"
    message = (
        "{kind} never awaits, so {outcome}; await inside it (an Event, a queue or "
        "{async_sleep}())"
    )
    summary = (
        "a while loop in an async def with no await whose condition nothing can change: "
        "`while True` without break/return/raise, or a body that only passes."
    )
    why = (
        "Other tasks only run when the coroutine awaits. A loop that never awaits and "
        "polls a flag, or has no exit at all, keeps the loop's thread forever: the task "
        "that would set the flag never runs."
    )
    valid = (
        Valid("""
            import asyncio

            async def wait_ready(state):
                while not state.ready:
                    await asyncio.sleep(0.1)

            async def drain(queue):
                try:
                    while True:
                        queue.get_nowait()
                except asyncio.QueueEmpty:
                    pass

            async def first_line(lines):
                while True:
                    line = lines.pop()
                    if line:
                        return line
        """),
    )
    invalid = (
        Invalid(
            """
            async def wait_ready(state):
                while not state.ready:
                    pass

            async def serve(conn):
                while True:
                    conn.handle_one()
            """,
            errors=["ABL140:2:5", "ABL140:6:5"],
            fixed="""
            async def wait_ready(state):
                await state.ready_event.wait()

            async def serve(conn):
                while True:
                    await conn.handle_one()
            """,
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tries: list[tuple[ast.Try, FunctionNode | None]] = []

    def visit_Try(self, node: ast.Try) -> None:
        self._tries.append((node, self.scope.function()))

    def leave_Try(self, node: ast.Try) -> None:
        self._tries.pop()

    visit_TryStar = visit_Try
    leave_TryStar = leave_Try

    def visit_While(self, node: ast.While) -> None:
        if not self.scope.in_coroutine():
            return
        kind = spin_kind(node, scan_loop(node), self._guarded(node))
        if kind:
            self.report(node, kind=kind, outcome=_outcome(node.test),
                        async_sleep=self.library.sleep)

    def _guarded(self, node: ast.While) -> bool:
        """Tell whether an enclosing try of this function catches what ends `node`."""
        function = self.scope.function()
        return any(
            owner is function and block.handlers
            and block.body[0].lineno <= node.lineno <= (block.body[-1].end_lineno or node.lineno)
            for block, owner in self._tries
        )


def spin_kind(node: ast.While, body: LoopBody, guarded: bool) -> str | None:
    """Return how ABL140 describes `node` ("spin-wait loop"...), or None if it is not one."""
    if body.suspends or body.exits:
        return None
    if body.inert:
        return "spin-wait loop"
    if _always_true(node.test) and not guarded:
        return "while True loop"
    return None


_EXITS = (ast.Break, ast.Return, ast.Raise)
_NESTED = (ast.For, ast.While, ast.AsyncFor, *SCOPE_NODES)


def leaves_on_first_pass(loop: ast.While | ast.For) -> bool:
    """Tell whether every pass of `loop`'s body ends it: no `continue`, and an exit
    (break, return, raise) that each path through the body reaches."""
    return _block_exits(loop.body) and not _continues(loop.body)


def _block_exits(block: list[ast.stmt]) -> bool:
    return any(_statement_exits(stmt) for stmt in block)


def _statement_exits(stmt: ast.stmt) -> bool:
    if isinstance(stmt, _EXITS):
        return True
    if isinstance(stmt, ast.If):
        return _block_exits(stmt.body) and _block_exits(stmt.orelse)
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return _block_exits(stmt.body)
    return False


def _continues(block: list[ast.stmt]) -> bool:
    """Tell whether `block` has a `continue` of this loop (not of a nested one)."""
    todo: list[ast.AST] = list(block)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Continue):
            return True
        if isinstance(node, _NESTED):
            if isinstance(node, (ast.For, ast.While, ast.AsyncFor)):
                todo.extend(node.orelse)  # a continue in a loop's else is ours
            continue
        todo.extend(ast.iter_child_nodes(node))
    return False
