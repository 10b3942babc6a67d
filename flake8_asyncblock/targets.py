"""What a call calls, when it may be a project function: a `def` of the file or an imported name."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from typing import NamedTuple

from flake8_asyncblock.names import Names

__all__ = ["Member", "Target", "absolute_name", "call_target", "class_bases", "member_name", "qualnames",
           "statements"]


class Member(NamedTuple):
    """A method of a class of this file that neither it nor its bases here define: a base elsewhere may.

    `above`: the call is `super().attr()`, so the search starts at the bases.
    """

    owner: ast.ClassDef
    attr: str
    above: bool = False


#: What a call calls: a `def` of this file, an inherited method, or an absolute dotted name elsewhere.
Target = ast.FunctionDef | ast.AsyncFunctionDef | Member | str


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
        if init is None:  # none here: a base in another module may have one
            return Member(found, "__init__")
        return init if isinstance(init, ast.FunctionDef) else None
    if isinstance(found, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return found
    if found is None and isinstance(call.func, ast.Attribute):
        owner = names.owner(call.func.value)
        if owner is not None:  # `self._fetch()`, where no class of this file defines `_fetch`
            return Member(owner, call.func.attr)
        owner = _super_of(names, call.func.value)
        if owner is not None:
            return Member(owner, call.func.attr, above=True)
    if found is not None or not roots:
        return None
    dotted = names.qualified_name(call.func)
    if dotted is None:
        return None
    absolute = absolute_name(dotted, package)
    return absolute if absolute and absolute.partition(".")[0] in roots else None


def _super_of(names: Names, expr: ast.expr) -> ast.ClassDef | None:
    """Return the class whose method `expr`, a bare `super()`, is written in."""
    if not (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "super"
            and not expr.args and not expr.keywords and names.qualified_name(expr.func) == "super"):
        return None
    frames = names.scope.frames
    if len(frames) < 2 or not frames[-1].is_function or not frames[-2].is_class:
        return None
    owner = frames[-2].node
    return owner if isinstance(owner, ast.ClassDef) else None


def class_bases(
    names: Names, node: ast.ClassDef, module: str, package: str, qualname: Callable[[ast.AST], str | None]
) -> tuple[str, ...]:
    """Return the bases of `node` as absolute dotted names, "" for one that is not a known name.

    `qualname` names a class of this file; the names resolve in the scope the walk is in.
    """
    found: list[str] = []
    for base in node.bases:
        local = names.definition(base)
        if isinstance(local, ast.ClassDef):
            name = qualname(local)
            found.append(f"{module}.{name}" if module and name else name or "")
            continue
        dotted = names.qualified_name(base) if local is None else None
        found.append((absolute_name(dotted, package) or "") if dotted else "")
    return tuple(found)


def member_name(
    names: Names, member: Member, module: str, package: str, qualname: Callable[[ast.AST], str | None]
) -> str | None:
    """Return the dotted name the linker resolves through the bases: "pkg.client.Client._fetch"."""
    if member.above:  # `super().attr()`: followed when the class has one base
        bases = class_bases(names, member.owner, module, package, qualname)
        return f"{bases[0]}.{member.attr}" if len(bases) == 1 and bases[0] else None
    owner = qualname(member.owner)
    if owner is None:
        return None
    return f"{module}.{owner}.{member.attr}" if module else f"{owner}.{member.attr}"


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
