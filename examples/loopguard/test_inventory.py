"""Run with `pytest --loopguard=100ms examples/loopguard`: three tests fail, two pass."""

from __future__ import annotations

import pytest

from inventory import checksum, lookup, lookup_nonblocking, restock


@pytest.mark.asyncio
async def test_restock_backs_off() -> None:
    assert await restock("widget") == "widget restocked"


@pytest.mark.asyncio
async def test_lookup_reads_stock() -> None:
    assert (await lookup("widget")).endswith(b'{"stock":4}')


@pytest.mark.asyncio
async def test_checksum_covers_rows() -> None:
    assert await checksum(7) > 0


@pytest.mark.asyncio
async def test_lookup_in_a_thread_keeps_the_loop_free() -> None:
    assert (await lookup_nonblocking("widget")).endswith(b'{"stock":4}')


@pytest.mark.asyncio
@pytest.mark.loopguard("1s")
async def test_restock_within_a_relaxed_limit() -> None:
    assert await restock("gadget", attempts=1) == "gadget restocked"
