"""A small inventory service with the blocking mistakes loopguard catches."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

__all__ = ["checksum", "lookup", "lookup_nonblocking", "restock"]


def _answer_later(server: socket.socket, delay_seconds: float) -> None:
    """Play a slow stock service: read the request, wait, answer."""
    server.recv(1024)
    time.sleep(delay_seconds)
    server.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{"stock":4}')


def fetch_stock(item: str, delay_seconds: float = 0.3) -> bytes:
    """Ask the stock service over a blocking socket, the way a sync HTTP client does."""
    client, server = socket.socketpair()
    responder = threading.Thread(target=_answer_later, args=(server, delay_seconds))
    responder.start()
    with client, server:
        client.sendall(f"GET /stock/{item} HTTP/1.1\r\n\r\n".encode())
        answer = client.recv(1024)
        responder.join()
    return answer


async def lookup(item: str) -> bytes:
    """Blocking: the sync client holds the loop while the service thinks."""
    return fetch_stock(item)


async def lookup_nonblocking(item: str) -> bytes:
    """The fix: the same client, run in a worker thread."""
    return await asyncio.to_thread(fetch_stock, item, 0.05)


async def restock(item: str, attempts: int = 2) -> str:
    """Blocking: a retry back-off written with time.sleep."""
    for _ in range(attempts):
        time.sleep(0.15)
    return f"{item} restocked"


def _mix(total: int, row: int) -> int:
    """Fold one row into a running checksum."""
    for byte in row.to_bytes(8, "little"):
        total = (total * 31 + byte) % 1_000_003
    return total


async def checksum(seed: int) -> int:
    """Blocking: a CPU-bound loop that never awaits; returns the rows hashed."""
    deadline = time.perf_counter() + 0.3
    total, rows = seed, 0
    while time.perf_counter() < deadline:
        total = _mix(total, rows)
        rows += 1
    return rows
