"""`asyncblock rules` and `asyncblock rule CODE`: the rule documentation, from the rule classes."""

from __future__ import annotations

from flake8_asyncblock.fixes import fix_safety
from flake8_asyncblock.options import UsageError
from flake8_asyncblock.registry import RULES
from flake8_asyncblock.rule import Rule

__all__ = ["describe_rule", "list_rules"]


def list_rules() -> str:
    """One line per rule: code, slug, on/off by default, fix, summary."""
    width = max(len(rule.slug) for rule in RULES)
    lines = [f"{'code':<7} {'slug':<{width}} {'default':<7} {'fix':<6} summary"]
    for rule in RULES:
        on = "on" if rule.default_enabled else "off"
        fix = fix_safety(rule.fix) or "none"
        lines.append(f"{rule.code:<7} {rule.slug:<{width}} {on:<7} {fix:<6} {rule.summary}")
    return "\n".join(lines) + "\n"


def describe_rule(code: str) -> str:
    """A rule's page: what it flags, why, its default, its fix and its first examples."""
    rule = _find(code)
    on = "on" if rule.default_enabled else f"off (enable with --extend-select {rule.code})"
    fix = fix_safety(rule.fix)
    parts = [
        f"{rule.code} {rule.slug}",
        "",
        f"Flags: {rule.summary}",
        "",
        f"Why: {rule.why}",
        "",
        f"Default: {on}. Fix: {fix or 'none'}"
        + (" (--fix)" if fix == "safe" else " (--fix --unsafe-fixes)" if fix else "") + ".",
    ]
    if rule.invalid:
        parts += ["", "Flagged:", "", _indent(rule.invalid[0].code)]
    if rule.valid:
        parts += ["", "Not flagged:", "", _indent(rule.valid[0].code)]
    return "\n".join(parts).rstrip() + "\n"


def _find(code: str) -> type[Rule]:
    wanted = code.strip().upper()
    for rule in RULES:
        if wanted in (rule.code, rule.slug.upper()):
            return rule
    raise UsageError(f"unknown rule {code!r} (asyncblock rules lists them)")


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in text.strip("\n").splitlines())
