"""Calls mode's pure parts: when a call blocks, what a frame is, how findings are rendered."""

from __future__ import annotations

import os
import queue
import socket
import threading

from pytest_loopguard.calls import conditions
from pytest_loopguard.calls.callers import classify
from pytest_loopguard.calls.report import summary_lines


def test_sockets_count_only_in_blocking_or_timeout_mode() -> None:
    left, right = socket.socketpair()
    try:
        assert conditions.blocking_socket(left)
        left.settimeout(1.0)
        assert conditions.blocking_socket(left)
        left.setblocking(False)
        assert not conditions.blocking_socket(left)
    finally:
        left.close()
        right.close()


def test_numeric_addresses_need_no_resolver() -> None:
    assert conditions.resolves_name("example.invalid")
    assert conditions.resolves_name(b"localhost")
    for host in ("127.0.0.1", "::1", "fe80::1%eth0", None):
        assert not conditions.resolves_name(host)


def test_virtual_files_and_pipes_are_not_file_io() -> None:
    assert conditions.opens_real_file(__file__)
    assert not conditions.opens_real_file("/proc/self/status")
    read, write = os.pipe()
    try:
        assert not conditions.opens_real_file(read)
    finally:
        os.close(read)
        os.close(write)


def test_waits_that_return_at_once_do_not_count() -> None:
    assert not conditions.sleeps(0)
    assert conditions.sleeps(0.001)
    assert not conditions.waits_for_child(123, os.WNOHANG)
    assert conditions.waits_for_child(123, 0)
    event = threading.Event()
    assert conditions.event_waits(event) and not conditions.event_waits(event, 0)
    event.set()
    assert not conditions.event_waits(event)
    ready: queue.Queue[int] = queue.Queue()
    assert conditions.queue_get_waits(ready)
    ready.put(1)
    assert not conditions.queue_get_waits(ready)
    assert not conditions.queue_get_waits(queue.Queue(), block=False)


def test_an_rlock_waits_only_when_another_thread_holds_it() -> None:
    lock = threading.RLock()
    wait = ((), {})
    assert not conditions.rlock_waits(lock, wait)  # free
    with lock:
        assert not conditions.rlock_waits(lock, wait)  # its owner re-enters at once
    taken, done = threading.Event(), threading.Event()

    def hold() -> None:
        with lock:
            taken.set()
            done.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert taken.wait(10)
        assert conditions.rlock_waits(lock, wait)
        assert conditions.rlock_waits(lock, ((True, 1.5), {}))
        assert not conditions.rlock_waits(lock, ((False,), {}))
        assert not conditions.rlock_waits(lock, ((), {"timeout": 0}))
        assert not conditions.rlock_waits(lock, None)  # arguments not known at the site
        assert lock.acquire(False) is False  # asking took nothing
    finally:
        done.set()
        holder.join()


def test_frames_are_classified_by_their_module() -> None:
    assert classify(os.__file__) == "api"
    assert classify("<frozen genericpath>") == "api"
    assert classify("<frozen importlib._bootstrap_external>") == "machinery"
    assert classify(threading.__file__) == "api"
    assert classify(os.path.join(os.path.dirname(os.__file__), "asyncio", "events.py")) == "machinery"
    assert classify(os.path.join(os.path.dirname(os.__file__), "logging", "__init__.py")) == "logging"
    assert classify("/venv/lib/python3.12/site-packages/requests/api.py") == "library"
    assert classify("/venv/lib/python3.12/site-packages/_pytest/python.py") == "machinery"
    assert classify("/home/me/project/app/files.py") == "user"


def _record(test_id: str, call: str = "os.stat", line: int = 12, count: int = 1) -> dict:
    return {
        "test_id": test_id, "call": call, "hooked": "os.stat", "count": count,
        "file": "app/files.py", "line": line, "function": "load",
        "static_hint": "found statically by ABL124: `asyncblock check --select ABL124`",
    }


def test_summary_groups_call_sites_across_tests_most_tests_first() -> None:
    records = [_record("t::a", count=2), _record("t::b"), _record("t::b", line=20)]
    assert summary_lines(records) == [
        "os.stat at app/files.py:12 in load: 2 tests, 3 times "
        "(found statically by ABL124: `asyncblock check --select ABL124`)",
        "os.stat at app/files.py:20 in load: 1 test, once "
        "(found statically by ABL124: `asyncblock check --select ABL124`)",
    ]
