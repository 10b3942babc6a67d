"""Every call kind is found on asyncio, uvloop and trio, wherever the loop runs it.

One real session per loop kind, in a subprocess: each kind of `calls_kinds`
is made in a test body, an async fixture, a callback, a protocol method (a
trio task stands in on trio, which has no protocols) and a loop running in
another thread. Every one of those tests must fail with a finding for that
call, charged to the right phase and to the line in `blocking.py`.
"""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from calls_kinds import HELPERS, KINDS
from loopguard_sessions import QUIET, run

ASYNCIO_TESTS = """
import asyncio, threading
import pytest, pytest_asyncio
import blocking

KINDS = {kinds!r}
{policy}

def make(kind):
    getattr(blocking, kind)()

@pytest_asyncio.fixture
async def blocked(request):
    make(request.param)
    yield

@pytest.mark.asyncio
@pytest.mark.parametrize("kind", KINDS)
async def test_body(kind):
    make(kind)

@pytest.mark.asyncio
@pytest.mark.parametrize("blocked", KINDS, indirect=True)
async def test_fixture(blocked):
    pass

@pytest.mark.asyncio
@pytest.mark.parametrize("kind", KINDS)
async def test_callback(kind):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    def callback():
        make(kind)
        done.set_result(None)
    loop.call_soon(callback)
    await done

@pytest.mark.asyncio
@pytest.mark.parametrize("kind", KINDS)
async def test_protocol(kind):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    class Server(asyncio.Protocol):
        def data_received(self, data):
            make(kind)
            done.set_result(None)
    server = await loop.create_server(Server, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"go")
    await done
    writer.close()
    await writer.wait_closed()
    server.close()

@pytest.mark.parametrize("kind", KINDS)
def test_thread(kind):
    async def main():
        make(kind)
    thread = threading.Thread(target={runner}, args=(main(),))
    thread.start()
    thread.join()
"""

UVLOOP_POLICY = """
import uvloop

@pytest.fixture(scope="session")
def event_loop_policy():
    return uvloop.EventLoopPolicy()
"""

TRIO_TESTS = """
import threading
import pytest, trio
import blocking

KINDS = {kinds!r}

def make(kind):
    getattr(blocking, kind)()

@pytest.fixture
def anyio_backend():
    return "trio"

@pytest.fixture
async def blocked(request):
    make(request.param)
    yield

@pytest.mark.anyio
@pytest.mark.parametrize("kind", KINDS)
async def test_body(kind):
    make(kind)

@pytest.mark.anyio
@pytest.mark.parametrize("blocked", KINDS, indirect=True)
async def test_fixture(blocked):
    pass

@pytest.mark.anyio
@pytest.mark.parametrize("kind", KINDS)
async def test_callback(kind):
    done = trio.Event()
    def callback():
        make(kind)
        done.set()
    trio.lowlevel.current_trio_token().run_sync_soon(callback)
    await done.wait()

@pytest.mark.anyio
@pytest.mark.parametrize("kind", KINDS)
async def test_protocol(kind):
    async def task():
        make(kind)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(task)

@pytest.mark.parametrize("kind", KINDS)
def test_thread(kind):
    async def main():
        make(kind)
    thread = threading.Thread(target=trio.run, args=(main,))
    thread.start()
    thread.join()
"""

CONTEXTS = ("body", "fixture", "callback", "protocol", "thread")


def _session(pytester: pytest.Pytester, tests: str) -> dict[str, list[dict]]:
    pytester.makeini("[pytest]\n" + QUIET)
    pytester.makepyfile(blocking=HELPERS, test_kinds=tests)
    result = run(pytester, "--loopguard-calls=fail", "--loopguard-report=calls.json")
    # A finding in an async fixture is an error in the setup of the test using it.
    result.assert_outcomes(failed=len(KINDS) * (len(CONTEXTS) - 1), errors=len(KINDS))
    document = json.loads((pytester.path / "calls.json").read_text())
    by_test: dict[str, list[dict]] = defaultdict(list)
    for record in document["calls"]:
        by_test[record["test_id"]].append(record)
    return by_test


def _check(by_test: dict[str, list[dict]], loop_kind: str) -> None:
    missing = []
    for context in CONTEXTS:
        for kind, expected in KINDS.items():
            records = by_test.get(f"test_kinds.py::test_{context}[{kind}]", [])
            names = {name for r in records for name in (r["call"], r["hooked"])}
            phase = "setup" if context == "fixture" else "call"
            ok = (
                expected in names
                and all(r["file"] == "blocking.py" and r["phase"] == phase for r in records)
                and all(r["loop_kind"] == loop_kind for r in records)
            )
            if not ok:
                missing.append((context, kind, expected, records))
    assert not missing, missing[:3]


def test_every_call_kind_is_found_on_asyncio(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_asyncio")
    tests = ASYNCIO_TESTS.format(kinds=list(KINDS), policy="", runner="asyncio.run")
    _check(_session(pytester, tests), "asyncio")


def test_every_call_kind_is_found_on_uvloop(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_asyncio")
    pytest.importorskip("uvloop")
    tests = ASYNCIO_TESTS.format(kinds=list(KINDS), policy=UVLOOP_POLICY, runner="uvloop.run")
    _check(_session(pytester, tests), "uvloop")


def test_every_call_kind_is_found_on_trio(pytester: pytest.Pytester) -> None:
    pytest.importorskip("anyio")
    pytest.importorskip("trio")
    _check(_session(pytester, TRIO_TESTS.format(kinds=list(KINDS))), "trio")
