"""What each scope binds: the pre-scan `names.py` runs once per scope it is asked about."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from typing import Literal

from flake8_asyncblock.scope import FUNCTION_NODES

__all__ = ["GLOBAL", "NONLOCAL", "OPAQUE", "Binding", "BindingKind", "collect_bindings"]

#: A binding is a tuple (kind, payload):
#: ("alias", "time.sleep")    the name stands for that importable object;
#: ("value", expr)            assigned from `expr`, judged when looked up;
#: ("ann", expr)              parameter annotated with `expr` (outer scope);
#: ("with", expr)             bound by `with expr as name`;
#: ("def", node)              bound by a `def`, `async def` or `class` statement;
#: ("local", None)            anything else: a value we know nothing about.
#: `names.py` settles them into ("type", "requests.Session"), ("instance", class_node)
#: and ("none", None) too. The payload's type follows from the kind.
BindingKind = Literal[
    "alias", "value", "ann", "with", "def", "local", "global", "nonlocal", "type", "instance", "none",
]
Binding = tuple[BindingKind, object]
OPAQUE: Binding = ("local", None)
GLOBAL: Binding = ("global", None)
NONLOCAL: Binding = ("nonlocal", None)

#: Statements that bind their name to the node itself (and open a scope of their own).
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")
_SEQUENCES = (ast.Tuple, ast.List)


def collect_bindings(node: ast.AST, walrus: bool = True) -> dict[str, list[Binding]]:
    """Return every name `node`'s own scope binds, with how it is bound.

    Python makes a name assigned anywhere in a function local to all of it,
    so the whole body is scanned, but not nested functions or classes.
    `walrus=False` (no ":=" in the file) skips looking inside expressions.
    """
    out: dict[str, list[Binding]] = {}
    if isinstance(node, FUNCTION_NODES):
        annotate = not isinstance(node, ast.Lambda)
        args = node.args
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
            if arg is not None:
                ann = arg.annotation if annotate else None
                out.setdefault(arg.arg, []).append(("ann", ann) if ann else OPAQUE)
    body = [node.body] if isinstance(node, ast.Lambda) else getattr(node, "body", [])
    for name, binding in _scan(body, walrus):
        out.setdefault(name, []).append(binding)
    return out


def _scan(body: Sequence[ast.AST], walrus: bool) -> Iterator[tuple[str, Binding]]:
    todo = list(reversed(body))
    while todo:
        node = todo.pop()
        if isinstance(node, ast.expr):
            if walrus:
                yield from _walrus_targets(node)
            continue
        yield from _statement_bindings(node)
        if isinstance(node, _DEFINITIONS):
            continue
        if walrus:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    yield from _walrus_targets(child)
        for field in _BLOCK_FIELDS:
            block = getattr(node, field, None)
            if block:
                todo.extend(reversed(block))


def _import_bindings(node: ast.Import | ast.ImportFrom) -> Iterator[tuple[str, Binding]]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                yield alias.asname, ("alias", alias.name)
            else:
                root = alias.name.partition(".")[0]
                yield root, ("alias", root)
        return
    # `from . import util` stands for ".util", `from .. import util` for "..util".
    module = "." * (node.level or 0) + (node.module or "")
    dot = "." if node.module else ""
    for alias in node.names:
        if alias.name != "*":
            yield alias.asname or alias.name, ("alias", f"{module}{dot}{alias.name}")


def _statement_bindings(node: ast.AST) -> Iterator[tuple[str, Binding]]:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        yield from _import_bindings(node)
    elif isinstance(node, ast.Assign):
        for target in node.targets:
            yield from _targets(target, node.value)
    elif isinstance(node, ast.AnnAssign):
        if isinstance(node.target, ast.Name):
            yield node.target.id, ("ann", node.annotation)
    elif isinstance(node, (ast.AugAssign, ast.For, ast.AsyncFor)):
        yield from _targets(node.target, None)
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        for item in node.items:
            if isinstance(item.optional_vars, ast.Name):
                yield item.optional_vars.id, ("with", item.context_expr)
            elif item.optional_vars is not None:
                yield from _targets(item.optional_vars, None)
    elif isinstance(node, _DEFINITIONS):
        yield node.name, ("def", node)
    elif isinstance(node, (ast.Global, ast.Nonlocal)):
        mark = GLOBAL if isinstance(node, ast.Global) else NONLOCAL
        for name in node.names:
            yield name, mark
    elif isinstance(node, ast.ExceptHandler) and node.name:
        yield node.name, OPAQUE
    elif isinstance(node, ast.Delete):
        for target in node.targets:
            yield from _targets(target, None)
    elif isinstance(node, ast.match_case):
        for sub in ast.walk(node.pattern):
            captured = getattr(sub, "name", None) or getattr(sub, "rest", None)
            if isinstance(captured, str):
                yield captured, OPAQUE
    elif type(node).__name__ == "TypeAlias":
        yield from _targets(node.name, None)  # type: ignore[attr-defined]  # ast.TypeAlias: 3.12+


def _targets(target: ast.AST, value: ast.expr | None) -> Iterator[tuple[str, Binding]]:
    if isinstance(target, ast.Name):
        yield target.id, ("value", value) if value is not None else OPAQUE
        return
    pairs = _pairs(target, value)
    if pairs is not None:  # `p1, p2 = Path(a), Path(b)`: pair them up
        for part, item in pairs:
            yield from _targets(part, item)
        return
    for sub in ast.walk(target):
        if isinstance(sub, ast.Name) and not isinstance(sub.ctx, ast.Load):
            yield sub.id, OPAQUE


def _pairs(target: ast.AST, value: ast.expr | None) -> list[tuple[ast.expr, ast.expr]] | None:
    """Pair up `target` and `value` when both are tuples or lists of equal length, unstarred."""
    if not isinstance(target, _SEQUENCES) or not isinstance(value, _SEQUENCES):
        return None
    if len(target.elts) != len(value.elts):
        return None
    if any(isinstance(node, ast.Starred) for node in (*target.elts, *value.elts)):
        return None
    return list(zip(target.elts, value.elts))


def _walrus_targets(expr: ast.expr) -> Iterator[tuple[str, Binding]]:
    todo: list[ast.AST] = [expr]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
            yield node.target.id, ("value", node.value)
        todo.extend(ast.iter_child_nodes(node))
