"""When a call on the catalogue really blocks: predicates over the call's own arguments.

Each takes the arguments the call got (or an audit event's arguments) and
returns True when the call waits for the disk, the network, another process
or another thread. They run on the loop's thread, only once a loop is known to
run there, and must never raise (the probe counts an exception as an internal
error and drops the call).
"""

from __future__ import annotations

import ipaddress
import os
import stat
from typing import Any

# A monitored call's arguments, decoded from constants at its call site: (args, kwargs);
# None when some argument is not a constant there.
Arguments = tuple[tuple[Any, ...], dict[str, Any]] | None

__all__ = [
    "VIRTUAL_FILE_PREFIXES",
    "barrier_waits",
    "blocking_fd",
    "blocking_socket",
    "communicate_waits",
    "condition_waits",
    "event_waits",
    "join_waits",
    "lock_waits",
    "opens_real_file",
    "popen_wait_waits",
    "queue_get_waits",
    "queue_join_waits",
    "queue_put_waits",
    "regular_file_object",
    "resolves_name",
    "rlock_waits",
    "simple_queue_waits",
    "sleeps",
    "waits_for_child",
]

# Files the kernel serves from memory: reading them never waits for a disk.
VIRTUAL_FILE_PREFIXES = ("/proc/", "/sys/")


def _zero(timeout: object) -> bool:
    return isinstance(timeout, (int, float)) and timeout <= 0


def opens_real_file(path: object, mode: object = None, flags: object = None) -> bool:
    """Audit event `open`: a path on a file system, or a descriptor of a regular file."""
    if isinstance(path, int):
        try:
            return stat.S_ISREG(os.fstat(path).st_mode)
        except OSError:
            return False
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    return not (isinstance(path, str) and path.startswith(VIRTUAL_FILE_PREFIXES))


def blocking_socket(sock: Any, *_: Any, **__: Any) -> bool:
    """A socket in blocking or timeout mode (asyncio's and trio's are non-blocking)."""
    try:
        return sock.gettimeout() != 0.0
    except (AttributeError, OSError):
        return False


def blocking_fd(fd: object, *_: Any, **__: Any) -> bool:
    """`os.read`/`os.write` on a descriptor in blocking mode."""
    try:
        return isinstance(fd, int) and os.get_blocking(fd)
    except OSError:
        return False


def resolves_name(host: object = None, *_: Any, **__: Any) -> bool:
    """`getaddrinfo` that asks a resolver: not for a numeric address or no host at all."""
    if host is None:
        return False
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    try:
        ipaddress.ip_address(str(host).partition("%")[0])
    except ValueError:
        return True
    return False


def sleeps(seconds: object = 0, *_: Any, **__: Any) -> bool:
    """`time.sleep(0)` only yields the GIL; any longer sleep holds the loop."""
    return not _zero(seconds)


def waits_for_child(*args: Any, **kwargs: Any) -> bool:
    """`os.wait*` without WNOHANG in its options (the last positional argument)."""
    options = kwargs.get("options", args[-1] if args else 0)
    return not (isinstance(options, int) and options & getattr(os, "WNOHANG", 1))


def event_waits(event: Any, timeout: object = None) -> bool:
    """`threading.Event.wait` on an event that is not set yet."""
    return not event.is_set() and not _zero(timeout)


def join_waits(thread: Any, timeout: object = None) -> bool:
    """`threading.Thread.join` on a thread still running."""
    return thread.is_alive() and not _zero(timeout)


def barrier_waits(barrier: Any, timeout: object = None) -> bool:
    """`threading.Barrier.wait` by any party but the last one."""
    return barrier.n_waiting + 1 < barrier.parties and not _zero(timeout)


def condition_waits(condition: Any, timeout: object = None) -> bool:
    """`threading.Condition.wait` always waits, unless with a zero timeout."""
    return not _zero(timeout)


def queue_get_waits(queue: Any, block: bool = True, timeout: object = None) -> bool:
    """`queue.Queue.get` on an empty queue."""
    return bool(block) and not _zero(timeout) and queue.empty()


def queue_put_waits(queue: Any, item: object = None, block: bool = True, timeout: object = None) -> bool:
    """`queue.Queue.put` on a full queue."""
    return bool(block) and not _zero(timeout) and queue.full()


def queue_join_waits(queue: Any) -> bool:
    """`queue.Queue.join` while tasks are unfinished."""
    return bool(queue.unfinished_tasks)


def popen_wait_waits(process: Any, timeout: object = None) -> bool:
    """`Popen.wait` on a child that has not exited yet."""
    return not _zero(timeout) and process.poll() is None


def communicate_waits(process: Any, input: object = None, timeout: object = None) -> bool:
    """`Popen.communicate` with a child still running."""
    return not _zero(timeout) and process.poll() is None


def regular_file_object(stream: Any, arguments: Arguments = None) -> bool:
    """A file object whose descriptor is a regular file (not a pipe, a socket or a terminal)."""
    try:
        return stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (AttributeError, OSError, ValueError):  # no descriptor, closed, or a BytesIO
        return False


def _waits(arguments: Arguments, block_name: str) -> bool:
    """Whether `(block=True, timeout=None)`-style arguments ask to wait.

    Arguments that are not constants at the call site (a variable, or the
    temporaries pytest's assertion rewriting makes) are not known: such a call
    is not counted, as it may be a try that does not wait.
    """
    if arguments is None:
        return False
    args, kwargs = arguments
    block = kwargs.get(block_name, args[0] if args else True)
    timeout = kwargs.get("timeout", args[1] if len(args) > 1 else None)
    if not block:
        return False
    return timeout is None or timeout == -1 or not _zero(timeout)  # a lock's -1: for ever


def lock_waits(lock: Any, arguments: Arguments = None) -> bool:
    """`Lock.acquire` on a lock another holder has, asked to wait for it."""
    try:
        held = lock.locked()
    except (AttributeError, TypeError):
        return False
    return bool(held) and _waits(arguments, "blocking")


def rlock_waits(lock: Any, arguments: Arguments = None) -> bool:
    """`RLock.acquire` on a lock another thread holds (its owner re-enters it at once).

    Before Python 3.14 a C RLock has no `locked()`; its repr says, and asking
    changes nothing (trying to acquire it would fail another thread's try).
    """
    try:
        if lock._is_owned():
            return False
        locked = getattr(lock, "locked", None)
        held = locked() if locked is not None else repr(lock).startswith("<locked ")
    except (AttributeError, TypeError):
        return False
    return bool(held) and _waits(arguments, "blocking")


def simple_queue_waits(queue: Any, arguments: Arguments = None) -> bool:
    """`SimpleQueue.get` on an empty queue, asked to wait for an item."""
    try:
        empty = queue.empty()
    except (AttributeError, TypeError):
        return False
    return bool(empty) and _waits(arguments, "block")
