"""ABL115 blocking-socket: blocking socket calls and name lookups inside a coroutine."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from flake8_asyncblock.calls import is_constant
from flake8_asyncblock.clients import ClientCallRule, SyncClient
from flake8_asyncblock.rule import Invalid, Valid

if TYPE_CHECKING:
    from flake8_asyncblock.names import Names
    from flake8_asyncblock.scope import Scope
    from flake8_asyncblock.settings import Settings

__all__ = ["BlockingSocket"]

_SOCKET = "socket.socket"
_IO = (
    "recv", "recv_into", "recvfrom", "recvfrom_into", "recvmsg", "send", "sendall", "sendto",
    "sendmsg", "sendfile", "accept", "connect",
)

LOOKUPS = SyncClient(
    library="socket",
    instead="await loop.getaddrinfo(...) (asyncio.get_running_loop())",
    calls=frozenset(
        f"socket.{name}" for name in
        ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getfqdn",
         "getnameinfo")
    ),
)
CONNECT = SyncClient(
    library="socket",
    instead="await asyncio.open_connection(...)",
    makes={"socket.create_connection": _SOCKET},
    calls=frozenset({"socket.create_connection"}),
)
SOCKETS = SyncClient(
    library="socket",
    instead="a non-blocking socket and await loop.sock_{method}(sock, ...)",
    makes=dict.fromkeys((_SOCKET, "socket.fromfd"), _SOCKET),
    calls=frozenset(f"{_SOCKET}.{name}" for name in _IO),
)


class BlockingSocket(ClientCallRule):
    """Flag name lookups, create_connection() and I/O on blocking sockets in a coroutine.

    A `socket.socket()` blocks until told otherwise: its recv/send/accept/connect
    are reported unless the coroutine calls `setblocking(False)` or
    `settimeout(0)` on it (then they raise instead of waiting).
    """

    code = "ABL115"
    slug = "blocking-socket"
    message = "{call}() blocks the event loop on the network; use {instead}"
    summary = (
        "socket.getaddrinfo()/gethostbyname()/getfqdn()/..., socket.create_connection(), and "
        "recv/send/sendall/accept/connect on a known socket the coroutine did not make "
        "non-blocking, inside an async def."
    )
    why = (
        "Name lookups wait for the resolver (seconds when DNS is slow), and a blocking "
        "socket's recv or accept waits for the peer, all on the loop's thread. The loop "
        "has async versions of each."
    )
    fix = None  # the counterpart changes how the socket is driven
    clients = (LOOKUPS, CONNECT, SOCKETS)

    valid = (
        Valid("""
            import asyncio
            import socket

            async def fetch(host):
                loop = asyncio.get_running_loop()
                await loop.getaddrinfo(host, 80)
                sock = socket.socket()
                sock.setblocking(False)
                await loop.sock_connect(sock, (host, 80))
                sock.send(b"ping")
                return await loop.sock_recv(sock, 1024)
        """),
    )
    invalid = (
        Invalid(
            """
            import socket

            async def ping(host):
                with socket.create_connection((host, 7)) as sock:
                    sock.sendall(b"ping")
                    return sock.recv(4)
            """,
            errors=["ABL115:4:10", "ABL115:5:9", "ABL115:6:16"],
            fixed="""
            import asyncio

            async def ping(host):
                reader, writer = await asyncio.open_connection(host, 7)
                writer.write(b"ping")
                await writer.drain()
                return await reader.readexactly(4)
            """,
        ),
    )

    def __init__(self, scope: Scope, names: Names, settings: Settings) -> None:
        super().__init__(scope, names, settings)
        self._made_non_blocking: dict[ast.AST, set[str]] = {}

    def fields(self, node: ast.Call, name: str) -> dict[str, str] | None:
        func = node.func
        if name.startswith(f"{_SOCKET}.") and isinstance(func, ast.Attribute):
            if ast.unparse(func.value) in self._non_blocking():
                return None  # it raises BlockingIOError rather than wait
        return super().fields(node, name)

    def _non_blocking(self) -> set[str]:
        """Return the source of each `x` the coroutine calls `x.setblocking(False)` on."""
        coroutine = self.scope.coroutine()
        if coroutine is None:
            return set()
        if coroutine not in self._made_non_blocking:
            self._made_non_blocking[coroutine] = {
                ast.unparse(node.func.value)
                for node in ast.walk(coroutine)
                if isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and len(node.args) == 1
                and (
                    (node.func.attr == "setblocking" and is_constant(node.args[0], False, 0))
                    or (node.func.attr == "settimeout" and is_constant(node.args[0], 0, 0.0))
                )
            }
        return self._made_non_blocking[coroutine]
