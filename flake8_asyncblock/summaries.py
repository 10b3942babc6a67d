"""Per-file summaries of sync functions: the blocking calls each makes and the functions it calls.

The rules' own call matching finds the blocking calls: the rules that take
part (those a helper rule's `reaches` prefix names, on by default) walk the
file once with every sync `def` body treated as a coroutine body. A summary is
plain data, so the `asyncblock` command computes it in worker processes.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from flake8_asyncblock import engine
from flake8_asyncblock.names import Names
from flake8_asyncblock.noqa import filter_noqa
from flake8_asyncblock.rule import Rule, Violation
from flake8_asyncblock.scope import Scope
from flake8_asyncblock.settings import Settings

__all__ = [
    "Blocker", "FunctionSummary", "ModuleSummary", "Target", "call_target", "qualnames",
    "summarize", "taking_part",
]

#: Decorators that leave calling the function as calling its body.
_TRANSPARENT = frozenset({
    "staticmethod", "classmethod", "abc.abstractmethod", "typing.overload", "typing.override",
    "typing_extensions.override",
})
_CACHES = frozenset({"functools.cache", "functools.lru_cache"})


@dataclass(frozen=True)
class Blocker:
    """A call a direct rule flags: its rule's code, the call as resolved, and its line."""

    code: str
    call: str
    line: int


@dataclass(frozen=True)
class FunctionSummary:
    """One sync function: its first blocking call and the functions it calls, by dotted name.

    A generator or a function behind an unknown decorator is `opaque`: calling
    it does not run its body (or runs something else), so it never blocks.
    """

    name: str
    blocker: Blocker | None
    calls: tuple[str, ...]
    cached: bool = False
    opaque: bool = False


@dataclass(frozen=True)
class ModuleSummary:
    """Every sync function of one file by qualified name, and its module-level imports."""

    path: str
    module: str
    functions: dict[str, FunctionSummary]
    #: Module-level name -> absolute dotted name it imports (re-exports in `__init__.py`).
    imports: dict[str, str]
    #: What the coroutines of the file call, by dotted name: does the file need a second look?
    coroutine_calls: frozenset[str] = frozenset()


#: What a call calls: a `def` of this file, or an absolute dotted name elsewhere.
Target = ast.FunctionDef | ast.AsyncFunctionDef | str


def taking_part(rules: Sequence[type[Rule]], settings: Settings) -> list[type[Rule]]:
    """Return the direct rules whose calls make a helper block: on by default, in a family."""
    prefixes = tuple(prefix for rule in rules for prefix in getattr(rule, "reaches", ()))
    return [
        rule for rule in rules
        if rule.default_enabled and rule.code.startswith(prefixes) and not hasattr(rule, "reaches")
        and rule.active(settings)
    ]


def qualnames(tree: ast.AST) -> dict[ast.AST, str]:
    """Name each `def` and class of `tree` as Python's __qualname__ does."""
    names: dict[ast.AST, str] = {}
    todo: list[tuple[ast.AST, str]] = [(tree, "")]
    while todo:
        node, prefix = todo.pop()
        for child in _statements(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names[child] = prefix + child.name
                inner = ".<locals>." if not isinstance(child, ast.ClassDef) else "."
                todo.append((child, names[child] + inner))
    return names


def _statements(node: ast.AST) -> Iterator[ast.stmt]:
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


def call_target(
    names: Names, call: ast.Call, package: str, roots: frozenset[str]
) -> Target | None:
    """Return what `call` calls when it may be a project function, resolved by scope.

    A `def` in this file (`f()`, `self.f()`, `Cls.f()`, `c.f()` with `c = Cls()`),
    or an imported name under one of `roots` (or relative to `package`), made absolute.
    """
    found = names.definition(call.func)
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


class _SyncScope(Scope):
    """The walk's scope stack, with each sync `def` body standing in for a coroutine body."""

    def in_coroutine(self) -> bool:
        return type(self.frames[-1].node) is ast.FunctionDef

    def coroutine(self) -> ast.AsyncFunctionDef | None:
        node = self.frames[-1].node
        # The rules read a coroutine's parameters and body, which a sync def has too.
        return node if type(node) is ast.FunctionDef else None  # type: ignore[return-value]


def summarize(
    tree: ast.AST,
    source: str | None,
    rules: Sequence[type[Rule]],
    settings: Settings,
    where: tuple[str, str, str] = ("", "", ""),
    roots: frozenset[str] = frozenset(),
) -> ModuleSummary:
    """Summarize every sync function of `tree` in one walk.

    `where` is (path, module, package) of the file; `roots` the top-level
    packages of the project, whose imported functions are recorded as calls.
    """
    path, module, package = where
    scope = _SyncScope(tree)
    names = Names(scope, engine.constructors(tuple(rules)), walrus=source is None or ":=" in source)
    qualified = qualnames(tree)
    found: dict[ast.AST, list[tuple[Violation, str]]] = {}
    calls: dict[ast.AST, list[tuple[str, int]]] = {}
    instances = [rule(scope, names, settings) for rule in taking_part(rules, settings)]
    for instance in instances:
        instance.violations = _Filed(scope, found)
    visit, leave = engine.handlers(instances, scope, names)

    awaited: set[str] = set()

    def collect(node: ast.AST) -> None:
        function = scope.function()
        kind = type(function)
        if kind is ast.Lambda or function is None or not isinstance(node, ast.Call):
            return
        target = call_target(names, node, package, roots)
        if isinstance(target, ast.FunctionDef) and target in qualified:
            target = f"{module}.{qualified[target]}" if module else qualified[target]
        if not isinstance(target, str):
            return
        if kind is ast.FunctionDef:
            calls.setdefault(function, []).append((target, node.lineno))
        else:
            awaited.add(target)

    generators: set[ast.AST] = set()

    def yields(node: ast.AST) -> None:
        function = scope.function()
        if function is not None:
            generators.add(function)

    visit[ast.Call] = (*visit.get(ast.Call, ()), collect)
    for node_class in (ast.Yield, ast.YieldFrom):
        visit[node_class] = (*visit.get(node_class, ()), yields)
    engine.walk(tree, scope, visit, leave)
    if source is not None and "noqa" in source.lower():
        _drop_silenced(found, calls, source, _helper_codes(rules))
    functions = {}
    for node, name in qualified.items():
        if type(node) is ast.FunctionDef:
            functions[name] = _summary(node, name, names, found.get(node, []), calls.get(node, []),
                                       node in generators)
    return ModuleSummary(path, module, functions, _imports(tree, package), frozenset(awaited))


class _Filed(list[Violation]):
    """A rule's findings list that files each finding under the function the walk is in."""

    def __init__(self, scope: Scope, found: dict[ast.AST, list[tuple[Violation, str]]]) -> None:
        super().__init__()
        self.scope = scope
        self.found = found

    def append(self, violation: Violation) -> None:
        function = self.scope.function()
        if function is not None:
            self.found.setdefault(function, []).append((violation, _call_name(violation)))


_CALL = re.compile(r"[A-Za-z_][\w.]*(?=\()")


def _call_name(violation: Violation) -> str:
    """The call a direct finding names: messages start with "{call}()"."""
    match = _CALL.match(violation.text)
    return match[0] if match else violation.code


def _helper_codes(rules: Sequence[type[Rule]]) -> dict[str, str]:
    """Map each helper rule's `reaches` prefixes to its code: {"ABL12": "ABL220"}."""
    return {prefix: rule.code for rule in rules for prefix in getattr(rule, "reaches", ())}


def _drop_silenced(
    found: dict[ast.AST, list[tuple[Violation, str]]],
    calls: dict[ast.AST, list[tuple[str, int]]],
    source: str,
    helper_codes: dict[str, str],
) -> None:
    """Drop what a `# noqa` takes out of the summaries, with one pass over the comments.

    A blocking call is out when its line's noqa names its direct code or its
    helper code; a call of another function when it names any helper code.
    """
    probes: dict[int, list[Violation]] = {}
    for entries in found.values():
        for violation, _ in entries:
            helper = next((c for p, c in helper_codes.items() if violation.code.startswith(p)), "")
            probes[id(violation)] = [violation, _probe(violation.line, helper or violation.code)]
    for targets in calls.values():
        for entry in targets:
            probes[id(entry)] = [_probe(entry[1], code) for code in helper_codes.values()]
    every = [probe for group in probes.values() for probe in group]
    kept = {id(probe) for probe in filter_noqa(source, every)}
    for function, entries in found.items():
        found[function] = [e for e in entries if all(id(p) in kept for p in probes[id(e[0])])]
    for function, targets in calls.items():
        calls[function] = [e for e in targets if all(id(p) in kept for p in probes[id(e)])]


def _probe(line: int, code: str) -> Violation:
    return Violation(line, 0, code, "", Rule)


def _summary(
    node: ast.FunctionDef,
    name: str,
    names: Names,
    found: list[tuple[Violation, str]],
    calls: list[tuple[str, int]],
    generator: bool,
) -> FunctionSummary:
    decorators = [names.qualified_name(d.func if isinstance(d, ast.Call) else d)
                  for d in node.decorator_list]
    cached = any(d in _CACHES for d in decorators)
    opaque = generator or any(
        d not in _TRANSPARENT and d not in _CACHES for d in decorators
    )
    first = min(found, key=lambda entry: (entry[0].line, entry[0].col), default=None)
    return FunctionSummary(
        name=name,
        blocker=Blocker(first[0].code, first[1], first[0].line) if first else None,
        calls=tuple(dict.fromkeys(target for target, _ in calls)),
        cached=cached,
        opaque=opaque,
    )


def _imports(tree: ast.AST, package: str) -> dict[str, str]:
    """Return the names module-level imports bind, as absolute dotted names."""
    found: dict[str, str] = {}
    for statement in _statements(tree):
        if isinstance(statement, ast.ImportFrom):
            prefix = "." * statement.level + (statement.module or "")
            dot = "." if statement.module else ""
            for alias in statement.names:
                absolute = absolute_name(f"{prefix}{dot}{alias.name}", package)
                if alias.name != "*" and absolute:
                    found[alias.asname or alias.name] = absolute
        elif isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.asname:
                    found[alias.asname] = alias.name
    return found
