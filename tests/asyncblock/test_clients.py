"""The sync client catalogue and the call table that serves every data-only rule."""

from __future__ import annotations

import ast
import textwrap

import pytest

from flake8_asyncblock import engine
from flake8_asyncblock.call_table import CallSet, tabled
from flake8_asyncblock.clients import ClientCallRule, SyncClient, methods_of
from flake8_asyncblock.names import Names
from flake8_asyncblock.registry import RULES
from flake8_asyncblock.rule import BlockingCallRule
from flake8_asyncblock.scope import Scope
from flake8_asyncblock.settings import Settings


class VendorQueue(ClientCallRule):
    """A client added the way docs/writing-rules.md shows: data only."""

    code = "ABL399"
    slug = "vendor-queue"
    message = "{call}() waits for the broker; use {instead}"
    clients = (
        SyncClient(
            library="vendor",
            instead="vendor.aio.Queue and await {method}()",
            makes={"vendor.Queue": "vendor.Queue"},
            calls=frozenset({"vendor.connect"}),
            methods=methods_of("vendor.Queue", spare=("name",)),
        ),
    )


def _messages(source: str, rules: list) -> list[tuple[int, str]]:
    source = textwrap.dedent(source)
    found = engine.check(ast.parse(source), rules, Settings(), source)
    return [(v.line, v.text) for v in found]


def test_a_client_given_as_data_types_its_values_and_names_its_counterpart() -> None:
    assert _messages(
        """
        import vendor

        async def handle(job):
            vendor.connect()
            queue = vendor.Queue("jobs")
            queue.put(job)
            queue.name()
            queue._internal()
        """,
        [VendorQueue],
    ) == [
        (5, "vendor.connect() waits for the broker; use vendor.aio.Queue and await connect()"),
        (7, "vendor.Queue.put() waits for the broker; use vendor.aio.Queue and await put()"),
    ]


def test_call_set_holds_exact_names_and_public_unspared_methods() -> None:
    calls = CallSet({"litellm.completion"}, {"openai.OpenAI.embeddings": {"with_raw_response"}})
    assert "litellm.completion" in calls
    assert "openai.OpenAI.embeddings.create" in calls
    assert "openai.OpenAI.embeddings.with_raw_response" not in calls
    assert "openai.OpenAI.embeddings._post" not in calls
    assert "openai.OpenAI.embeddings" not in calls
    assert "litellm.acompletion" not in calls


def test_every_data_only_rule_is_served_by_the_call_table() -> None:
    scope = Scope(ast.parse(""))
    names = Names(scope)
    data_only = [
        rule for rule in RULES
        if issubclass(rule, BlockingCallRule) and rule.visit_Call is BlockingCallRule.visit_Call
    ]
    assert len(data_only) > 20
    settings = Settings(blocking=frozenset({"vendor.db.query"}))
    assert all(tabled(rule(scope, names, settings)) for rule in data_only)


def test_data_only_rules_never_get_a_visit_per_call(monkeypatch: pytest.MonkeyPatch) -> None:
    visits = []
    original = BlockingCallRule.visit_Call

    def counting(self: BlockingCallRule, node: ast.Call) -> None:
        visits.append(type(self).code)
        original(self, node)

    monkeypatch.setattr(BlockingCallRule, "visit_Call", counting)
    found = _messages(
        """
        import time
        import boto3

        s3 = boto3.client("s3")

        async def handler(key):
            time.sleep(1)
            s3.get_object(Bucket="b", Key=key)
            print(key)
        """,
        list(RULES),
    )
    assert [line for line, _ in found] == [8, 9]
    assert visits == []


@pytest.mark.parametrize(
    ("condition", "outcome"),
    [
        ("not state.ready", "blocks the event loop for good"),
        ("time.monotonic() < deadline", "until its condition's call answers otherwise"),
        ("not lock.acquire(False)", "until its condition's call answers otherwise"),
    ],
)
def test_spin_loop_says_for_good_only_when_no_call_can_change_its_condition(
    condition: str, outcome: str
) -> None:
    (only,) = _messages(
        f"""
        import time

        async def wait(state, deadline, lock):
            while {condition}:
                pass
        """,
        [rule for rule in RULES if rule.code == "ABL140"],
    )
    assert outcome in only[1]
