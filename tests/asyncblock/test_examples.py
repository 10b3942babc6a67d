"""Every rule's own examples behave as documented, under all registered rules."""

from __future__ import annotations

import ast

import pytest
from asyncblock_harness import compare, lint, parse_expected

from flake8_asyncblock import engine
from flake8_asyncblock.registry import RULES
from flake8_asyncblock.rule import Invalid, Rule, Valid
from flake8_asyncblock.settings import Settings

VALID = [(rule, ex) for rule in RULES for ex in rule.valid]
INVALID = [(rule, ex) for rule in RULES for ex in rule.invalid]
FIXED = [(rule, ex) for rule, ex in INVALID if ex.fixed is not None]


def _id(case: tuple[type[Rule], Valid | Invalid]) -> str:
    rule, example = case
    examples = rule.valid if isinstance(example, Valid) else rule.invalid
    return f"{rule.code}-{examples.index(example)}"


@pytest.mark.parametrize("case", INVALID, ids=_id)
def test_invalid_example_yields_exactly_its_errors(case: tuple[type[Rule], Invalid]) -> None:
    rule, example = case
    found = lint(example.code, example.flake8_args, always=[rule.code])
    missing, unexpected = compare(found, parse_expected(example.errors))
    assert (missing, unexpected) == ([], [])


@pytest.mark.parametrize("case", VALID, ids=_id)
def test_valid_example_yields_nothing(case: tuple[type[Rule], Valid]) -> None:
    rule, example = case
    assert lint(example.code, example.flake8_args, always=[rule.code]) == []


@pytest.mark.parametrize("case", FIXED, ids=_id)
def test_fixed_code_lints_clean(case: tuple[type[Rule], Invalid]) -> None:
    rule, example = case
    assert example.fixed is not None
    assert lint(example.fixed, example.flake8_args, always=[rule.code]) == []


@pytest.mark.parametrize(
    ("imports", "suggested"),
    [("import asyncio", "asyncio.sleep"), ("import trio", "trio.sleep"),
     ("from anyio import sleep as s", "anyio.sleep"), ("", "asyncio.sleep")],
)
def test_sleep_message_suggests_the_imported_async_library(imports: str, suggested: str) -> None:
    source = f"{imports}\nfrom time import sleep as nap\nasync def f():\n    nap(1)\n"
    [violation] = engine.check(ast.parse(source), RULES, Settings(), source)
    expected = f"ABL100 time.sleep() blocks the event loop; use await {suggested}()"
    assert violation.as_flake8()[2] == expected
