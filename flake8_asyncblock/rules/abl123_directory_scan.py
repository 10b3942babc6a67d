"""ABL123 directory-scan: listing or walking directories inside a coroutine."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from flake8_asyncblock.rule import BlockingCallRule, Invalid, Valid

if TYPE_CHECKING:
    from flake8_asyncblock.names import Names
    from flake8_asyncblock.scope import Scope
    from flake8_asyncblock.settings import Settings

__all__ = ["DirectoryScan"]


#: Scanners that read nothing (os.scandir: one opendir) until iterated.
#: Path.iterdir() is not one: since Python 3.13 it reads the directory when called.
_LAZY = frozenset(
    {"os.walk", "os.fwalk", "os.scandir", "glob.iglob"}
    | {f"pathlib.Path.{name}" for name in ("glob", "rglob", "walk")}
)
#: Builtins that run an iterator to the end (or one step, `next`) where they are called.
_CONSUMERS = frozenset(
    {"list", "tuple", "set", "frozenset", "dict", "sorted", "sum", "min", "max", "any", "all",
     "next"}
)
_SCANNER = "{}()"  # the type of a lazy scanner's value: "os.walk()"


class DirectoryScan(BlockingCallRule):
    """Flag os.walk()/os.listdir()/os.scandir(), glob and Path.iterdir()/glob()/rglob()/walk().

    Several of these are lazy iterators: they are reported where the coroutine
    iterates them (`for`, a comprehension, `list()`, `next()`, `sorted()`...),
    directly or through a name they were assigned to, and not where they are
    only made, since code often hands the scanner to a thread. The fix must
    consume them in the thread (`list(...)`); a plain `to_thread(os.walk, top)`
    would still scan on the loop. That is why no automatic rewrite is offered.
    """

    code = "ABL123"
    slug = "directory-scan"
    message = (
        "{call}() blocks the event loop while it reads directories; collect the "
        "result in a thread: await {to_thread}(lambda: list({scan}))"
    )
    summary = (
        "os.listdir(), glob.glob() and Path.iterdir() inside an async def, and the lazy "
        "os.walk()/fwalk()/scandir(), glob.iglob() and Path.glob()/rglob()/walk() where the "
        "coroutine iterates them (for, comprehensions, list(), next(), sorted(), ...)."
    )
    why = (
        "Reading a directory is a system call per entry batch, and recursive walks "
        "touch whole trees: on a large tree or network disk the loop stalls for seconds."
    )
    fix = None
    constructors = {name: _SCANNER.format(name) for name in _LAZY}
    # The consumers are matched too, to report a lazy scanner held in a name where it runs.
    blocking_calls = (
        frozenset({"os.listdir", "glob.glob", "pathlib.Path.iterdir"}) | _LAZY | _CONSUMERS
    )

    valid = (
        Valid("""
            import asyncio
            import os

            async def sources(root):
                names = await asyncio.to_thread(os.listdir, root)
                return [os.path.join(root, name) for name in names]
        """),
    )
    invalid = (
        Invalid(
            """
            from pathlib import Path

            async def sources(root):
                return [p for p in Path(root).rglob("*.py")]
            """,
            errors=["ABL123:4:24"],
            fixed="""
            import asyncio
            from pathlib import Path

            async def sources(root):
                return await asyncio.to_thread(lambda: list(Path(root).rglob("*.py")))
            """,
        ),
        Invalid(
            """
            import os as system

            async def total_size(top):
                return sum(len(files) for _, _, files in system.walk(top))
            """,
            errors=["ABL123:4:46"],
        ),
    )

    def __init__(self, scope: Scope, names: Names, settings: Settings) -> None:
        super().__init__(scope, names, settings)
        self._iterated: dict[ast.AST, set[ast.AST]] = {}

    def fields(self, node: ast.Call, name: str) -> dict[str, str] | None:
        if name in _LAZY and node not in self._iterated_here():
            return None  # only made here: reported where it is iterated, if in a coroutine
        return {"to_thread": self.library.to_thread, "scan": ast.unparse(node)}

    def flag(self, node: ast.Call, name: str) -> None:
        if name in _CONSUMERS:
            if node.args:
                self._iterates(node, node.args[0])
            return
        super().flag(node, name)

    def visit_For(self, node: ast.For) -> None:
        if self.scope.in_coroutine():
            self._iterates(node.iter, node.iter)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        if self.scope.in_coroutine():
            self._iterates(node.iter, node.iter)

    def _iterates(self, where: ast.AST, iterable: ast.expr) -> None:
        """Report `where` if it iterates a lazy scanner held by a name or attribute."""
        if isinstance(iterable, (ast.Name, ast.Attribute)):
            held = self.names.type_of(iterable)
            if held is not None and held.endswith("()") and held[:-2] in _LAZY:
                self.report(where, call=held[:-2], to_thread=self.library.to_thread,
                            scan=ast.unparse(iterable))

    def _iterated_here(self) -> set[ast.AST]:
        """Return the expressions the current coroutine iterates where they stand."""
        coroutine = self.scope.coroutine()
        if coroutine is None:
            return set()
        if coroutine not in self._iterated:
            found: set[ast.AST] = set()
            for node in ast.walk(coroutine):
                if isinstance(node, (ast.For, ast.comprehension)):
                    found.add(node.iter)
                elif isinstance(node, ast.Call) and node.args and (
                    self.names.qualified_name(node.func) in _CONSUMERS
                ):
                    found.add(node.args[0])
            self._iterated[coroutine] = found
        return self._iterated[coroutine]
