"""Per-file summaries of sync functions: the blocking calls each makes and the functions it calls.

The rules' own call matching finds the blocking calls: the rules that take
part (those a helper rule's `reaches` prefix names, on by default) walk the
file once with every sync `def` body treated as a coroutine body. A summary is
plain data, so the `asyncblock` command computes it in worker processes.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flake8_asyncblock import engine
from flake8_asyncblock.engine import Handlers
from flake8_asyncblock.names import Names, walrus_lines
from flake8_asyncblock.noqa import filter_noqa
from flake8_asyncblock.rule import Rule, Violation
from flake8_asyncblock.scope import Scope
from flake8_asyncblock.settings import Settings
from flake8_asyncblock.targets import Member, absolute_name, call_target, class_bases, member_name, qualnames

__all__ = ["Blocker", "ClassSummary", "FunctionSummary", "ModuleSummary", "Summarizer", "summarize",
           "taking_part"]

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
class ClassSummary:
    """One class: its bases by absolute dotted name ("" when unknown), and the names its body binds.

    A method the class does not bind is looked up in its bases, in order.
    """

    bases: tuple[str, ...]
    members: frozenset[str]


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
    #: Every class of the file by qualified name.
    classes: dict[str, ClassSummary] = field(default_factory=dict)


def taking_part(rules: Sequence[type[Rule]], settings: Settings) -> list[type[Rule]]:
    """Return the direct rules whose calls make a helper block: on by default, in a family."""
    prefixes = tuple(prefix for rule in rules for prefix in getattr(rule, "reaches", ()))
    return [
        rule for rule in rules
        if rule.default_enabled and rule.code.startswith(prefixes) and not hasattr(rule, "reaches")
        and rule.active(settings)
    ]


class _SyncScope(Scope):
    """A view of the walk's scope stack where each sync `def` body stands in for a coroutine body."""

    def __init__(self, scope: Scope) -> None:  # shares the stack the walk pushes and pops
        self.frames = scope.frames

    def in_coroutine(self) -> bool:
        return type(self.frames[-1].node) is ast.FunctionDef

    def coroutine(self) -> ast.AsyncFunctionDef | None:
        node = self.frames[-1].node
        # The rules read a coroutine's parameters and body, which a sync def has too.
        return node if type(node) is ast.FunctionDef else None  # type: ignore[return-value]


class Summarizer:
    """Summarize one file's sync functions during a walk of its tree: the check's own, or one of its own.

    `where` is (path, module, package) of the file; `roots` the top-level
    packages of the project, whose imported functions are recorded as calls.
    Joining the check's walk (`engine.check(..., also=[summarizer])`) shares its
    scopes and resolved names, so a file costs one walk; `result()` afterwards.
    """

    def __init__(
        self,
        source: str | None,
        rules: Sequence[type[Rule]],
        settings: Settings,
        where: tuple[str, str, str] = ("", "", ""),
        roots: frozenset[str] = frozenset(),
    ) -> None:
        self.source, self.rules, self.settings = source, rules, settings
        self.where, self.roots = where, roots
        self.scope: Scope | None = None
        self.names: Names | None = None
        self.found: dict[ast.AST, list[tuple[Violation, str]]] = {}
        self.calls: dict[ast.AST, list[tuple[str, int]]] = {}
        self.awaited: set[str] = set()
        self.generators: set[ast.AST] = set()
        self.qualified: dict[ast.AST, str] = {}
        self.imports: dict[str, str] = {}
        self.classes: dict[str, ClassSummary] = {}

    def handlers(self, scope: Scope, names: Names) -> tuple[Handlers, Handlers]:
        """Return the visit and leave tables to merge into the walk that `scope` follows."""
        self.scope, self.names = scope, names
        sync = _SyncScope(scope)
        instances = [rule(sync, names, self.settings) for rule in taking_part(self.rules, self.settings)]
        for instance in instances:
            instance.violations = _Filed(scope, self.found)
        visit, leave = engine.handlers(instances, sync, names)
        own: dict[type, Callable[[Any], None]] = {
            ast.Call: self._call, ast.Yield: self._yield, ast.YieldFrom: self._yield,
            ast.FunctionDef: self._define, ast.AsyncFunctionDef: self._define,
            ast.ClassDef: self._define, ast.Import: self._import, ast.ImportFrom: self._import,
        }
        for node_class, handler in own.items():
            visit[node_class] = (*visit.get(node_class, ()), handler)
        return visit, leave

    def _call(self, node: ast.Call) -> None:
        assert self.scope is not None and self.names is not None
        function = self.scope.function()
        kind = type(function)
        if kind is ast.Lambda or function is None:
            return
        module, package = self.where[1:]
        target = call_target(self.names, node, package, self.roots)
        if isinstance(target, Member):
            target = member_name(self.names, target, module, package, self._name)
        elif isinstance(target, ast.FunctionDef):
            name = self._name(target)
            target = (f"{module}.{name}" if module else name) if name else None
        if not isinstance(target, str):
            return
        if kind is ast.FunctionDef:
            self.calls.setdefault(function, []).append((target, node.lineno))
        else:
            self.awaited.add(target)

    def _name(self, node: ast.AST) -> str | None:
        """The qualified name of a def or class of the file; one the walk has not reached names the whole file."""
        return self.qualified.get(node) or self._all_names().get(node)

    def _all_names(self) -> dict[ast.AST, str]:
        assert self.scope is not None
        names = qualnames(self.scope.frames[0].node)
        self.qualified.update(names)
        return names

    def _yield(self, node: ast.AST) -> None:
        assert self.scope is not None
        function = self.scope.function()
        if function is not None:
            self.generators.add(function)

    def _define(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        """Name `node` as Python's __qualname__ does: the walk is still in the enclosing scope."""
        assert self.scope is not None and self.names is not None
        if node not in self.qualified:
            outer = self.scope.frames[-1].node
            prefix = self.qualified.get(outer)
            if prefix is None:  # the module
                self.qualified[node] = node.name
            else:
                inner = "." if isinstance(outer, ast.ClassDef) else ".<locals>."
                self.qualified[node] = f"{prefix}{inner}{node.name}"
        if isinstance(node, ast.ClassDef):
            module, package = self.where[1:]
            bases = class_bases(self.names, node, module, package, self._name) if node.bases else ()
            self.classes[self.qualified[node]] = ClassSummary(bases, self.names.members(node))

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        """Record the names module-level imports bind, as absolute dotted names."""
        assert self.scope is not None
        if not self.scope.at_module_level():
            return
        if isinstance(node, ast.Import):
            self.imports.update((alias.asname, alias.name) for alias in node.names if alias.asname)
            return
        prefix = "." * node.level + (node.module or "")
        dot = "." if node.module else ""
        for alias in node.names:
            absolute = absolute_name(f"{prefix}{dot}{alias.name}", self.where[2])
            if alias.name != "*" and absolute:
                self.imports[alias.asname or alias.name] = absolute

    def result(self) -> ModuleSummary:
        """Return the summary of the file, once the walk is over."""
        assert self.names is not None
        if self.source is not None and "noqa" in self.source.lower():
            _drop_silenced(self.found, self.calls, self.source, _helper_codes(self.rules))
        functions = {
            name: _summary(node, name, self.names, self.found.get(node, []), self.calls.get(node, []),
                           node in self.generators)
            for node, name in self.qualified.items() if type(node) is ast.FunctionDef
        }
        path, module, _ = self.where
        return ModuleSummary(path, module, functions, self.imports, frozenset(self.awaited), self.classes)


def summarize(
    tree: ast.AST,
    source: str | None,
    rules: Sequence[type[Rule]],
    settings: Settings,
    where: tuple[str, str, str] = ("", "", ""),
    roots: frozenset[str] = frozenset(),
) -> ModuleSummary:
    """Summarize every sync function of `tree` in a walk of its own (see `Summarizer`)."""
    summarizer = Summarizer(source, rules, settings, where, roots)
    scope = Scope(tree)
    names = Names(scope, engine.constructors(tuple(rules)), walrus=walrus_lines(source), roots=roots)
    engine.walk(tree, scope, *summarizer.handlers(scope, names))
    return summarizer.result()


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
