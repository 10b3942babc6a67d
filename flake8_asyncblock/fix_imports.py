"""Add and drop the imports a fix needs, keeping the import block in name order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import RemoveImportsVisitor

__all__ = ["add_imports", "dotted_name", "drop_unused_imports"]


def add_imports(module: cst.Module, names: Iterable[str]) -> cst.Module:
    """Add `import name` at module level for each name not imported that way yet.

    The new line goes before the first import of the leading import block whose
    module sorts after it (so an isort-ed block stays sorted), else after the block.
    """
    body = list(module.body)
    for name in sorted(set(names)):
        if any(name in _plain_imports(statement) for statement in body):
            continue
        start, end = _import_block(body)
        position = next(
            (i for i in range(start, end) if _sort_key(body[i]) > name.lower()), end
        )
        line = cst.SimpleStatementLine(body=[cst.Import(names=[cst.ImportAlias(dotted_name(name))])])
        if position < len(body):
            following = body[position]
            if position == start:
                # Comments and blank lines above the block stay above it.
                line = line.with_changes(leading_lines=following.leading_lines)
                following = following.with_changes(leading_lines=())
                if position == end:
                    following = following.with_changes(leading_lines=(cst.EmptyLine(),))
            body[position] = following
        body.insert(position, line)
    return module.with_changes(body=body)


def dotted_name(name: str) -> cst.Name | cst.Attribute:
    """Build the expression `a.b.c` from "a.b.c"."""
    first, *rest = name.split(".")
    node: cst.Name | cst.Attribute = cst.Name(first)
    for part in rest:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


def _plain_imports(statement: cst.CSTNode) -> set[str]:
    if not isinstance(statement, cst.SimpleStatementLine):
        return set()
    found: set[str] = set()
    for small in statement.body:
        if isinstance(small, cst.Import):
            found.update(a.evaluated_name for a in small.names if a.asname is None)
    return found


def _is_import(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body
    )


def _is_docstring_or_future(statement: cst.CSTNode) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.SimpleString):
        return True
    return isinstance(small, cst.ImportFrom) and _from_module(small) == "__future__"


def _import_block(body: Sequence[cst.BaseStatement]) -> tuple[int, int]:
    """Return [start, end) of the module's leading imports (after docstring and __future__)."""
    start = 0
    while start < len(body) and _is_docstring_or_future(body[start]):
        start += 1
    end = start
    while end < len(body) and _is_import(body[end]):
        end += 1
    return start, end


def _from_module(node: cst.ImportFrom) -> str:
    if node.module is None:
        return "." * len(node.relative)
    return "." * len(node.relative) + cst.Module([]).code_for_node(node.module)


def _sort_key(statement: cst.CSTNode) -> str:
    """The name an import line sorts by (callers pass only import lines, see `_is_import`)."""
    assert isinstance(statement, cst.SimpleStatementLine)
    small = statement.body[0]
    if isinstance(small, cst.ImportFrom):
        return _from_module(small).lower()
    assert isinstance(small, cst.Import)
    return small.names[0].evaluated_name.lower()


def drop_unused_imports(module: cst.Module, modules: Iterable[str]) -> cst.Module:
    """Remove module-level imports from `modules` that are unused after a rewrite.

    Callers pass only standard modules whose import has no side effects
    (time, asyncio, functools), so dropping an unused one is safe; imports of
    anything else are left alone.
    """
    wanted = set(modules)
    context = CodemodContext()
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    if alias.evaluated_name in wanted:
                        RemoveImportsVisitor.remove_unused_import(
                            context, alias.evaluated_name, asname=alias.evaluated_alias
                        )
            elif isinstance(small, cst.ImportFrom) and _from_module(small) in wanted:
                if isinstance(small.names, cst.ImportStar):
                    continue
                for alias in small.names:
                    RemoveImportsVisitor.remove_unused_import(
                        context, _from_module(small), alias.evaluated_name, alias.evaluated_alias
                    )
    module = RemoveImportsVisitor(context).transform_module(module)
    return _strip_leading_blank_lines(module)


def _strip_leading_blank_lines(module: cst.Module) -> cst.Module:
    """Drop blank lines a removed first import left at the top of the file."""
    if not module.body:
        return module
    first = module.body[0]
    lines = list(first.leading_lines)
    while lines and lines[0].comment is None and not module.header:
        lines.pop(0)
    if len(lines) == len(first.leading_lines):
        return module
    return module.with_changes(body=(first.with_changes(leading_lines=lines), *module.body[1:]))
