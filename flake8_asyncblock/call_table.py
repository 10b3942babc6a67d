"""One lookup per call for every BlockingCallRule of a file: the call table.

Each call in a coroutine is resolved once (`Names` caches it) and looked up
once here, in a table merged from every active BlockingCallRule: adding rules
or names adds entries, not work per node.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, TypeGuard

from flake8_asyncblock.rule import BlockingCallRule, Rule

if TYPE_CHECKING:
    from flake8_asyncblock.names import Names
    from flake8_asyncblock.scope import Scope

__all__ = ["CallSet", "CallTable"]


class CallSet:
    """What a rule flags: exact qualified names, and every public method of some types.

    `CallSet({"litellm.completion"}, {"openai.OpenAI.embeddings": {"with_raw_response"}})`
    holds `litellm.completion` and `openai.OpenAI.embeddings.<m>` for any
    public `<m>` but the ones listed, which do not wait on the service.
    """

    __slots__ = ("names", "methods")

    def __init__(
        self,
        names: Iterable[str] = (),
        methods: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        self.names = frozenset(names)
        self.methods = {owner: frozenset(spared) for owner, spared in (methods or {}).items()}

    def __contains__(self, name: object) -> bool:
        if name in self.names:
            return True
        if not isinstance(name, str):
            return False
        owner, _, method = name.rpartition(".")
        spared = self.methods.get(owner)
        return spared is not None and _public(method) and method not in spared

    def __repr__(self) -> str:
        return f"CallSet({sorted(self.names)!r}, {sorted(self.methods)!r})"


def _public(method: str) -> bool:
    return not method.startswith("_")


_Exact = dict[str, tuple[int, ...]]
_Methods = dict[str, tuple[tuple[int, frozenset[str]], ...]]


@lru_cache(maxsize=64)
def _merge(calls: tuple[object, ...]) -> tuple[_Exact, _Methods]:
    """Merge the rules' call sets (by position) into name -> rules, type -> (rule, spared)."""
    exact: _Exact = {}
    methods: _Methods = {}
    for index, found in enumerate(calls):
        names = found.names if isinstance(found, CallSet) else found
        for name in names:  # type: ignore[attr-defined]  # frozenset or CallSet, see tabled()
            exact[name] = (*exact.get(name, ()), index)
        if isinstance(found, CallSet):
            for owner, spared in found.methods.items():
                methods[owner] = (*methods.get(owner, ()), (index, spared))
    return exact, methods


def tabled(rule: Rule) -> TypeGuard[BlockingCallRule]:
    """Tell whether `rule` flags calls through the table instead of its own visit_Call."""
    return (
        isinstance(rule, BlockingCallRule)
        and type(rule).visit_Call is BlockingCallRule.visit_Call
        and isinstance(rule.blocking_calls, (frozenset, CallSet))
    )


class CallTable:
    """The visit_Call of every tabled BlockingCallRule of one file, as one handler."""

    def __init__(self, rules: Sequence[BlockingCallRule], scope: Scope, names: Names) -> None:
        self.rules = tuple(rules)
        self.scope = scope
        self.names = names
        self.exact, self.methods = _merge(tuple(rule.blocking_calls for rule in self.rules))

    def visit_Call(self, node: ast.Call) -> None:
        if not self.scope.in_coroutine():
            return
        name = self.names.qualified_name(node.func)
        if name is None:
            return
        hits = self.exact.get(name, ())
        if self.methods:
            owner, _, method = name.rpartition(".")
            for index, spared in self.methods.get(owner, ()):
                if _public(method) and method not in spared and index not in hits:
                    hits = (*hits, index)
        for index in hits:
            self.rules[index].flag(node, name)
