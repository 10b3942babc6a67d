"""What counts as a blocking call: the audit events and the wrapped functions, as data.

Where the interpreter raises a PEP 578 audit event for a call, the event is
used and nothing is patched. The rest are Python-level attributes (module
functions and methods of classes written in Python) that the probe replaces
with a wrapper while calls mode is on; methods of C types (`io.BufferedReader`,
`sqlite3.Connection`, `_thread.lock`) are never patched in place.

Each entry names the call as reports show it, when it blocks (a predicate of
`conditions`, None: always) and the names the static linter knows it by, so a
finding can point at the ABL rule that finds the same call before it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, NamedTuple

from pytest_loopguard.calls import conditions as c

__all__ = [
    "API_MODULES",
    "AUDIT_CALLS",
    "CALL_NAMES",
    "EXEMPT_VIA",
    "FILE_METHODS",
    "FRAME_KINDS",
    "LIBRARY_SLUGS",
    "MONITORED_CALLS",
    "STDIN_READS",
    "WRAPPED_CALLS",
    "AuditCall",
    "FrameKind",
    "MonitoredCall",
    "WrappedCall",
]

Check = Callable[..., bool]
# How a wrapper asks whether the call blocks: `checked` runs the predicate on the
# call's arguments first; `try_first` tries the call without blocking and only
# counts it when that failed (a semaphore that has to wait).
WrapStyle = Literal["checked", "try_first"]


class AuditCall(NamedTuple):
    """A blocking call the interpreter announces with an audit event."""

    event: str
    call: str  # the name reports use
    check: Check | None = None  # called with the event's arguments; None: always blocks
    static: tuple[str, ...] = ()  # names the linter resolves the call to; () means (call,)


class WrappedCall(NamedTuple):
    """A Python-level function or method the probe wraps while calls mode is on."""

    module: str
    attribute: str  # "stat" or "socket.recv": a path below the module
    call: str
    check: Check | None = None  # called with the call's own arguments
    static: tuple[str, ...] = ()
    style: WrapStyle = "checked"
    # Wrap only when the interpreter does not raise this audit event for the call.
    unless_event: str | None = None


def _audit(event: str, check: Check | None = None, *static: str, call: str = "") -> AuditCall:
    return AuditCall(event, call or event, check, static)


def _sock0(args: tuple[Any, ...]) -> bool:
    return c.blocking_socket(*args[:1])


AUDIT_CALLS: tuple[AuditCall, ...] = (
    _audit("open", lambda args: c.opens_real_file(*args[:1]), "open", "io.open"),
    _audit("time.sleep", lambda args: c.sleeps(*args[:1])),
    *(_audit(f"os.{name}") for name in ("listdir", "scandir", "walk", "fwalk", "mkdir", "rmdir")),
    _audit("os.remove", None, "os.remove", "os.unlink"),
    _audit("os.rename", None, "os.rename", "os.replace"),
    *(_audit(f"os.{name}") for name in ("chmod", "chown", "utime", "link", "symlink", "truncate")),
    *(_audit(f"os.{name}") for name in ("listxattr", "getxattr", "setxattr", "removexattr")),
    _audit("os.system"),
    _audit("os.posix_spawn"),
    _audit("glob.glob"),
    *(
        _audit(f"shutil.{name}")
        for name in (
            "copyfile", "copymode", "copystat", "copytree", "rmtree", "chown",
            "make_archive", "unpack_archive",
        )
    ),
    _audit("tempfile.mkstemp"),
    _audit("tempfile.mkdtemp"),
    _audit("socket.connect", _sock0, call="socket.socket.connect"),
    _audit("socket.sendto", _sock0, call="socket.socket.sendto"),
    _audit("socket.sendmsg", _sock0, call="socket.socket.sendmsg"),
    _audit("socket.getaddrinfo", lambda args: c.resolves_name(*args[:1])),
    _audit("socket.gethostbyname"),
    _audit("socket.gethostbyaddr"),
    _audit("socket.getnameinfo"),
    _audit("http.client.connect", call="http.client.HTTPConnection.connect"),
    _audit("ftplib.connect", call="ftplib.FTP.connect"),
    _audit("smtplib.connect", call="smtplib.SMTP.connect"),
    _audit("imaplib.open", call="imaplib.IMAP4.open"),
    _audit("poplib.connect", call="poplib.POP3"),
    _audit("subprocess.Popen"),
    _audit("sqlite3.connect"),
)


def _wrap(
    target: str,
    check: Check | None = None,
    *static: str,
    style: WrapStyle = "checked",
    unless_event: str | None = None,
    call: str = "",
) -> WrappedCall:
    module, _, attribute = target.partition(":")
    name = call or f"{module}.{attribute}"
    return WrappedCall(module, attribute, name, check, static, style, unless_event)


_SOCKET_METHODS = (
    "accept", "recv", "recv_into", "recvfrom", "recvfrom_into", "recvmsg", "send", "sendall",
    "sendfile",
)
_SSL_METHODS = ("do_handshake", "read", "write", "recv", "recv_into", "send", "sendall")
_SSL_CONTEXT_METHODS = (
    "load_verify_locations", "load_default_certs", "load_cert_chain", "set_default_verify_paths",
)
_SPAWN = ("spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnv", "spawnve", "spawnvp", "spawnvpe")

WRAPPED_CALLS: tuple[WrappedCall, ...] = (
    _wrap("time:sleep", c.sleeps, unless_event="time.sleep"),
    _wrap("os:stat"),
    _wrap("os:lstat"),
    _wrap("os:read", c.blocking_fd),
    _wrap("os:write", c.blocking_fd),
    _wrap("os:wait"),
    *(_wrap(f"os:{name}", c.waits_for_child) for name in ("waitpid", "wait3", "wait4", "waitid")),
    *(_wrap(f"os:{name}") for name in _SPAWN),
    _wrap("builtins:input", call="input"),
    *(_wrap(f"socket:socket.{name}", c.blocking_socket) for name in _SOCKET_METHODS),
    *(_wrap(f"ssl:SSLSocket.{name}", c.blocking_socket) for name in _SSL_METHODS),
    *(_wrap(f"ssl:SSLContext.{name}") for name in _SSL_CONTEXT_METHODS),
    _wrap("threading:Event.wait", c.event_waits),
    _wrap("threading:Condition.wait", c.condition_waits),
    _wrap("threading:Thread.join", c.join_waits),
    _wrap("threading:Barrier.wait", c.barrier_waits),
    _wrap("threading:Semaphore.acquire", style="try_first"),
    _wrap("threading:Semaphore.__enter__", None, "threading.Semaphore.acquire", style="try_first"),
    _wrap("queue:Queue.get", c.queue_get_waits),
    _wrap("queue:Queue.put", c.queue_put_waits),
    _wrap("queue:Queue.join", c.queue_join_waits),
    _wrap("subprocess:Popen.wait", c.popen_wait_waits),
    _wrap("subprocess:Popen.communicate", c.communicate_waits),
    # Python 3.10's pathlib calls os.stat through an accessor bound at import time.
    _wrap("pathlib:_NormalAccessor.stat", None, "os.stat"),
    _wrap("pathlib:_NormalAccessor.lstat", None, "os.lstat"),
)



class MonitoredCall(NamedTuple):
    """Methods of a C type, seen through `sys.monitoring` CALL events (Python 3.12+).

    C types are never patched, so these calls are found where Python code calls
    them; a call made by C code (`print` writing to a file) is not seen.
    """

    module: str
    owner: str  # the type, below the module
    methods: tuple[str, ...]
    call: str  # the prefix reports use: "io.TextIOWrapper" + ".read"
    # Called with the object and the call's arguments as `(args, kwargs)`, decoded from
    # the call site's constants, or None when they are not all constants; None: always blocks.
    check: Check | None = None


FILE_METHODS = (
    "read", "read1", "readall", "readinto", "readinto1", "readline", "readlines", "peek",
    "write", "writelines", "flush", "truncate",
)
_FILE_TYPES = ("FileIO", "BufferedReader", "BufferedWriter", "BufferedRandom", "TextIOWrapper")
_SQLITE_CONNECTION = ("execute", "executemany", "executescript", "commit", "rollback", "backup")
_SQLITE_CURSOR = ("execute", "executemany", "executescript", "fetchone", "fetchmany", "fetchall")

MONITORED_CALLS: tuple[MonitoredCall, ...] = (
    *(MonitoredCall("_io", name, FILE_METHODS, f"io.{name}", c.regular_file_object)
      for name in _FILE_TYPES),
    MonitoredCall("sqlite3", "Connection", _SQLITE_CONNECTION, "sqlite3.Connection"),
    MonitoredCall("sqlite3", "Cursor", _SQLITE_CURSOR, "sqlite3.Cursor"),
    MonitoredCall("_thread", "LockType", ("acquire", "acquire_lock"), "threading.Lock",
                  c.lock_waits),
    MonitoredCall("_thread", "RLock", ("acquire",), "threading.RLock", c.rlock_waits),
    MonitoredCall("_queue", "SimpleQueue", ("get",), "queue.SimpleQueue", c.simple_queue_waits),
)
# Reads of `sys.stdin` count whatever object it is (pytest's capture puts its own there).
STDIN_READS: frozenset[str] = frozenset({"read", "read1", "readinto", "readline", "readlines"})

# Every name a hooked call is reported under. A call made inside another hooked
# call (the files shutil.copytree opens) is part of that call, not a finding of its own.
CALL_NAMES: frozenset[str] = frozenset(
    [entry.call for entry in AUDIT_CALLS] + [entry.call for entry in WRAPPED_CALLS]
)

# Standard library modules whose public functions are the API users call: a
# hooked call made inside them is reported under the outermost such function
# (`os.path.exists`, not the `os.stat` it makes). Keys are module names as
# frames show them; values the public name.
API_MODULES: dict[str, str] = {
    **{name: name for name in (
        "os", "io", "_pyio", "codecs", "shutil", "tempfile", "pathlib", "glob", "socket", "ssl",
        "subprocess", "threading", "queue", "sqlite3", "http.client", "urllib.request", "ftplib",
        "smtplib", "imaplib", "poplib", "gzip", "bz2", "lzma", "zipfile", "tarfile", "filecmp",
        "fileinput", "time", "getpass",
    )},
    "genericpath": "os.path",
    "posixpath": "os.path",
    "ntpath": "os.path",
    "sqlite3.dbapi2": "sqlite3",
}

# A frame is one of these, decided by the module its code belongs to.
FrameKind = Literal["api", "transparent", "machinery", "logging", "library", "user"]
# Classes reported under the public class users call: from Python 3.13 `Path`'s read and write
# methods live on an abstract base in `pathlib._abc`.
PUBLIC_CLASSES: dict[str, str] = {"pathlib.PathBase": "pathlib.Path"}

FRAME_KINDS: dict[str, FrameKind] = {
    # The loop's and the test runner's own work never counts.
    **dict.fromkeys(
        (
            "asyncio", "selectors", "importlib", "zipimport", "linecache", "traceback",
            "tokenize", "warnings", "concurrent", "runpy", "site", "encodings", "pkgutil",
            "pytest", "_pytest", "pluggy", "pytest_asyncio", "anyio", "trio", "outcome",
            "sniffio", "uvloop", "xdist", "execnet", "pytest_timeout", "pytest_loopguard",
            "coverage", "pytest_cov", "_pydevd_bundle", "pydevd", "debugpy", "pdb", "bdb",
        ),
        "machinery",
    ),
    # Frames that only pass a call through: the frame above them decides. blockbuster's
    # wrappers are on the way when a project runs it beside loopguard (anyio's suite does).
    **dict.fromkeys(("contextlib", "functools", "blockbuster"), "transparent"),
    "logging": "logging",
}

# Calls reported under these names are the interpreter's own short waits.
EXEMPT_VIA: frozenset[str] = frozenset({"threading.Thread.start"})

# Linter rules that find a call by means other than a `blocking_calls` table:
# call name -> the rule's slug (its code is read from the rule class).
LIBRARY_SLUGS: dict[str, str] = {"open": "sync-file-io", "io.open": "sync-file-io"}
