"""ABL114 stdlib-protocol-client: smtplib, ftplib, imaplib, poplib, telnetlib in a coroutine."""

from __future__ import annotations

import ast

from flake8_asyncblock.calls import argument
from flake8_asyncblock.clients import ClientCallRule, SyncClient, methods_of
from flake8_asyncblock.rule import Invalid, Valid

__all__ = ["StdlibProtocolClient"]


def _client(
    module: str, classes: tuple[str, ...], instead: str, spare: tuple[str, ...] = ()
) -> SyncClient:
    """A stdlib client: its classes connect when built with a host; every method talks."""
    kind = f"{module}.{classes[0]}"
    names = tuple(f"{module}.{name}" for name in classes)
    return SyncClient(
        library=module,
        instead=instead,
        makes=dict.fromkeys(names, kind),
        calls=frozenset(names),
        methods=methods_of(kind, spare=("set_debuglevel", *spare)),
    )


SMTP = _client("smtplib", ("SMTP", "SMTP_SSL", "LMTP"),
               "aiosmtplib and await the call, or await {to_thread_call}")
FTP = _client("ftplib", ("FTP", "FTP_TLS"), "aioftp and await the call, or await {to_thread_call}",
              spare=("set_pasv",))
IMAP = _client("imaplib", ("IMAP4", "IMAP4_SSL", "IMAP4_stream"),
               "aioimaplib and await the call, or await {to_thread_call}")
POP = _client("poplib", ("POP3", "POP3_SSL"), "await {to_thread_call}")
TELNET = _client("telnetlib", ("Telnet",), "telnetlib3 and await the call, or await {to_thread_call}",
                 spare=("set_option_negotiation_callback",))
#: Classes that only connect when given a host; IMAP4 and POP3 always connect.
_CONNECT_WITH_HOST = frozenset(
    {"smtplib.SMTP", "smtplib.SMTP_SSL", "smtplib.LMTP", "ftplib.FTP", "ftplib.FTP_TLS",
     "telnetlib.Telnet"}
)


class StdlibProtocolClient(ClientCallRule):
    """Flag the stdlib's mail, FTP and telnet clients talking to their server from a coroutine.

    Building a client with a host connects; so does every protocol command.
    An SMTP(), FTP() or Telnet() made without a host does no I/O until connect().
    """

    code = "ABL114"
    slug = "stdlib-protocol-client"
    message = "{call}() waits for the server on the event loop's thread; use {instead}"
    summary = (
        "smtplib.SMTP/SMTP_SSL, ftplib.FTP/FTP_TLS, imaplib.IMAP4/IMAP4_SSL, poplib.POP3 and "
        "telnetlib.Telnet: connecting, and each command sent through a known client, inside "
        "an async def."
    )
    why = (
        "These clients wrap a blocking socket: connecting, logging in and each command "
        "wait for the server's reply on the calling thread. Mail servers in particular "
        "answer slowly."
    )
    fix = None  # the counterpart is another library
    clients = (SMTP, FTP, IMAP, POP, TELNET)

    valid = (
        Valid("""
            import aiosmtplib

            async def notify(message):
                async with aiosmtplib.SMTP(hostname="mail", port=587) as smtp:
                    await smtp.send_message(message)
        """),
        Valid("""
            import smtplib

            async def make_client():
                return smtplib.SMTP()
        """),
    )
    invalid = (
        Invalid(
            """
            import smtplib

            async def notify(message):
                with smtplib.SMTP("mail", 587) as smtp:
                    smtp.send_message(message)
            """,
            errors=["ABL114:4:10", "ABL114:5:9"],
            fixed="""
            import aiosmtplib

            async def notify(message):
                async with aiosmtplib.SMTP(hostname="mail", port=587) as smtp:
                    await smtp.send_message(message)
            """,
        ),
    )

    def fields(self, node: ast.Call, name: str) -> dict[str, str] | None:
        if name in _CONNECT_WITH_HOST and argument(node, 0, "host") is None:
            return None  # no host: nothing is sent until connect()
        return super().fields(node, name)
