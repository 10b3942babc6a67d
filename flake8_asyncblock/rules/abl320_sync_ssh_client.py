"""ABL320 sync-ssh-client: paramiko's SSH and SFTP clients inside a coroutine."""

from __future__ import annotations

from flake8_asyncblock.clients import ClientCallRule, SyncClient, methods_of
from flake8_asyncblock.rule import Invalid, Valid

__all__ = ["SyncSshClient"]

_SSH = "paramiko.SSHClient"
_SFTP = "paramiko.SFTPClient"
_TRANSPORT = "paramiko.Transport"
_CHANNEL_FILE = "paramiko.ChannelFile"

PARAMIKO = SyncClient(
    library="paramiko",
    instead="asyncssh and await the call, or await {to_thread_call}",
    makes={
        **dict.fromkeys((_SSH, "paramiko.client.SSHClient"), _SSH),
        **dict.fromkeys(
            (f"{_SSH}.open_sftp", f"{_TRANSPORT}.open_sftp_client", f"{_SFTP}.from_transport",
             _SFTP, "paramiko.sftp_client.SFTPClient"),
            _SFTP,
        ),
        **dict.fromkeys((_TRANSPORT, "paramiko.transport.Transport", f"{_SSH}.get_transport"),
                        _TRANSPORT),
    },
    calls=frozenset(
        {f"{_TRANSPORT}.{name}" for name in ("connect", "open_session", "open_sftp_client",
                                             "auth_password", "auth_publickey")}
        | {f"{_SFTP}.from_transport"}
    ),
    methods={
        **methods_of(_SSH, spare=(
            "set_missing_host_key_policy", "get_transport", "set_log_channel",
            "get_host_keys",
        )),
        **methods_of(_SFTP, spare=("get_channel", "getcwd")),
    },
)


class SyncSshClient(ClientCallRule):
    """Flag SSH connections, commands and SFTP transfers made through paramiko."""

    code = "ABL320"
    slug = "sync-ssh-client"
    message = "{call}() waits for the SSH server on the event loop's thread; use {instead}"
    summary = (
        "paramiko.SSHClient connect()/exec_command()/open_sftp()/..., SFTPClient "
        "get()/put()/listdir()/open()/... and Transport connect/auth calls, inside an async def."
    )
    why = (
        "paramiko runs the SSH protocol on blocking sockets: a connect does a key exchange "
        "and authentication, and a transfer lasts as long as the file takes to cross."
    )
    fix = None  # the counterpart is another library
    clients = (PARAMIKO,)

    valid = (
        Valid("""
            import asyncssh

            async def uptime(host):
                async with asyncssh.connect(host) as conn:
                    result = await conn.run("uptime")
                    return result.stdout
        """),
    )
    invalid = (
        Invalid(
            """
            import paramiko

            async def uptime(host):
                client = paramiko.SSHClient()
                client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
                client.connect(host)
                return client.exec_command("uptime")
            """,
            errors=["ABL320:6:5", "ABL320:7:12"],
            fixed="""
            import asyncssh

            async def uptime(host):
                async with asyncssh.connect(host) as conn:
                    return await conn.run("uptime")
            """,
        ),
    )
