"""What calls mode never counts, and real frameworks on clean code: sessions that must pass."""

from __future__ import annotations

import json
import sys

import pytest
from loopguard_sessions import QUIET, run

EXEMPT = """
import asyncio, importlib, linecache, logging, os, sys, threading, time, traceback
import pytest

@pytest.fixture
def fresh_module(tmp_path, monkeypatch):
    (tmp_path / "fresh_module.py").write_text("VALUE = 1\\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path / "fresh_module.py"

@pytest.mark.asyncio
async def test_transport_reads_and_writes_on_non_blocking_sockets():
    async def echo(reader, writer):
        writer.write(await reader.read(100))
        await writer.drain()
        writer.close()
    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"ping")
    assert await reader.read(100) == b"ping"
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()

@pytest.mark.asyncio
async def test_self_pipe_wakes_the_loop_from_another_thread():
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    threading.Thread(target=loop.call_soon_threadsafe, args=(done.set_result, 1)).start()
    assert await done == 1

@pytest.mark.asyncio
async def test_subprocess_transport_spawns_and_talks_to_a_child():
    process = await asyncio.create_subprocess_exec(
        "cat", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate(b"x")
    assert out == b"x" and await process.wait() == 0

@pytest.mark.asyncio
async def test_import_system_reads_module_files(fresh_module):
    assert importlib.import_module("fresh_module").VALUE == 1

@pytest.mark.asyncio
async def test_traceback_and_linecache_read_source(fresh_module):
    try:
        raise ValueError("x")
    except ValueError:
        assert "ValueError" in traceback.format_exc()
    assert linecache.getline(str(fresh_module), 1) == "VALUE = 1\\n"

@pytest.mark.asyncio
async def test_print_and_pytest_logging_capture():
    print("captured")
    logging.getLogger("exempt").warning("captured too")

@pytest.fixture
def file_logger(tmp_path):
    logger = logging.getLogger("to-file")
    handler = logging.FileHandler(tmp_path / "app.log", delay=True)
    logger.addHandler(handler)
    yield logger
    logger.removeHandler(handler)
    handler.close()

@pytest.mark.asyncio
async def test_logging_handler_writing_a_file(file_logger):
    file_logger.warning("opens and writes the log file")

@pytest.mark.asyncio
async def test_other_threads_and_executors(tmp_path):
    loop = asyncio.get_running_loop()
    await asyncio.to_thread(os.stat, tmp_path)
    await loop.run_in_executor(None, time.sleep, 0.001)
    import anyio.to_thread
    await anyio.to_thread.run_sync(os.listdir, tmp_path)

@pytest.mark.asyncio
async def test_starting_a_thread_waits_for_it_only_briefly():
    thread = threading.Thread(target=time.sleep, args=(0.001,))
    thread.start()
    await asyncio.to_thread(thread.join)

def test_sync_test_may_block(tmp_path):
    time.sleep(0.001)
    (tmp_path / "f").write_text("x")
    os.stat(tmp_path / "f")

def test_between_two_runs_of_a_loop(tmp_path):
    loop = asyncio.new_event_loop()
    loop.run_until_complete(asyncio.sleep(0))
    os.stat(tmp_path)
    time.sleep(0.001)
    loop.run_until_complete(asyncio.sleep(0))
    loop.close()

@pytest.mark.asyncio
async def test_zero_sleep_and_non_waiting_primitives():
    time.sleep(0)
    event = threading.Event()
    event.set()
    event.wait()
    threading.Semaphore(1).acquire()
    import queue
    q = queue.Queue()
    q.put(1)
    assert q.get() == 1
"""

# The C methods seen through sys.monitoring (3.12+) when they do not block, or not on the loop.
MONITORED_EXEMPT = """
import asyncio, io, os, queue, sqlite3, sys, threading, time
import pytest

@pytest.mark.asyncio
async def test_memory_pipe_and_terminal_file_objects():
    buffer = io.BytesIO()
    buffer.write(b"x")
    buffer.flush()
    text = io.StringIO()
    text.write("x")
    text.read()
    read_end, write_end = os.pipe()
    with open(write_end, "wb") as writer:
        writer.write(b"x")
        writer.flush()
    with open(read_end, "rb") as reader:
        assert reader.read() == b"x"
    sys.stdout.write("terminal output\\n")
    sys.stdout.flush()

@pytest.mark.asyncio
async def test_uncontended_and_non_waiting_locks_and_queues():
    lock = threading.Lock()
    lock.acquire()
    lock.release()
    lock.acquire()
    tried = lock.acquire(False)
    tried = lock.acquire(blocking=False) or tried
    tried = lock.acquire(True, 0) or tried
    tried = lock.acquire(timeout=0) or tried
    assert not tried
    lock.release()
    rlock = threading.RLock()
    rlock.acquire()
    rlock.acquire()  # its owner re-enters it at once
    rlock.release()
    rlock.release()
    held_elsewhere = threading.RLock()
    holding, done = [], []
    def hold():
        with held_elsewhere:
            holding.append(True)
            while not done:
                time.sleep(0.001)
    threading.Thread(target=hold).start()
    while not holding:
        pass
    tried = held_elsewhere.acquire(False)
    tried = held_elsewhere.acquire(blocking=False) or tried
    tried = held_elsewhere.acquire(True, 0) or tried
    tried = held_elsewhere.acquire(timeout=0) or tried
    done.append(True)
    assert not tried
    ready = queue.SimpleQueue()
    ready.put(1)
    assert ready.get() == 1
    with pytest.raises(queue.Empty):
        ready.get(False)
    with pytest.raises(queue.Empty):
        ready.get_nowait()

def test_sqlite_and_file_objects_in_a_sync_test(tmp_path):
    database = sqlite3.connect(tmp_path / "db.sqlite")
    database.execute("create table t (x)")
    database.commit()
    database.close()
    with open(tmp_path / "f", "w") as stream:
        stream.write("x")
        stream.flush()

@pytest.mark.asyncio
async def test_sqlite_files_and_stdin_in_another_thread(tmp_path):
    def work():
        database = sqlite3.connect(tmp_path / "db.sqlite")
        database.execute("create table t (x)")
        database.commit()
        database.close()
        with open(tmp_path / "f", "w") as stream:
            stream.write("x")
        try:
            sys.stdin.read(1)
        except OSError:
            pass
    await asyncio.to_thread(work)
"""

TRIO_EXEMPT = """
import functools, os
import pytest, trio

@pytest.fixture
def anyio_backend():
    return "trio"

@pytest.mark.anyio
async def test_trio_sockets_dns_and_processes(tmp_path):
    async def serve(stream):
        await stream.send_all(await stream.receive_some(100))
    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(functools.partial(trio.serve_tcp, serve, 0, host="127.0.0.1"))
        port = listeners[0].socket.getsockname()[1]
        await trio.socket.getaddrinfo("127.0.0.1", port)
        stream = await trio.open_tcp_stream("127.0.0.1", port)
        await stream.send_all(b"ping")
        assert await stream.receive_some(100) == b"ping"
        await stream.aclose()
        nursery.cancel_scope.cancel()
    await trio.run_process(["true"])
    await trio.to_thread.run_sync(os.stat, tmp_path)
"""

UVLOOP_EXEMPT = """
import asyncio
import uvloop

def test_uvloop_transports_and_subprocesses():
    async def main():
        async def echo(reader, writer):
            writer.write(await reader.read(100))
            await writer.drain()
            writer.close()
        server = await asyncio.start_server(echo, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"ping")
        assert await reader.read(100) == b"ping"
        writer.close()
        server.close()
        process = await asyncio.create_subprocess_exec("true")
        assert await process.wait() == 0
    uvloop.run(main())
"""

FRAMEWORKS = """
import asyncio
import httpx, pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

async def hello(request):
    return web.json_response({"hello": "world"})

@pytest.mark.asyncio
async def test_aiohttp_test_client_and_server():
    app = web.Application()
    app.router.add_get("/", hello)
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/")
        assert response.status == 200
        assert await response.json() == {"hello": "world"}

async def homepage(request):
    return JSONResponse({"hello": "world"})

@pytest.mark.asyncio
async def test_starlette_through_httpx_asgi_transport():
    app = Starlette(routes=[Route("/", homepage)])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/")
    assert response.json() == {"hello": "world"}
"""


def _passes(pytester: pytest.Pytester, *args: str, **files: str) -> pytest.RunResult:
    pytester.makeini("[pytest]\n" + QUIET)
    pytester.makepyfile(**files)
    result = run(pytester, "--loopguard-calls=fail", "--loopguard-report=calls.json", *args)
    assert "blocking call" not in result.stdout.str()
    assert json.loads((pytester.path / "calls.json").read_text())["calls"] == []
    return result


def test_loop_machinery_runner_and_other_threads_are_never_counted(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_asyncio")
    # The stall detector runs too: its own work must not count either.
    result = _passes(pytester, "--loopguard=1s", test_exempt=EXEMPT)
    result.assert_outcomes(passed=EXEMPT.count("\ndef test_") + EXEMPT.count("async def test_"))


@pytest.mark.skipif(sys.version_info < (3, 12), reason="sys.monitoring is new in Python 3.12")
def test_c_methods_that_do_not_block_or_run_off_the_loop_are_never_counted(
    pytester: pytest.Pytester,
) -> None:
    pytest.importorskip("pytest_asyncio")
    _passes(pytester, test_monitored=MONITORED_EXEMPT).assert_outcomes(passed=4)


def test_trio_machinery_is_never_counted(pytester: pytest.Pytester) -> None:
    pytest.importorskip("trio")
    _passes(pytester, test_trio=TRIO_EXEMPT).assert_outcomes(passed=1)


def test_uvloop_machinery_is_never_counted(pytester: pytest.Pytester) -> None:
    pytest.importorskip("uvloop")
    _passes(pytester, test_uvloop=UVLOOP_EXEMPT).assert_outcomes(passed=1)


def test_real_frameworks_on_clean_code_make_no_finding(pytester: pytest.Pytester) -> None:
    for name in ("aiohttp", "starlette", "httpx", "pytest_asyncio"):
        pytest.importorskip(name)
    _passes(pytester, test_frameworks=FRAMEWORKS).assert_outcomes(passed=2)


def test_logging_handlers_count_when_the_session_says_so(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_asyncio")
    pytester.makeini("[pytest]\n" + QUIET + "loopguard_calls_logging = report\n")
    pytester.makepyfile(test_exempt=EXEMPT)
    result = run(pytester, "--loopguard-calls=fail", "-k", "logging_handler")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "loopguard: blocking call on the event loop during call: open, once",
            "*",
            "called at:",
            "  test_exempt.py:* in test_logging_handler_writing_a_file",
            '      file_logger.warning("opens and writes the log file")',
            "made inside a library, at:",
            "  */logging/__init__.py:* in *_open",
        ]
    )
