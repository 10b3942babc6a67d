"""Which ABL rule finds a call statically: looked up in the linter's own rule classes.

The codes are never copied here: a rule's `blocking_calls` table (or, for the
few rules that match calls another way, its slug in `LIBRARY_SLUGS`) says
which calls it flags, so a new rule or a renamed code shows up in the report
without a change to this module.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import NamedTuple

from pytest_loopguard.calls.catalogue import LIBRARY_SLUGS

__all__ = ["StaticRule", "static_hint", "static_rule"]

# The linter option that declares a project's own functions blocking (ABL900's).
DECLARE_OPTION = "asyncblock-blocking"


class StaticRule(NamedTuple):
    """The rule of `asyncblock`/flake8 that flags the same call in the source."""

    code: str
    slug: str
    default_enabled: bool
    options: tuple[str, ...] = ()

    def hint(self) -> str:
        """Say how to find the other calls like this one before they run."""
        command = "asyncblock check" if self.default_enabled else f"asyncblock check --select {self.code}"
        return f"found statically by {self.code}: `{command}`"


@functools.cache
def _index() -> dict[str, StaticRule]:
    try:
        from flake8_asyncblock.registry import RULES
        from flake8_asyncblock.rule import BlockingCallRule
    except ImportError:  # the linter's dependencies are missing: report without hints
        return {}
    index: dict[str, StaticRule] = {}
    by_slug: dict[str, StaticRule] = {}
    for rule in RULES:
        found = StaticRule(rule.code, rule.slug, rule.default_enabled, tuple(rule.options))
        by_slug[rule.slug] = found
        # The rule that flags a direct call of a function the project declares blocking.
        if DECLARE_OPTION in found.options and issubclass(rule, BlockingCallRule):
            index.setdefault(DECLARE_OPTION, found)
        calls = getattr(rule, "blocking_calls", ())
        if isinstance(calls, Iterable):
            for name in calls:
                index.setdefault(name, found)
    for name, slug in LIBRARY_SLUGS.items():
        if slug in by_slug:
            index.setdefault(name, by_slug[slug])
    return index


def static_rule(names: Iterable[str]) -> StaticRule | None:
    """Return the rule flagging the first of `names` that any rule flags."""
    index = _index()
    for name in names:
        found = index.get(name)
        if found is not None:
            return found
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
    declare = _index().get(DECLARE_OPTION)
    if declare is None:
        return None
    entry = entry_names[0]
    return declare.code, (
        f"found statically by {declare.code} once {entry} is declared blocking: "
        f"`asyncblock check --blocking {entry}`"
    )
