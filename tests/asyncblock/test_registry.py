"""registry.RULES lists every rule module once, with well-formed, unique identities."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pytest

import flake8_asyncblock.rules as rules_package
from flake8_asyncblock.fixes import Fix
from flake8_asyncblock.registry import RULES, by_code
from flake8_asyncblock.rule import Invalid, Rule, Valid

RULE_MODULES = sorted(info.name for info in pkgutil.iter_modules(rules_package.__path__))


def _rules_defined_in(module_name: str) -> list[type[Rule]]:
    module = importlib.import_module(f"{rules_package.__name__}.{module_name}")
    return [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj) and issubclass(obj, Rule) and obj.__module__ == module.__name__
    ]


@pytest.mark.parametrize("module_name", RULE_MODULES)
def test_each_rule_module_adds_exactly_one_registered_rule(module_name: str) -> None:
    defined = _rules_defined_in(module_name)
    assert len(defined) == 1, f"{module_name} defines {len(defined)} rule classes"
    rule = defined[0]
    assert rule in RULES, f"{rule.__name__} is not listed in registry.RULES"
    assert module_name == f"{rule.code.lower()}_{rule.slug.replace('-', '_')}"


def test_every_registered_rule_lives_in_the_rules_package() -> None:
    assert len(RULES) == len(RULE_MODULES)
    assert all(rule.__module__.startswith(rules_package.__name__ + ".") for rule in RULES)


def test_codes_and_slugs_are_unique_and_well_formed() -> None:
    codes = [rule.code for rule in RULES]
    slugs = [rule.slug for rule in RULES]
    assert len(set(codes)) == len(codes)
    assert len(set(slugs)) == len(slugs)
    assert all(re.fullmatch(r"ABL\d{3}", code) for code in codes)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug) for slug in slugs)
    assert codes == sorted(codes), "keep registry.RULES in code order"


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_rule_metadata_is_complete(rule: type[Rule]) -> None:
    assert rule.message and rule.summary and rule.why
    assert rule.fix is None or isinstance(rule.fix, Fix)
    assert rule.invalid and all(isinstance(example, Invalid) for example in rule.invalid)
    assert all(isinstance(example, Valid) for example in rule.valid)
    assert all(example.errors for example in rule.invalid)
    assert rule.__name__ == "".join(part.title() for part in rule.slug.split("-"))


def test_by_code_finds_rules_and_rejects_unknown_codes() -> None:
    assert by_code("ABL100").slug == "blocking-sleep"
    with pytest.raises(KeyError):
        by_code("ABL999")
