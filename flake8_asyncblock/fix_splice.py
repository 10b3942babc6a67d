"""Rewrite only the statements that hold a finding, and splice their new text into the file.

libcst's cost grows with the file: parsing, resolving positions and parents,
transforming and printing the whole module. A fix only touches the simple
statement holding its call, so each such statement (with the statements that
share its lines) is cut out as a small module of its own, rewritten there and
pasted back; the import block is handled the same way. Calls are matched to
libcst nodes by their order in the statement and checked by their text. When
any finding does not fit (a call in a compound statement's header, a
statement that shares a line with one, a mismatch), `Spliced` is None and the
caller rewrites the whole module instead.
"""

from __future__ import annotations

import ast
import itertools
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import libcst as cst

from flake8_asyncblock.rule import Violation

__all__ = ["Piece", "calls_of", "pieces", "rewrite_pieces"]

_Node = ast.Call | ast.Await
_Span = tuple[int, int, int, int]


def _span(node: _Node) -> _Span:
    return (node.lineno, node.col_offset, node.end_lineno or 0, node.end_col_offset or 0)


def _span_of(violation: Violation) -> _Span:
    return (violation.line, violation.col, violation.end_line or 0, violation.end_col or 0)


@dataclass
class Piece:
    """Lines `first`..`last` (1-based) of the file: whole simple statements, and their findings."""

    first: int
    last: int
    indent: str
    statements: list[ast.stmt]
    violations: list[Violation]


def pieces(tree: ast.Module, lines: Sequence[str], violations: Sequence[Violation]) -> list[Piece] | None:
    """Group `violations` by the simple statements holding them; None if one does not fit."""
    starts: dict[int, list[ast.stmt]] = {}
    holder: dict[_Span, ast.stmt] = {}  # where a call is -> its simple statement
    wanted = {_span_of(v) for v in violations}
    wanted_lines = Counter(span[0] for span in wanted)
    for statement in _statements(tree.body):
        starts.setdefault(statement.lineno, []).append(statement)
        end = statement.end_lineno or statement.lineno
        if not isinstance(statement, _COMPOUND) and any(
                line in wanted_lines for line in range(statement.lineno, end + 1)):
            direct = _direct_call(statement)
            if end == statement.lineno and wanted_lines[end] == 1 and direct is not None:
                # The one finding of a one-line `call()` statement: no walk needed (most fixes).
                for candidate in direct:
                    if _span(candidate) in wanted:
                        holder.setdefault(_span(candidate), statement)
                        break
                else:
                    direct = None
                if direct is not None:
                    continue
            for node in ast.walk(statement):
                if isinstance(node, (ast.Call, ast.Await)) and _span(node) in wanted:
                    holder.setdefault(_span(node), statement)
    by_range: dict[tuple[int, int], Piece] = {}
    for violation in violations:
        simple = holder.get(_span_of(violation))
        if simple is None:
            return None  # in a compound statement's header, or not on a call
        first = simple.lineno
        last = simple.end_lineno or first
        shared = [s for line in range(first, last + 1) for s in starts.get(line, ())]
        if any(isinstance(s, _COMPOUND) for s in shared):
            return None
        first = min(s.lineno for s in shared)
        last = max(s.end_lineno or s.lineno for s in shared)
        line = lines[first - 1]
        indent = line[: len(line) - len(line.lstrip())]
        leading = min(s.col_offset for s in shared if s.lineno == first)
        if len(indent.encode("utf-8")) != leading:
            return None  # something else (`if x: call()`) starts the line
        piece = by_range.setdefault((first, last), Piece(first, last, indent, shared, []))
        piece.violations.append(violation)
    ordered = sorted(by_range.values(), key=lambda p: p.first)
    if any(a.last >= b.first for a, b in itertools.pairwise(ordered)):
        return None
    return ordered


def _direct_call(statement: ast.stmt) -> tuple[_Node, ast.Call] | None:
    """For `call()` or `await call()` as a statement: the statement's value and the call."""
    if not isinstance(statement, ast.Expr):
        return None
    top = statement.value
    call = top.value if isinstance(top, ast.Await) else top
    if isinstance(top, (ast.Call, ast.Await)) and isinstance(call, ast.Call):
        return top, call
    return None


def calls_of(piece: Piece) -> list[tuple[Violation, ast.Call, list[ast.AST]]] | None:
    """Each finding's call with its enclosing nodes in the statement (innermost first).

    None when a finding is not on a call (or an awaited call), or when two
    findings share a call: the libcst path says why for those.
    """
    wanted = {_span_of(v) for v in piece.violations}
    if len(wanted) != len(piece.violations):
        return None
    if len(piece.statements) == 1 and len(piece.violations) == 1:
        statement, (violation,) = piece.statements[0], piece.violations
        direct = _direct_call(statement)
        if direct is not None and _span_of(violation) in (_span(direct[0]), _span(direct[1])):
            top, direct_call = direct
            return [(violation, direct_call, [top, statement] if top is not direct_call else [statement])]
    nodes: dict[_Span, _Node] = {}
    parents: dict[int, ast.AST] = {}
    for statement in piece.statements:
        for node in ast.walk(statement):
            for child in ast.iter_child_nodes(node):
                parents[id(child)] = node
            if isinstance(node, (ast.Call, ast.Await)):
                nodes.setdefault(_span(node), node)
    out = []
    for violation in piece.violations:
        held = nodes.get(_span_of(violation))
        call = held.value if isinstance(held, ast.Await) else held
        if not isinstance(call, ast.Call):
            return None
        ancestors: list[ast.AST] = []
        up = parents.get(id(call))
        while up is not None:
            ancestors.append(up)
            up = parents.get(id(up))
        out.append((violation, call, ancestors))
    return out


_COMPOUND = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.AsyncFor,
             ast.While, ast.With, ast.AsyncWith, ast.Try, ast.Match,
             *((ast.TryStar,) if hasattr(ast, "TryStar") else ()))


def _statements(body: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement, visiting only statement lists (not the expressions in between)."""
    for statement in body:
        yield statement
        for name in ("body", "orelse", "finalbody"):
            inner = getattr(statement, name, None)
            if isinstance(inner, list):
                yield from _statements(inner)
        for holder in (*getattr(statement, "handlers", ()), *getattr(statement, "cases", ())):
            yield from _statements(holder.body)


class _Calls(cst.CSTVisitor):
    """Calls and awaits of a small module in source order, and each node's parent."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[cst.CSTNode] = []
        self.parents: dict[cst.CSTNode, cst.CSTNode] = {}
        self.stack: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.stack:
            self.parents[node] = self.stack[-1]
        if isinstance(node, (cst.Call, cst.Await)):
            self.found.append(node)
        self.stack.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.stack.pop()


def rewrite_pieces(
    found_pieces: Sequence[Piece], lines: Sequence[str],
    plan: Callable[[cst.Module, list[tuple[Violation, cst.CSTNode]], dict[cst.CSTNode, cst.CSTNode]],
                   str],
) -> list[str] | None:
    """Each piece's new text, from `plan(module, node of each finding, parents)`; None if one does not fit.

    All pieces are parsed, rewritten and printed as one small module, the
    pieces one after the other with a marker comment between them (libcst's
    cost per parse would otherwise dominate), then cut apart at the markers.
    `plan` returns the module's code, rewritten or not.
    """
    marker = f"# asyncblock piece {uuid.uuid4().hex}\n"
    texts = ["".join(lines[piece.first - 1: piece.last]) for piece in found_pieces]
    snippets = []
    for piece, text in zip(found_pieces, texts):
        snippet = text[len(piece.indent):]
        snippets.append(snippet if snippet.endswith(("\n", "\r")) else snippet + "\n")
    try:
        module = cst.parse_module(marker.join(snippets))
    except (cst.ParserSyntaxError, RecursionError):
        return None
    walker = _Calls()
    module.visit(walker)
    per_piece = [sorted((n for s in piece.statements for n in ast.walk(s)
                         if isinstance(n, (ast.Call, ast.Await))),
                        key=lambda n: (n.lineno, n.col_offset, -(n.end_lineno or 0), -(n.end_col_offset or 0)))
                 for piece in found_pieces]
    if sum(map(len, per_piece)) != len(walker.found):
        return None
    found: list[tuple[Violation, cst.CSTNode]] = []
    offset = 0
    for piece, nodes in zip(found_pieces, per_piece):
        where = {_span(node): offset + i for i, node in enumerate(nodes)}
        for violation in piece.violations:
            index = where.get(_span_of(violation), -1)
            if index < 0 or not _same_text(nodes[index - offset], walker.found[index], lines, module):
                return None
            found.append((violation, walker.found[index]))
        offset += len(nodes)
    parts = plan(module, found, walker.parents).split(marker)
    if len(parts) != len(found_pieces):
        return None
    out = []
    for piece, text, code in zip(found_pieces, texts, parts):
        if not text.endswith(("\n", "\r")):
            code = code[: len(code.rstrip("\r\n"))]
        out.append(piece.indent + code)
    return out


def _same_text(node: _Node, cst_node: cst.CSTNode, lines: Sequence[str], module: cst.Module) -> bool:
    """Tell whether the libcst node spells the ast node's source (parentheses aside)."""
    assert isinstance(cst_node, (cst.Call, cst.Await))
    bare = module.code_for_node(cst_node.with_changes(lpar=(), rpar=()))
    end_line, end_col = node.end_lineno or node.lineno, node.end_col_offset or 0
    first = lines[node.lineno - 1].encode("utf-8")
    if end_line == node.lineno:
        source = first[node.col_offset:end_col].decode("utf-8", "replace")
    else:
        middle = b"".join(line.encode("utf-8") for line in lines[node.lineno: end_line - 1])
        last = lines[end_line - 1].encode("utf-8")[:end_col]
        source = (first[node.col_offset:] + middle + last).decode("utf-8", "replace")
    return bare == source
