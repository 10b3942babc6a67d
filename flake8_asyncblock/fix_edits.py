"""How a rule's declared fix becomes a rewrite: per finding, the Edit or why there is none.

A fix that is a local token replacement whose place ast pins down exactly (the
sleep fix, most of all) is also offered as a TextEdit, which needs no libcst
parse: `plan_text_edit` returns it only where it prints what the libcst Edit
would print.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

import libcst as cst

from flake8_asyncblock.fix_imports import dotted_name
from flake8_asyncblock.fixes import AwaitAsyncSleep, AwaitCoroutine, ToThread
from flake8_asyncblock.libraries import LIBRARIES, AsyncLibrary
from flake8_asyncblock.rule import Violation

__all__ = ["Edit", "TextEdit", "plan_edit", "plan_text_edit"]

#: Runner attribute -> (position of the function it runs, whether keywords reach that function).
_RUNNERS: Mapping[str, tuple[int, bool]] = {
    "run_in_executor": (1, False),
    **{lib.to_thread.rpartition(".")[2]: (0, lib.to_thread_keywords) for lib in LIBRARIES},
}


@dataclass(frozen=True)
class Edit:
    """One planned rewrite of the call `node`, in the module's async `library`."""

    node: cst.Call
    library: AsyncLibrary
    awaited: bool
    #: The call is the head of `f().x`, `f()[i]` or `f()()`: the await needs parentheses.
    parens: bool
    #: Standard modules (no import side effects) whose import the rewrite may leave unused.
    unused_imports: ClassVar[tuple[str, ...]] = ()

    @property
    def imports(self) -> tuple[str, ...]:
        """Modules the rewritten code needs imported."""
        return (self.library.name,)

    def rewrite(self, call: cst.Call) -> cst.BaseExpression:
        """Return the replacement for `call` (the updated version of `node`)."""
        raise NotImplementedError

    def _await(self, new: cst.Call, call: cst.Call) -> cst.BaseExpression:
        """Await `new`, which replaces `call`, keeping `call`'s parentheses."""
        if self.awaited:
            return new.with_changes(lpar=call.lpar, rpar=call.rpar)
        lpar, rpar = call.lpar, call.rpar
        if self.parens and not lpar:
            lpar, rpar = (cst.LeftParen(),), (cst.RightParen(),)
        return cst.Await(expression=new, lpar=lpar, rpar=rpar)


class _SleepEdit(Edit):
    """`time.sleep(x)` -> `await asyncio.sleep(x)`."""

    unused_imports = ("time",)

    def rewrite(self, call: cst.Call) -> cst.BaseExpression:
        new = call.with_changes(func=dotted_name(self.library.sleep), lpar=(), rpar=())
        return self._await(new, call)


class _UnwrapEdit(Edit):
    """`await runner(fn, *a)` -> `await fn(*a)`."""

    unused_imports = ("asyncio", "functools")

    @property
    def imports(self) -> tuple[str, ...]:
        return ()

    def rewrite(self, call: cst.Call) -> cst.BaseExpression:
        return _unwrap(call)


class _ThreadEdit(Edit):
    """`f(*a, **k)` -> `await asyncio.to_thread(f, *a, **k)`."""

    @property
    def imports(self) -> tuple[str, ...]:
        if _needs_partial(self.node, self.library):
            return (self.library.name, "functools")
        return (self.library.name,)

    def rewrite(self, call: cst.Call) -> cst.BaseExpression:
        return self._await(_to_thread(call.with_changes(lpar=(), rpar=()), self.library), call)


@dataclass(frozen=True)
class TextEdit:
    """Bytes `start`..`end` (ast's UTF-8 columns) of line `line` become `text`."""

    line: int
    start: int
    end: int
    text: str
    imports: tuple[str, ...]
    unused_imports: tuple[str, ...]


#: Where `await` cannot simply be written in (a generator expression changes meaning, a lambda
#: cannot await) or where ast's columns were not exact before Python 3.12 (f-strings).
_NOT_AS_TEXT = (ast.GeneratorExp, ast.Lambda, ast.JoinedStr)


def plan_text_edit(call: ast.Call, ancestors: Sequence[ast.AST], violation: Violation,
                   library: AsyncLibrary) -> TextEdit | None:
    """The plain text form of `violation`'s fix at `call`, or None when the libcst Edit must do it.

    `ancestors` are the call's enclosing nodes inside its statement, innermost
    first. Only the sleep fix qualifies, and only when its callee starts the
    call and sits on one line and the await needs no parentheses: then the
    callee's text is replaced by the library's sleep with `await ` in front,
    exactly what `_SleepEdit` prints.
    """
    if not isinstance(violation.rule.fix, AwaitAsyncSleep):
        return None
    func = call.func
    if (func.lineno, func.col_offset, func.end_lineno) != (call.lineno, call.col_offset, call.lineno) \
            or func.end_col_offset is None:
        return None
    if any(isinstance(node, _NOT_AS_TEXT) for node in ancestors):
        return None
    parent = ancestors[0] if ancestors else None
    if (isinstance(parent, ast.Call) and parent.func is call) or (
            isinstance(parent, (ast.Attribute, ast.Subscript)) and parent.value is call):
        return None  # `(await g()).x`: the libcst Edit knows whether the call has parentheses
    awaited = isinstance(parent, ast.Await)
    return TextEdit(call.lineno, call.col_offset, func.end_col_offset,
                    library.sleep if awaited else f"await {library.sleep}",
                    (library.name,), _SleepEdit.unused_imports)


def plan_edit(
    node: cst.CSTNode,
    violation: Violation,
    parents: Mapping[cst.CSTNode, cst.CSTNode],
    library: AsyncLibrary,
) -> Edit | str:
    """Return the Edit the rule's fix makes of `violation` at `node`, or why there is none."""
    fix = violation.rule.fix
    if fix is None:
        return f"{violation.code} has no fix"
    if isinstance(node, cst.Await) and isinstance(node.expression, cst.Call):
        node = node.expression
    if not isinstance(node, cst.Call):
        return "the finding is not on a call"
    parent = parents.get(node)
    awaited = isinstance(parent, cst.Await)
    if _in_generator(node, parents):
        return "inside a generator expression, where await would change its meaning"
    # `f().x` must become `(await g()).x`: `await g().x` awaits the attribute.
    parens = (isinstance(parent, cst.Call) and parent.func is node) or (
        isinstance(parent, (cst.Attribute, cst.Subscript)) and parent.value is node
    )
    if isinstance(fix, AwaitAsyncSleep):
        return _SleepEdit(node, library, awaited, parens)
    if isinstance(fix, AwaitCoroutine):
        return _unwrap_problem(node, awaited) or _UnwrapEdit(node, library, awaited, parens)
    if isinstance(fix, ToThread):
        if awaited:
            return "the call is already awaited"
        return _ThreadEdit(node, library, awaited, parens)
    return f"no rewrite is known for {type(fix).__name__}"


def _in_generator(node: cst.CSTNode, parents: Mapping[cst.CSTNode, cst.CSTNode]) -> bool:
    """Tell whether `node` is inside a generator expression of the same function."""
    current = parents.get(node)
    while current is not None:
        if isinstance(current, cst.GeneratorExp):
            return True
        if isinstance(current, (cst.FunctionDef, cst.Lambda, cst.Module)):
            return False
        current = parents.get(current)
    return False


def _callee_attr(call: cst.Call) -> str | None:
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return None


def _positional(arg: cst.Arg) -> bool:
    return arg.keyword is None and not arg.star


def _unwrap_problem(call: cst.Call, awaited: bool) -> str | None:
    """Say why `await runner(fn, *args)` cannot become `await fn(*args)`, or None."""
    runner = _RUNNERS.get(_callee_attr(call) or "")
    if runner is None:
        return "only run_in_executor(), to_thread() and run_sync() calls are unwrapped"
    if not awaited:
        return "the executor call is not awaited directly"
    position, keywords = runner
    args = list(call.args)
    if len(args) <= position or not all(_positional(arg) for arg in args[: position + 1]):
        return "the function is not passed positionally"
    rest = args[position + 1:]
    if not keywords and any(arg.keyword is not None for arg in rest):
        return "keyword arguments belong to the runner, not to the function"
    target = args[position].value
    if isinstance(target, cst.Lambda):
        if target.params.children or rest or not isinstance(target.body, cst.Call):
            return "the lambda is not a plain call of the coroutine function"
    return None


def _unwrap(call: cst.Call) -> cst.BaseExpression:
    """`runner(fn, *a)` -> `fn(*a)`; `partial(fn, *p)` and `lambda: fn(*p)` are opened too."""
    position, _ = _RUNNERS[_callee_attr(call) or ""]
    args = list(call.args)
    target = args[position].value
    # The remaining arguments are a suffix: the last keeps its own comma.
    rest = args[position + 1:]
    if isinstance(target, cst.Lambda):
        return target.body.with_changes(lpar=call.lpar, rpar=call.rpar)
    if isinstance(target, cst.Call) and _callee_attr(target) == "partial" and target.args:
        inner = list(target.args)
        func, bound = inner[0].value, inner[1:]
        positional = [a for a in bound if a.keyword is None and a.star != "**"]
        keywords = [a for a in bound if a not in positional]
        merged = [*positional, *rest, *keywords]
        merged = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in merged]
        return call.with_changes(func=func, args=merged)
    if not isinstance(target, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)):
        if not target.lpar:
            target = target.with_changes(lpar=(cst.LeftParen(),), rpar=(cst.RightParen(),))
    return call.with_changes(func=target, args=rest)


def _needs_partial(call: cst.Call, library: AsyncLibrary) -> bool:
    """Tell whether `call` passes keywords the library's to_thread would not pass on."""
    if library.to_thread_keywords:
        return False
    return any(arg.keyword is not None or arg.star == "**" for arg in call.args)


def _to_thread(call: cst.Call, library: AsyncLibrary) -> cst.Call:
    """Build `library`'s to-thread call that runs `call` in a worker thread."""
    multiline = isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace)
    after = call.whitespace_before_args if multiline else cst.SimpleWhitespace(" ")
    runner = dotted_name(library.to_thread)
    if _needs_partial(call, library):
        partial = call.with_changes(
            func=dotted_name("functools.partial"),
            args=(cst.Arg(call.func, comma=cst.Comma(whitespace_after=after)), *call.args),
        )
        return cst.Call(func=runner, args=(cst.Arg(partial),))
    if call.args:
        args = (cst.Arg(call.func, comma=cst.Comma(whitespace_after=after)), *call.args)
    else:
        args = (cst.Arg(call.func),)
    return call.with_changes(func=runner, args=args)
