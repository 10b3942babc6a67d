"""Which sync functions block, and the shortest chain of calls down to the blocking call.

Works on the plain summaries of `summaries.py`: one file for the flake8
plugin, every checked file for the `asyncblock` command. A breadth-first search
from the blocking calls up the reversed call graph finds each function's
shortest chain; it visits every function once, so recursion terminates.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping

from flake8_asyncblock.context import Chain
from flake8_asyncblock.summaries import ClassSummary, FunctionSummary, ModuleSummary

__all__ = ["blocking_functions", "display_name"]

#: How many re-exports (`from .util import f` in `__init__.py`) a name may pass through.
_MAX_HOPS = 8


def display_name(qualname: str) -> str:
    """Show "outer.<locals>.inner" as "inner" and "Client.fetch" as it is."""
    return qualname.rpartition(".<locals>.")[2]


class _Graph:
    """Every summarized function by absolute dotted name, and how names resolve to them."""

    def __init__(self, modules: Iterable[ModuleSummary]) -> None:
        self.modules: dict[str, ModuleSummary] = {}
        self.functions: dict[str, tuple[FunctionSummary, str]] = {}
        self.classes: dict[str, ClassSummary] = {}
        for summary in modules:
            if summary.module in self.modules:
                continue  # two files claim one module name: the first one wins
            self.modules[summary.module] = summary
            prefix = f"{summary.module}." if summary.module else ""
            for name, function in summary.functions.items():
                self.functions[prefix + name] = (function, summary.path)
            for name, klass in summary.classes.items():
                self.classes[prefix + name] = klass

    def resolve(self, dotted: str) -> str | None:
        """Return the function key `dotted` names, following module-level re-imports and class bases."""
        for _ in range(_MAX_HOPS):
            if dotted in self.functions:
                return dotted
            if f"{dotted}.__init__" in self.functions:  # a class: calling it runs its __init__
                return f"{dotted}.__init__"
            if dotted in self.classes:
                return self._inherited(dotted, "__init__", set())
            owner, _, attr = dotted.rpartition(".")
            if owner in self.classes:
                return self._inherited(owner, attr, set())
            followed = self._follow(dotted)
            if followed is None:
                return None
            dotted = followed
        return None

    def _follow(self, dotted: str) -> str | None:
        """Take one step through an import: "pkg.Client.fetch" -> "pkg.client.Client.fetch"."""
        parts = dotted.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = self.modules.get(".".join(parts[:cut]))
            if module is not None:
                target = module.imports.get(parts[cut])
                return None if target is None else ".".join([target, *parts[cut + 1:]])
        return None

    def _class(self, dotted: str) -> str | None:
        """Return the class key `dotted` names, through re-imports."""
        for _ in range(_MAX_HOPS):
            if dotted in self.classes:
                return dotted
            followed = self._follow(dotted)
            if followed is None:
                return None
            dotted = followed
        return None

    def _inherited(self, owner: str, attr: str, seen: set[str]) -> str | None:
        """Return the function `attr` of the class `owner` names: its own, else the first its bases give.

        A name the class binds otherwise (an `async def`, an assignment) ends
        the search, as an override does at run time. Bases outside the checked
        files are passed over: only a project `def` is evidence.
        """
        key = f"{owner}.{attr}"
        if key in self.functions:
            return key
        klass = self.classes[owner]
        if attr in klass.members or owner in seen:
            return None
        seen.add(owner)
        for base in klass.bases:
            parent = self._class(base) if base else None
            if parent is not None:
                found = self._inherited(parent, attr, seen)
                if found is not None:
                    return found
        return None


def blocking_functions(modules: Iterable[ModuleSummary], aliases: bool = True) -> dict[str, Chain]:
    """Return the chain of every blocking function by dotted name.

    With `aliases`, names that modules re-import a blocking function under
    (`pkg.load_config` for `from .util import load_config` in `pkg/__init__.py`)
    are keys too.
    """
    graph = _Graph(modules)
    callers: dict[str, list[str]] = {}
    for key, (function, _) in graph.functions.items():
        for call in function.calls:
            callee = graph.resolve(call)
            if callee is not None and callee != key:
                callers.setdefault(callee, []).append(key)
    strict = _search(graph, callers, with_cached=False)
    loose = _search(graph, callers, with_cached=True)
    chains = {key: _chain(graph, key, strict if key in strict else loose, key not in strict)
              for key in loose}
    for key in [key for key in chains if key.endswith(".__init__")]:
        chains.setdefault(key[: -len(".__init__")], chains[key])  # `Client()` from another module
    for module in graph.modules.values():  # names that reach a blocking function through class bases
        for call in module.coroutine_calls:
            if call not in chains and (found := graph.resolve(call)) in chains:
                chains[call] = chains[found]
    if aliases:
        for module in graph.modules.values():
            for name, target in module.imports.items():
                found = graph.resolve(target)
                if found is not None and found in chains:
                    chains.setdefault(f"{module.module}.{name}", chains[found])
    return chains


def _search(
    graph: _Graph, callers: Mapping[str, list[str]], with_cached: bool
) -> dict[str, str | None]:
    """Map each blocking function to the next function of its shortest chain (None: itself)."""

    def counts(key: str) -> bool:
        function = graph.functions[key][0]
        return not function.opaque and (with_cached or not function.cached)

    following: dict[str, str | None] = {
        key: None for key, (function, _) in graph.functions.items()
        if function.blocker is not None and counts(key)
    }
    queue = deque(following)
    while queue:
        callee = queue.popleft()
        for caller in callers.get(callee, ()):
            if caller not in following and counts(caller):
                following[caller] = callee
                queue.append(caller)
    return following


def _chain(graph: _Graph, key: str, following: Mapping[str, str | None], cached: bool) -> Chain:
    steps = [key]
    while (after := following[steps[-1]]) is not None:
        steps.append(after)
    function, path = graph.functions[steps[-1]]
    blocker = function.blocker
    assert blocker is not None
    names = tuple(display_name(graph.functions[step][0].name) for step in steps)
    return Chain(names, blocker.code, blocker.call, path, blocker.line, cached)
