"""RULES: an explicit tuple of every rule class, in code order."""

from __future__ import annotations

from flake8_asyncblock.rule import Rule
from flake8_asyncblock.rules.abl100_blocking_sleep import BlockingSleep
from flake8_asyncblock.rules.abl900_user_blocking_call import UserBlockingCall

__all__ = ["RULES", "by_code"]

#: Add a new rule's class here; tests/asyncblock/test_registry.py checks that
#: every module in rules/ contributes exactly one entry.
RULES: tuple[type[Rule], ...] = (
    BlockingSleep,
    UserBlockingCall,
)


def by_code(code: str) -> type[Rule]:
    """Return the rule class for `code` ("ABL100"); raise KeyError if unknown."""
    for rule in RULES:
        if rule.code == code:
            return rule
    raise KeyError(code)
