"""HelperCallRule: a coroutine calls a sync function that blocks, found through the summaries."""

from __future__ import annotations

import ast
import os
from typing import ClassVar

from flake8_asyncblock.chains import blocking_functions
from flake8_asyncblock.context import Chain
from flake8_asyncblock.fixes import ToThread
from flake8_asyncblock.rule import Rule
from flake8_asyncblock.summaries import summarize
from flake8_asyncblock.targets import Member, call_target, member_name, qualnames

__all__ = ["HelperCallRule"]


class HelperCallRule(Rule):
    """Flag calls from a coroutine to a sync function whose chain ends in a `reaches` call.

    Subclasses are data: `reaches` holds the prefixes of the direct codes of
    one family ("ABL12": ABL120, ABL121, ...), or `through_cache` picks the
    chains that pass through functools.cache / lru_cache, whatever they reach.
    """

    #: Direct codes starting with one of these make a helper block under this code.
    reaches: ClassVar[tuple[str, ...]] = ()
    #: True: report only chains through a cached function; False: only the others.
    through_cache: ClassVar[bool] = False
    message = "{helper}() blocks the event loop: it calls {chain} at {where}"
    fix = ToThread(safe=False)

    def visit_Call(self, node: ast.Call) -> None:
        project = self.context.origin.project
        if project is not None and not project:  # the project pass's first look: nothing blocks yet
            return
        if not self.scope.in_coroutine():
            return
        chain = _chain_of(self, node)
        if chain is None or chain.cached != self.through_cache:
            return
        if self.through_cache or chain.code.startswith(self.reaches):
            self.report(node, **self.fields(node, chain))

    def fields(self, node: ast.Call, chain: Chain) -> dict[str, str]:
        """Return the message fields: the helper as called, the rest of the chain, where."""
        path = self.context.origin.path
        if chain.path and chain.path == path:
            where = f"{os.path.basename(chain.path)}:{chain.line}"
        elif chain.path:
            where = f"{chain.path}:{chain.line}"
        else:
            where = f"line {chain.line}"
        helper = ast.unparse(node.func)
        # `Client()` names the __init__ it runs: "it calls Client.__init__() -> open()".
        constructor = chain.steps[0].endswith(".__init__") and not helper.endswith("__init__")
        steps = chain.steps if constructor else chain.steps[1:]
        rest = " -> ".join(f"{step}()" for step in (*steps, chain.call))
        return {"helper": helper, "chain": rest, "where": where}


class _FileHelpers:
    """What one file's coroutine calls reach; shared by the helper rules of the file."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.origin = rule.context.origin
        self.tree = rule.scope.frames[0].node
        self.cache: dict[ast.AST, Chain | None] = {}
        self.qualnames: dict[ast.AST, str] | None = None
        self.local: dict[str, Chain] | None = None

    def chain(self, call: ast.Call) -> Chain | None:
        if call not in self.cache:
            self.cache[call] = self._chain(call)
        return self.cache[call]

    def _chain(self, call: ast.Call) -> Chain | None:
        origin = self.origin
        target = call_target(self.rule.names, call, origin.package, origin.roots)
        if isinstance(target, str):
            return origin.project.get(target) if origin.project is not None else None
        if isinstance(target, Member):
            key = member_name(self.rule.names, target, origin.module, origin.package, self._qualname)
        elif isinstance(target, ast.FunctionDef):
            name = self._qualname(target)
            key = (f"{origin.module}.{name}" if origin.module else name) if name else None
        else:
            return None
        if key is None:
            return None
        return origin.project.get(key) if origin.project is not None else self._local().get(key)

    def _qualname(self, node: ast.AST) -> str | None:
        if self.qualnames is None:
            self.qualnames = qualnames(self.tree)
        return self.qualnames.get(node)

    def _local(self) -> dict[str, Chain]:
        """Summarize this file on the first call that needs it (the flake8 plugin's case)."""
        if self.local is None:
            context, rule = self.rule.context, self.rule
            summary = summarize(self.tree, context.source, context.rules, rule.settings,
                                (self.origin.path or "", "", ""))
            self.local = blocking_functions([summary], aliases=False)
        return self.local


def _chain_of(rule: Rule, call: ast.Call) -> Chain | None:
    helpers = rule.context.shared.get("helpers")
    if helpers is None:
        helpers = rule.context.shared["helpers"] = _FileHelpers(rule)
    return helpers.chain(call)

