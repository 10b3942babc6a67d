"""The rewrites `fix.py` applies: decide per finding whether and how its call can be rewritten."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import libcst as cst

from flake8_asyncblock.rule import Violation

__all__ = ["Edit", "plan_edit"]

#: Calls that run a function in a worker thread, by the attribute that names them.
_EXECUTORS = frozenset({"run_in_executor", "to_thread", "run_sync"})


@dataclass(frozen=True)
class Edit:
    """One planned rewrite of the call `node`."""

    kind: str  # "sleep", "unwrap" or "thread"
    node: cst.Call
    library: str
    awaited: bool
    parens: bool

    @property
    def imports(self) -> tuple[str, ...]:
        if self.kind == "unwrap":
            return ()
        if self.kind == "thread" and self.library != "asyncio" and _needs_partial(self.node):
            return (self.library, "functools")
        return (self.library,)

    def rewrite(self, call: cst.Call) -> cst.BaseExpression:
        """Return the replacement for `call` (the updated version of `node`)."""
        if self.kind == "sleep":
            new = call.with_changes(func=_dotted(f"{self.library}.sleep"), lpar=(), rpar=())
        elif self.kind == "unwrap":
            return _unwrap(call)
        else:
            new = _to_thread(call.with_changes(lpar=(), rpar=()), self.library)
        if self.awaited:
            return new.with_changes(lpar=call.lpar, rpar=call.rpar)
        lpar, rpar = call.lpar, call.rpar
        if self.parens and not lpar:
            lpar, rpar = (cst.LeftParen(),), (cst.RightParen(),)
        return cst.Await(expression=new, lpar=lpar, rpar=rpar)


def plan_edit(
    node: cst.CSTNode,
    violation: Violation,
    parents: Mapping[cst.CSTNode, cst.CSTNode],
    library: str,
) -> Edit | str:
    """Return the Edit for `violation` at `node`, or the reason it cannot be rewritten."""
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
    kind = violation.rule.fix
    if kind == "safe" and violation.code.startswith("ABL10"):
        return Edit("sleep", node, library, awaited, parens)
    if kind in ("safe", "unsafe") and _callee_attr(node) in _EXECUTORS:
        reason = _unwrap_problem(node, awaited)
        return reason or Edit("unwrap", node, library, awaited, parens)
    if kind == "unsafe":
        if awaited:
            return "the call is already awaited"
        return Edit("thread", node, library, awaited, parens)
    return f"no rewrite is known for {violation.code}"


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
    if not awaited:
        return "the executor call is not awaited directly"
    skip = 2 if _callee_attr(call) == "run_in_executor" else 1
    args = list(call.args)
    if len(args) < skip or not all(_positional(arg) for arg in args[:skip]):
        return "the function is not passed positionally"
    rest = args[skip:]
    if _callee_attr(call) != "to_thread" and any(arg.keyword is not None for arg in rest):
        return "keyword arguments belong to the runner, not to the function"
    target = args[skip - 1].value
    if isinstance(target, cst.Lambda):
        if target.params.children or rest or not isinstance(target.body, cst.Call):
            return "the lambda is not a plain call of the coroutine function"
    return None


def _unwrap(call: cst.Call) -> cst.BaseExpression:
    """`runner(fn, *a)` -> `fn(*a)`; `partial(fn, *p)` and `lambda: fn(*p)` are opened too."""
    skip = 2 if _callee_attr(call) == "run_in_executor" else 1
    args = list(call.args)
    target = args[skip - 1].value
    # The remaining arguments are a suffix: the last keeps its own comma.
    rest = args[skip:]
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


def _needs_partial(call: cst.Call) -> bool:
    """trio and anyio pass only positional arguments to the function."""
    return any(arg.keyword is not None or arg.star == "**" for arg in call.args)


def _to_thread(call: cst.Call, library: str) -> cst.Call:
    """Build `library`'s to-thread call that runs `call` in a worker thread."""
    multiline = isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace)
    after = call.whitespace_before_args if multiline else cst.SimpleWhitespace(" ")
    if library != "asyncio" and _needs_partial(call):
        partial = call.with_changes(
            func=_dotted("functools.partial"),
            args=(cst.Arg(call.func, comma=cst.Comma(whitespace_after=after)), *call.args),
        )
        args: tuple[cst.Arg, ...] = (cst.Arg(partial),)
    elif call.args:
        args = (cst.Arg(call.func, comma=cst.Comma(whitespace_after=after)), *call.args)
    else:
        args = (cst.Arg(call.func),)
    runner = "asyncio.to_thread" if library == "asyncio" else f"{library}.to_thread.run_sync"
    if library != "asyncio" and _needs_partial(call):
        return cst.Call(func=_dotted(runner), args=args)
    return call.with_changes(func=_dotted(runner), args=args)


def _dotted(name: str) -> cst.BaseExpression:
    node: cst.BaseExpression = cst.Name(name.split(".")[0])
    for part in name.split(".")[1:]:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node
