"""Which ABL rule finds a call statically: asked of the linter's own rule classes.

The codes are never copied here: each rule's `blocking_calls` (any container:
a frozenset, the linter's CallSet) answers whether it flags a name, and the
few rules that match calls another way are named by slug in `LIBRARY_SLUGS`.
A new rule or a renamed code shows up in the report without a change here.
"""

from __future__ import annotations

import functools
from collections.abc import Container, Iterable
from typing import NamedTuple

from pytest_loopguard.calls.catalogue import LIBRARY_SLUGS

__all__ = ["DECLARE_OPTION", "StaticRule", "static_hint", "static_rule"]

# The linter option that declares a project's own functions blocking (ABL900's).
DECLARE_OPTION = "asyncblock-blocking"


class StaticRule(NamedTuple):
    """The rule of `asyncblock`/flake8 that flags the same call in the source."""

    code: str
    slug: str
    default_enabled: bool

    def hint(self) -> str:
        """Say how to find the other calls like this one before they run."""
        command = "asyncblock check" if self.default_enabled else f"asyncblock check --select {self.code}"
        return f"found statically by {self.code}: `{command}`"


class _Rules(NamedTuple):
    tables: tuple[tuple[StaticRule, Container[str]], ...]  # in the registry's order
    by_name: dict[str, StaticRule]  # LIBRARY_SLUGS' calls
    declare: StaticRule | None  # the direct-call rule of DECLARE_OPTION


@functools.cache
def _rules() -> _Rules:
    try:
        from flake8_asyncblock.registry import RULES
        from flake8_asyncblock.rule import BlockingCallRule
    except ImportError:  # the linter's dependencies are missing: report without hints
        return _Rules((), {}, None)
    tables = []
    by_slug: dict[str, StaticRule] = {}
    declare = None
    for rule in RULES:
        found = StaticRule(rule.code, rule.slug, rule.default_enabled)
        by_slug[rule.slug] = found
        calls = getattr(rule, "blocking_calls", None)
        if isinstance(calls, Container):
            tables.append((found, calls))
        if declare is None and DECLARE_OPTION in rule.options and issubclass(rule, BlockingCallRule):
            declare = found
    by_name = {name: by_slug[slug] for name, slug in LIBRARY_SLUGS.items() if slug in by_slug}
    return _Rules(tuple(tables), by_name, declare)


def static_rule(names: Iterable[str]) -> StaticRule | None:
    """Return the rule flagging the first of `names` that any rule flags."""
    rules = _rules()
    for name in names:
        for found, calls in rules.tables:
            if name in calls:
                return found
        if name in rules.by_name:
            return rules.by_name[name]
    return None


def static_hint(names: tuple[str, ...], entry_names: tuple[str, ...]) -> tuple[str, str] | None:
    """Return (code, hint) for a finding, or None when no rule can find it.

    A call the user's code made itself is found by the rule flagging its
    name. One made inside a library can only be found at the call into the
    library: by the rule flagging that function, or by ABL900 once the
    project declares the function blocking.
    """
    if not entry_names:
        rule = static_rule(names)
        return None if rule is None else (rule.code, rule.hint())
    rule = static_rule(entry_names)
    if rule is not None:
        return rule.code, rule.hint()
    declare = _rules().declare
    if declare is None:
        return None
    entry = entry_names[0]
    return declare.code, (
        f"found statically by {declare.code} once {entry} is declared blocking: "
        f"`asyncblock check --blocking {entry}`"
    )
