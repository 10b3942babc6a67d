"""One walk of the tree for all rules: scope bookkeeping and per-node-type dispatch."""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from functools import cache, lru_cache
from typing import Protocol

from flake8_asyncblock.call_table import CallTable, tabled
from flake8_asyncblock.context import Origin
from flake8_asyncblock.names import CONSTRUCTORS, Names, walrus_lines
from flake8_asyncblock.rule import FileContext, Rule, Violation
from flake8_asyncblock.scope import SCOPE_NODES, Scope, ScopeNode
from flake8_asyncblock.settings import Settings

__all__ = ["Companion", "Handlers", "check", "constructors", "dispatch_names", "handlers", "walk"]

_VISIT, _LEAVE, _PUSH, _POP = range(4)
Handlers = dict[type, tuple[Callable[[ast.AST], None], ...]]


class Companion(Protocol):
    """Work that rides along one file's walk: it adds handlers over the walk's scope and names."""

    def handlers(self, scope: Scope, names: Names) -> tuple[Handlers, Handlers]: ...


@cache
def dispatch_names(rule: type[Rule]) -> tuple[tuple[str, type, str], ...]:
    """List (phase, node class, method name) for each visit_/leave_ method of `rule`.

    `dir` includes inherited methods, so a rule that only sets data on a base
    such as BlockingCallRule gets the base's visit_Call.
    """
    found = []
    for attr in dir(rule):
        phase, _, node_name = attr.partition("_")
        node_class = getattr(ast, node_name, None)
        if phase in ("visit", "leave") and isinstance(node_class, type):
            found.append((phase, node_class, attr))
    return tuple(found)


@lru_cache(maxsize=64)
def constructors(rules: tuple[type[Rule], ...]) -> dict[str, str]:
    merged = dict(CONSTRUCTORS)
    for rule in rules:
        merged.update(rule.constructors)
    return merged


def _may_fire(rule: type[Rule], source: str | None, settings: Settings) -> bool:
    if not rule.active(settings):
        return False
    if source is None or "async" in source:
        return True
    if rule.requires_async:
        return False
    return not rule.source_hints or any(hint in source for hint in rule.source_hints)


def check(
    tree: ast.AST,
    rules: Sequence[type[Rule]],
    settings: Settings,
    source: str | None = None,
    origin: Origin | None = None,
    also: Sequence[Companion] = (),
) -> list[Violation]:
    """Run `rules` over `tree` in one walk and return their findings in source order.

    `source` is the file's text when known: files where no rule can fire (no
    "async" and no rule's source hint) are not walked at all. `origin` says
    where the file is (path, module, project), for rules that look beyond it.
    `also` join the walk, which then always happens.
    """
    active = tuple(rule for rule in rules if _may_fire(rule, source, settings))
    if not active and not also:
        return []
    scope = Scope(tree)
    roots = origin.roots if origin else frozenset()
    names = Names(scope, constructors(tuple(rules)), walrus=walrus_lines(source), roots=roots)
    context = FileContext(source, tuple(rules), origin or Origin())
    instances = [rule(scope, names, settings) for rule in active]
    for instance in instances:
        instance.context = context
    visit, leave = handlers(instances, scope, names)
    for companion in also:
        for table, extra in zip((visit, leave), companion.handlers(scope, names)):
            for node_class, added in extra.items():
                table[node_class] = (*table.get(node_class, ()), *added)
    walk(tree, scope, visit, leave)
    found = [v for instance in instances for v in instance.violations]
    found.sort(key=lambda v: (v.line, v.col, v.code))
    return found


def handlers(instances: Sequence[Rule], scope: Scope, names: Names) -> tuple[Handlers, Handlers]:
    """Return the visit and leave tables of `instances`, by node type."""
    visit: Handlers = {}
    leave: Handlers = {}
    # Data-only BlockingCallRules share one lookup per call instead of one visit each.
    calls = [instance for instance in instances if tabled(instance)]
    if calls:  # the handler takes the ast.Call it is keyed by
        visit[ast.Call] = (CallTable(calls, scope, names).visit_Call,)  # type: ignore[assignment]  # gets Calls only
    for instance in instances:
        # mypy checks a class object against Hashable with unbound methods, which fails
        for phase, node_class, attr in dispatch_names(type(instance)):  # type: ignore[arg-type]
            if attr == "visit_Call" and instance in calls:
                continue
            table = visit if phase == "visit" else leave
            table[node_class] = (*table.get(node_class, ()), getattr(instance, attr))
    return visit, leave


def walk(tree: ast.AST, scope: Scope, visit: Handlers, leave: Handlers) -> None:
    """Visit every node once, depth first in source order, without recursion.

    Deeply nested expressions (long operator chains) would exhaust Python's
    recursion limit, so the walk keeps its own stack of (action, node).
    """
    stack: list[tuple[int, ast.AST]] = [(_VISIT, tree)]
    pop, push = stack.pop, stack.append
    scope_nodes = SCOPE_NODES  # a local: looked up once per node
    fields = _FIELDS  # empty tuple: a leaf such as Name or Constant
    while stack:
        action, node = pop()
        if action == _VISIT:
            kind = type(node)
            handlers = visit.get(kind)
            if handlers:
                for handler in handlers:
                    handler(node)
            if kind in leave:
                push((_LEAVE, node))
            if isinstance(node, scope_nodes):
                _push_scoped(node, stack)
            elif fields.get(kind, True):
                _push_children(node, stack)
        elif action == _LEAVE:
            for handler in leave[type(node)]:
                handler(node)
        elif action == _PUSH:
            scope.push(node)
        else:
            scope.pop()


def _child_fields(node_class: type[ast.AST]) -> tuple[str, ...]:
    """Fields that may hold child nodes worth visiting.

    Expression contexts (Load, Store) and operators (Add, Eq) are shared
    singletons no rule needs to visit; read `node.op` instead.
    """
    if node_class is ast.Constant:
        fields: tuple[str, ...] = ()
    else:
        fields = tuple(name for name in node_class._fields if name not in _NOT_CHILDREN)
    _FIELDS[node_class] = fields
    return fields


_NOT_CHILDREN = frozenset(
    {"ctx", "op", "ops", "id", "attr", "arg", "module", "level", "asname", "type_comment",
     "kind", "is_async", "conversion", "simple"}
)
_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}


def _push_children(node: ast.AST, stack: list[tuple[int, ast.AST]], skip: str = "") -> None:
    """Schedule the children of `node` (but the field `skip`) in source order."""
    fields = _FIELDS.get(type(node))
    if fields is None:
        fields = _child_fields(type(node))
    children: list[tuple[int, ast.AST]] = []
    for field in fields:
        if field == skip:
            continue
        value = getattr(node, field, None)
        if type(value) is list:
            children.extend([(_VISIT, item) for item in value if isinstance(item, ast.AST)])
        elif isinstance(value, ast.AST):
            children.append((_VISIT, value))
    if children:
        children.reverse()
        stack.extend(children)


def _push_scoped(node: ScopeNode, stack: list[tuple[int, ast.AST]]) -> None:
    """Schedule a scope node: its body inside the new scope, the rest outside.

    Decorators, defaults, annotations and base classes are evaluated in the
    enclosing scope, so only the body runs in the function or class.
    """
    stack.append((_POP, node))
    body = node.body
    inner = body if isinstance(body, list) else [body]
    stack.extend((_VISIT, child) for child in reversed(inner))
    stack.append((_PUSH, node))
    _push_children(node, stack, skip="body")
