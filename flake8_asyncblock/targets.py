"""What a call calls, when it may be a project function: a `def` of the file or an imported name."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from flake8_asyncblock.names import Names

__all__ = ["Target", "absolute_name", "call_target", "qualnames", "statements"]

#: What a call calls: a `def` of this file, or an absolute dotted name elsewhere.
Target = ast.FunctionDef | ast.AsyncFunctionDef | str


def call_target(
    names: Names, call: ast.Call, package: str, roots: frozenset[str]
) -> Target | None:
    """Return what `call` calls when it may be a project function, resolved by scope.

    A `def` in this file (`f()`, `self.f()`, `Cls.f()`, `c.f()` with `c = Cls()`,
    `Cls()` for its `__init__`), or an imported name under one of `roots` (or
    relative to `package`), made absolute: `Client()` is "pkg.client.Client".
    """
    found = names.definition(call.func)
    if isinstance(found, ast.ClassDef):  # `Client()` runs Client.__init__
        init = names.method(found, "__init__")
        return init if isinstance(init, ast.FunctionDef) else None
    if isinstance(found, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return found
    if found is not None or not roots:
        return None
    dotted = names.qualified_name(call.func)
    if dotted is None:
        return None
    absolute = absolute_name(dotted, package)
    return absolute if absolute and absolute.partition(".")[0] in roots else None


def absolute_name(dotted: str, package: str) -> str | None:
    """Turn ".util.f", imported in a module of `package`, into "pkg.util.f".

    None when the relative name climbs above the top-level package.
    """
    level = len(dotted) - len(dotted.lstrip("."))
    if not level:
        return dotted
    parts = package.split(".") if package else []
    if level - 1 >= len(parts):
        return None
    return ".".join([*parts[: len(parts) - (level - 1)], dotted[level:]]).rstrip(".") or None


def qualnames(tree: ast.AST) -> dict[ast.AST, str]:
    """Name each `def` and class of `tree` as Python's __qualname__ does."""
    names: dict[ast.AST, str] = {}
    todo: list[tuple[ast.AST, str]] = [(tree, "")]
    while todo:
        node, prefix = todo.pop()
        for child in statements(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names[child] = prefix + child.name
                inner = ".<locals>." if not isinstance(child, ast.ClassDef) else "."
                todo.append((child, names[child] + inner))
    return names


def statements(node: ast.AST) -> Iterator[ast.stmt]:
    """Yield the statements of `node`'s own blocks, through if/try/with/for/match."""
    todo = list(getattr(node, "body", []))
    while todo:
        statement = todo.pop()
        yield statement
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            block = getattr(statement, name, None)
            if isinstance(block, list):
                todo.extend(block)
