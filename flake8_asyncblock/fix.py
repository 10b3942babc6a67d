"""libcst rewrites for findings that have a fix: detection stays on ast, editing keeps formatting.

Each fixable Violation is mapped to the libcst node with the same start and
end (ast byte columns converted to characters), then one transformer applies
every planned rewrite in a single pass. Which rewrite a finding gets is the
rule's declared `fix` (see fixes.py); fix_edits.py turns it into an Edit.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from flake8_asyncblock.fix_edits import Edit, TextEdit, plan_edit, plan_text_edit
from flake8_asyncblock.fix_imports import add_imports, drop_unused_imports, droppable_names
from flake8_asyncblock.fix_splice import Piece, calls_of, pieces, rewrite_pieces
from flake8_asyncblock.libraries import AsyncLibrary
from flake8_asyncblock.names import Names
from flake8_asyncblock.rule import Violation
from flake8_asyncblock.scope import Scope

__all__ = ["FixResult", "fix_source"]

_NEWLINE = re.compile(r"\r\n|\r|\n")
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")  # lines as ast counts them, ends kept
_Key = tuple[int, int, int, int]


@dataclass
class FixResult:
    """The rewritten source (and its tree, once rewritten) and, per finding, whether it was rewritten or why not."""

    source: str
    tree: ast.Module | None = None
    applied: list[Violation] = field(default_factory=list)
    skipped: list[tuple[Violation, str]] = field(default_factory=list)


def fix_source(source: str, tree: ast.Module, violations: Sequence[Violation]) -> FixResult:
    """Rewrite `violations` in `source` (already parsed by ast as `tree`).

    The result is checked to compile; when it does not (while the original
    did), nothing is rewritten and every finding is reported as skipped.
    """
    spliced = _fix_statements(source, tree, violations)
    if spliced is not None:
        return spliced
    try:
        module = cst.parse_module(source)
    except (cst.ParserSyntaxError, RecursionError) as exc:
        reason = f"libcst cannot parse the file ({type(exc).__name__})"
        return FixResult(source, skipped=[(v, reason) for v in violations])
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    parents = wrapper.resolve(ParentNodeProvider)
    index = _index_nodes(positions)
    to_bytes = _ColumnMap(source)
    library = Names(Scope(tree)).async_library()
    result = FixResult(source)
    found = [(v, index.get(to_bytes.key(v))) for v in violations]
    plan = _plan(found, parents, library, result)
    if not plan:
        return result
    fixed = _apply(module, plan)
    checked = _checked(source, fixed)
    if isinstance(checked, str):
        skipped = [(v, checked) for v in result.applied] + result.skipped
        return FixResult(source, skipped=skipped)
    result.source, result.tree = fixed, checked
    return result


def _fix_statements(source: str, tree: ast.Module, violations: Sequence[Violation]) -> FixResult | None:
    """Rewrite each statement holding a finding on its own (see fix_splice.py); None if one does not fit.

    A statement whose every finding has a plain text fix (fix_edits.TextEdit)
    is edited as text; the others go through libcst together.
    """
    if "\r" in source.replace("\r\n", ""):
        return None  # lone CRs end lines for ast but not for every tool: leave them to the slow path
    lines = _LINES.findall(source)
    groups = pieces(tree, lines, violations)
    if groups is None:
        return None
    library = Names(Scope(tree)).async_library()
    result = FixResult(source)
    edits: list[Edit | TextEdit] = []
    texts: dict[int, str] = {}
    by_libcst: list[Piece] = []
    for piece in groups:
        text = _text_fix(piece, lines, library)
        if text is None:
            by_libcst.append(piece)
            continue
        texts[piece.first], piece_edits = text
        edits.extend(piece_edits)
        result.applied.extend(piece.violations)

    def plan(module: cst.Module, found: list[tuple[Violation, cst.CSTNode]],
             parents: dict[cst.CSTNode, cst.CSTNode]) -> str:
        planned = _plan(found, parents, library, result)
        edits.extend(planned.values())
        return module.visit(_Rewriter(planned)).code if planned else module.code

    if by_libcst:
        rewritten = rewrite_pieces(by_libcst, lines, plan)
        if rewritten is None:
            return None
        texts.update((piece.first, text) for piece, text in zip(by_libcst, rewritten))
    out: list[str] = []
    done = 0
    for piece in groups:
        out.extend((*lines[done:piece.first - 1], texts[piece.first]))
        done = piece.last
    out.extend(lines[done:])
    order = {id(v): i for i, v in enumerate(violations)}
    result.applied.sort(key=lambda v: order[id(v)])
    result.skipped.sort(key=lambda item: order[id(item[0])])
    if not edits:
        return result
    fixed = _with_imports("".join(out), [name for edit in edits for name in edit.imports],
                          {name for edit in edits for name in edit.unused_imports}, tree, groups[0].first - 1)
    checked = _checked(source, fixed)
    if isinstance(checked, str):
        return FixResult(source, skipped=[(v, checked) for v in result.applied] + result.skipped)
    result.source, result.tree = fixed, checked
    return result


def _text_fix(piece: Piece, lines: Sequence[str], library: AsyncLibrary) -> tuple[str, list[TextEdit]] | None:
    """The piece's text with every finding fixed as plain text, or None if one needs libcst."""
    calls = calls_of(piece)
    if calls is None:
        return None
    edits = []
    for violation, call, ancestors in calls:
        edit = plan_text_edit(call, ancestors, violation, library)
        if edit is None:
            return None
        edits.append(edit)
    edits.sort(key=lambda e: (e.line, e.start))
    if any(a.line == b.line and a.end > b.start for a, b in itertools.pairwise(edits)):
        return None
    text = list(lines[piece.first - 1: piece.last])
    for edit in reversed(edits):  # right to left, so earlier columns stay valid
        line = text[edit.line - piece.first]
        if line.isascii():
            line = line[:edit.start] + edit.text + line[edit.end:]
        else:
            raw = line.encode("utf-8")
            line = (raw[:edit.start] + edit.text.encode("utf-8") + raw[edit.end:]).decode("utf-8")
        text[edit.line - piece.first] = line
    return "".join(text), edits


def _plan(
    found: Iterable[tuple[Violation, cst.CSTNode | None]],
    parents: Mapping[cst.CSTNode, cst.CSTNode],
    library: AsyncLibrary,
    result: FixResult,
) -> dict[cst.CSTNode, Edit]:
    """Plan one Edit per call, recording in `result` each finding as applied or skipped with why.

    A finding whose call another finding already rewrites is skipped: the two
    rewrites would not compose.
    """
    planned: dict[cst.CSTNode, Edit] = {}
    for violation, node in found:
        edit = plan_edit(node, violation, parents, library) if node is not None \
            else "no matching call found in the source"
        if isinstance(edit, str):
            result.skipped.append((violation, edit))
        elif edit.node in planned:
            result.skipped.append((violation, "another fix rewrites the same call"))
        else:
            planned[edit.node] = edit
            result.applied.append(violation)
    return planned


def _with_imports(code: str, imports: Sequence[str], unused_names: Iterable[str],
                  original: ast.Module | None = None, unchanged: int = 0) -> str:
    """Add `imports` and drop those of `unused_names` the edits made unused, in the import block only.

    The block (with what comes before it) is parsed alone. A module without
    an import block gets its first import above its first statement, which
    takes the whole module. `original` is the tree before the edits, whose
    first `unchanged` lines they left alone: when the block lies there, it is
    found without parsing `code` again.
    """
    lines = _LINES.findall(code)
    block = _import_block(original, len(lines)) if original is not None else None
    if block is None or block[1] > unchanged:
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return code  # the compile check says why
        block = _import_block(tree, len(lines))
    has_block, cut = block
    head, rest = "".join(lines[:cut]), "".join(lines[cut:])
    try:
        module = cst.parse_module(head)
    except (cst.ParserSyntaxError, RecursionError):
        return code
    module = add_imports(module, imports)
    unused = sorted(set(unused_names))
    if unused:
        if has_block and not any(name in rest for name in droppable_names(module, unused)):
            # None of the names is even a substring of the code below the block, and the block
            # and the header above it use no names: they are all unused, no need to parse.
            after = ast.Module(body=[], type_ignores=[])
        else:
            try:
                after = ast.parse(module.code + rest)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return module.code + rest
        module = drop_unused_imports(module, unused, after)
    head = module.code
    if not module.body and not head.strip():
        head = ""  # the only imports went: no blank lines left at the top
    return head + rest


def _import_block(tree: ast.Module, line_count: int) -> tuple[bool, int]:
    """Whether the module has an import block, and how many lines the block and what is above it take."""
    body = tree.body
    start = next((i for i, s in enumerate(body) if not _header(s)), len(body))
    end = next((i for i in range(start, len(body)) if not isinstance(body[i], (ast.Import, ast.ImportFrom))),
               len(body))
    cut = line_count if start == end or end == len(body) else _first_line(body[end]) - 1
    return start != end, cut


def _header(statement: ast.stmt) -> bool:
    """A docstring or a `from __future__` import: what stays above the import block."""
    if isinstance(statement, ast.ImportFrom):
        return statement.module == "__future__" and not statement.level
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) \
        and isinstance(statement.value.value, str)


def _first_line(statement: ast.stmt) -> int:
    decorators = getattr(statement, "decorator_list", ())
    return min((statement.lineno, *(d.lineno for d in decorators)))


def _index_nodes(positions: object) -> dict[_Key, cst.CSTNode]:
    """Map (line, col, end line, end col) in characters to Call and Await nodes.

    libcst positions leave out a node's own parentheses, as ast does. When an
    Await and its Call share a range (never: `await ` comes first) the last wins.
    """
    index: dict[_Key, cst.CSTNode] = {}
    for node, where in positions.items():  # type: ignore[attr-defined]
        if isinstance(node, (cst.Call, cst.Await)):
            key = (where.start.line, where.start.column, where.end.line, where.end.column)
            index.setdefault(key, node)
    return index


class _ColumnMap:
    """Convert ast positions (UTF-8 byte columns) to character columns."""

    def __init__(self, source: str) -> None:
        self.lines = _NEWLINE.split(source)

    def column(self, line: int, col: int) -> int:
        if not 1 <= line <= len(self.lines):
            return col
        text = self.lines[line - 1]
        if text.isascii():
            return col
        return len(text.encode("utf-8")[:col].decode("utf-8", errors="ignore"))

    def key(self, violation: Violation) -> _Key:
        end_line = violation.end_line if violation.end_line is not None else violation.line
        end_col = violation.end_col if violation.end_col is not None else violation.col
        return (
            violation.line,
            self.column(violation.line, violation.col),
            end_line,
            self.column(end_line, end_col),
        )


class _Rewriter(cst.CSTTransformer):
    """Apply the planned edits bottom-up, so nested rewrites compose."""

    def __init__(self, plan: dict[cst.CSTNode, Edit]) -> None:
        super().__init__()
        self.plan = plan

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        edit = self.plan.get(original_node)
        return edit.rewrite(updated_node) if edit else updated_node


def _apply(module: cst.Module, plan: dict[cst.CSTNode, Edit]) -> str:
    """Run the rewriter, add the imports the edits need, drop the ones they made unused."""
    fixed = module.visit(_Rewriter(plan))
    fixed = add_imports(fixed, [name for edit in plan.values() for name in edit.imports])
    code = fixed.code
    unused = sorted({name for edit in plan.values() for name in edit.unused_imports})
    if not unused:
        return code
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return code  # the compile check that follows says why
    dropped = drop_unused_imports(fixed, unused, tree)
    return code if dropped is fixed else dropped.code


def _checked(before: str, after: str) -> ast.Module | str:
    """Return the tree of `after`, or why it is not acceptable.

    It must parse; it must also compile (which catches `await` outside a
    coroutine) unless the original did not compile either. The tree is
    compiled, so the source is parsed once.
    """
    try:
        tree = ast.parse(after)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return f"the rewrite would not parse ({getattr(exc, 'msg', exc)})"
    try:
        compile(tree, "<fixed>", "exec", flags=0, dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        try:
            compile(before, "<original>", "exec", flags=0, dont_inherit=True)
        except (SyntaxError, ValueError):
            return tree
        return f"the rewrite would not compile ({getattr(exc, 'msg', exc)})"
    except (RecursionError, MemoryError):
        return tree
    return tree
