"""Add and drop the imports a fix needs, keeping the import block in name order."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence

import libcst as cst

__all__ = ["add_imports", "dotted_name", "droppable_names", "drop_unused_imports"]

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


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


def drop_unused_imports(module: cst.Module, modules: Iterable[str], tree: ast.Module) -> cst.Module:
    """Remove module-level imports from `modules` that are unused after a rewrite.

    `tree` is the ast of `module`'s code: a name is used when it appears as a
    name anywhere, in `__all__` or in a string annotation (conservative: a
    local variable of the same name keeps the import). Callers pass only
    standard modules whose import has no side effects (time, asyncio,
    functools), so dropping an unused one is safe; imports of anything else
    are left alone. Only the top-level statements are visited, so the cost
    does not grow with the number of fixes.
    """
    wanted = set(modules)
    used = _used_names(tree)
    body: list[cst.BaseStatement] = []
    changed = False
    for statement in module.body:
        kept = _drop_from_line(statement, wanted, used)
        changed = changed or kept is not statement
        if kept is not None:
            body.append(kept)
    if not changed:
        return module
    return _strip_leading_blank_lines(module.with_changes(body=body))


def droppable_names(module: cst.Module, modules: Iterable[str]) -> set[str]:
    """The names bound by `module`'s top-level imports of `modules`: those drop_unused_imports may drop.

    A caller that knows none of them is used can pass drop_unused_imports an
    empty tree instead of parsing the rewritten file.
    """
    wanted = set(modules)
    names: set[str] = set()
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Import):
                names.update(_bound(a, top=True) for a in small.names if a.evaluated_name in wanted)
            elif (isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar)
                  and _from_module(small) in wanted):
                names.update(_bound(a, top=False) for a in small.names)
    return names


def _used_names(tree: ast.Module) -> set[str]:
    used: set[str] = set()
    texts: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            used.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            arguments = node.args
            annotated = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                         *filter(None, (arguments.vararg, arguments.kwarg))]
            texts.extend(_strings(a.annotation) for a in annotated if a.annotation is not None)
            if node.returns is not None:
                texts.append(_strings(node.returns))
        elif isinstance(node, ast.AnnAssign):
            texts.append(_strings(node.annotation))
        elif isinstance(node, (ast.Assign, ast.AugAssign)) and any(
                isinstance(t, ast.Name) and t.id == "__all__"
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target])):
            texts.append(_strings(node.value))
    used.update(_WORD.findall(" ".join(texts)))
    return used


def _strings(node: ast.AST) -> str:
    return " ".join(n.value for n in ast.walk(node)
                    if isinstance(n, ast.Constant) and isinstance(n.value, str))


def _drop_from_line(statement: cst.BaseStatement, wanted: set[str],
                    used: set[str]) -> cst.BaseStatement | None:
    """The statement line without its unused imports of `wanted`; None when nothing is left."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return statement
    smalls: list[cst.BaseSmallStatement] = []
    for small in statement.body:
        kept = _drop_aliases(small, wanted, used)
        if kept is not None:
            smalls.append(kept)
    if len(smalls) == len(statement.body) and all(a is b for a, b in zip(smalls, statement.body)):
        return statement
    if not smalls:
        return None
    last = smalls[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
    return statement.with_changes(body=[*smalls[:-1], last])


def _drop_aliases(small: cst.BaseSmallStatement, wanted: set[str],
                  used: set[str]) -> cst.BaseSmallStatement | None:
    if isinstance(small, cst.Import):
        original: Sequence[cst.ImportAlias] = small.names
        names = [a for a in original if a.evaluated_name not in wanted or _bound(a, top=True) in used]
    elif (isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar)
          and _from_module(small) in wanted):
        original = small.names
        names = [a for a in original if _bound(a, top=False) in used]
    else:
        return small
    if len(names) == len(original):
        return small
    if not names:
        return None
    if not (isinstance(small, cst.ImportFrom) and small.lpar):  # `(a, b,)` keeps its comma
        names[-1] = names[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return small.with_changes(names=names)


def _bound(alias: cst.ImportAlias, top: bool) -> str:
    """The name an import binds: its alias, else (for `import a.b`) its first part."""
    if alias.asname is not None:
        return str(alias.evaluated_alias)
    return alias.evaluated_name.partition(".")[0] if top else alias.evaluated_name


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
