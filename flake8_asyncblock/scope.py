"""Where the walk is: a stack of enclosing scopes shared by all rules of a file."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, TypeAlias

__all__ = ["FUNCTION_NODES", "SCOPE_NODES", "Frame", "FunctionNode", "Scope", "ScopeNode"]

FunctionNode: TypeAlias = "ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda"
ScopeNode: TypeAlias = "FunctionNode | ast.ClassDef"
#: Nodes whose body runs as a function: a new local namespace, code run later.
FUNCTION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
#: Nodes that open a new scope on the stack: functions and class bodies.
SCOPE_NODES = (*FUNCTION_NODES, ast.ClassDef)


@dataclass(eq=False)
class Frame:
    """One scope: the module, a function, a lambda or a class body."""

    node: ast.AST
    #: Filled lazily by `names.Names` the first time a name is resolved here.
    symbols: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def is_coroutine(self) -> bool:
        return isinstance(self.node, ast.AsyncFunctionDef)

    @property
    def is_function(self) -> bool:
        return isinstance(self.node, FUNCTION_NODES)

    @property
    def is_class(self) -> bool:
        return isinstance(self.node, ast.ClassDef)


class Scope:
    """The stack of enclosing scopes, innermost last.

    A stack rather than a flag: a sync `def`, `lambda` or class nested in an
    `async def` runs outside the coroutine, and leaving it must restore the
    coroutine context.
    """

    def __init__(self, module: ast.AST) -> None:
        self.frames: list[Frame] = [Frame(module)]

    def push(self, node: ast.AST) -> None:
        """Enter the scope opened by `node`."""
        self.frames.append(Frame(node))

    def pop(self) -> None:
        """Leave the innermost scope."""
        self.frames.pop()

    @property
    def current(self) -> Frame:
        """The innermost scope."""
        return self.frames[-1]

    def in_coroutine(self) -> bool:
        """Tell whether the code being visited runs directly in an `async def` body."""
        return isinstance(self.frames[-1].node, ast.AsyncFunctionDef)

    def function(self) -> FunctionNode | None:
        """Return the innermost function or lambda whose body is being visited."""
        node = self.frames[-1].node
        return node if isinstance(node, FUNCTION_NODES) else None

    def coroutine(self) -> ast.AsyncFunctionDef | None:
        """Return the `async def` being visited, or None outside coroutines."""
        node = self.frames[-1].node
        return node if isinstance(node, ast.AsyncFunctionDef) else None

    def at_module_level(self) -> bool:
        """Tell whether the code being visited is module-level code."""
        return len(self.frames) == 1
