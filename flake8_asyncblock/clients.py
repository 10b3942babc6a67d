"""The sync client catalogue: each client's values, blocking calls and async counterpart.

A family rule (ABL300 AWS, ABL310 LLM SDKs, ...) lists `SyncClient` entries;
`ClientCallRule` turns them into the `constructors` that type values and the
`CallSet` the engine's call table looks up, so adding a client is data.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from flake8_asyncblock.call_table import CallSet
from flake8_asyncblock.rule import BlockingCallRule

__all__ = ["ClientCallRule", "SyncClient", "methods_of"]


@dataclass(frozen=True)
class SyncClient:
    """One synchronous client library and what to use in a coroutine instead.

    `makes` maps a call (or an annotation's name) to the type of the value it
    returns. `calls` are qualified names that wait on the service. `methods`
    maps a type to the public methods that do not wait: every other public
    method of that type does. `instead` may use {method}, the called method's name,
    and {to_thread_call}, the call run in a worker thread.
    """

    library: str
    instead: str
    makes: Mapping[str, str] = field(default_factory=dict)
    calls: frozenset[str] = frozenset()
    methods: Mapping[str, frozenset[str]] = field(default_factory=dict)


def methods_of(*types: str, spare: Iterable[str] = ()) -> dict[str, frozenset[str]]:
    """Say "every public method of these types waits, except `spare`"."""
    spared = frozenset(spare)
    return {name: spared for name in types}


class ClientCallRule(BlockingCallRule):
    """A BlockingCallRule whose names come from a tuple of `SyncClient` entries.

    The message may use {instead}: the matched client's async counterpart.
    """

    clients: ClassVar[tuple[SyncClient, ...]] = ()
    #: Qualified name or type -> the client it belongs to (filled per subclass).
    owners: ClassVar[Mapping[str, SyncClient]] = {}

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.clients:
            return
        owners: dict[str, SyncClient] = {}
        for client in cls.clients:
            owners.update(dict.fromkeys(client.calls, client))
            owners.update(dict.fromkeys(client.methods, client))
        cls.owners = owners
        cls.constructors = {k: v for c in cls.clients for k, v in c.makes.items()}
        cls.blocking_calls = CallSet(
            (name for client in cls.clients for name in client.calls),
            {owner: spared for client in cls.clients for owner, spared in client.methods.items()},
        )

    def fields(self, node: ast.Call, name: str) -> dict[str, str] | None:
        found = super().fields(node, name)
        if found is None:
            return None
        owner, _, method = name.rpartition(".")
        client = self.owners.get(name) or self.owners[owner]
        instead = client.instead.format(method=method, to_thread_call=found["to_thread_call"])
        return {**found, "instead": instead}
