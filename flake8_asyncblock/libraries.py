"""The async libraries a module may run on, and what each calls the tools the rules suggest.

Rules, messages and fixes read these names from here, never from string
literals of their own, so a library is described once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["ANYIO", "ASYNCIO", "LIBRARIES", "TRIO", "AsyncLibrary", "LibraryName"]

LibraryName = Literal["asyncio", "trio", "anyio"]


@dataclass(frozen=True)
class AsyncLibrary:
    """One async library: the qualified names of its tools, as messages and fixes spell them."""

    name: LibraryName
    #: The coroutine function that suspends for a while.
    sleep: str
    #: Runs a sync function in a worker thread: `await to_thread(fn, *args)`.
    to_thread: str
    #: Whether `to_thread` passes keyword arguments on to the function (else use functools.partial).
    to_thread_keywords: bool
    #: Every API that calls its first argument synchronously in a worker thread or process.
    worker_runners: frozenset[str]
    #: Starts the library's event loop: `run(main)` for trio and anyio, `run(main())` for asyncio.
    run: str
    #: Whether `run` takes the coroutine function (and its arguments), not a coroutine.
    run_takes_function: bool
    #: The async counterpart of open(), or None when the library has none.
    open_file: str | None
    #: The async counterpart of pathlib.Path, or None when the library has none.
    path: str | None
    #: Runs a child process and waits for it without blocking.
    run_process: str
    #: Runs a shell command without blocking.
    run_shell: str
    #: A full example of running a shell command and capturing its output.
    capture_shell: str
    #: Where CPU-bound work should go, since a thread does not help (the GIL).
    cpu_worker: str
    #: What coroutines use to hand items to each other instead of queue.Queue.
    task_queue: str
    #: The synchronisation primitives the library has under their threading names.
    primitives: frozenset[str]
    #: The library's own coroutine functions (handing one to a worker thread is a bug).
    coroutine_functions: frozenset[str]

    def async_path(self) -> str:
        """Return the async Path class to suggest: the library's own, else anyio's (it runs on asyncio)."""
        path = self.path or ANYIO.path
        assert path is not None, "anyio has an async Path"
        return path

    def primitive(self, kind: str) -> str:
        """Return the library's counterpart of threading.`kind` ("trio.Lock"); asyncio's if none."""
        owner = self if kind in self.primitives else ASYNCIO
        return f"{owner.name}.{kind}"


def _names(prefix: str, *names: str) -> frozenset[str]:
    return frozenset(f"{prefix}.{name}" for name in names)


ASYNCIO = AsyncLibrary(
    name="asyncio",
    sleep="asyncio.sleep",
    to_thread="asyncio.to_thread",
    to_thread_keywords=True,
    worker_runners=_names("asyncio", "to_thread", "threads.to_thread"),
    run="asyncio.run",
    run_takes_function=False,
    open_file=None,
    path=None,
    run_process="asyncio.create_subprocess_exec",
    run_shell="asyncio.create_subprocess_shell",
    capture_shell="asyncio.create_subprocess_shell(cmd, stdout=asyncio.subprocess.PIPE)",
    cpu_worker="a process pool (await loop.run_in_executor(ProcessPoolExecutor(), fn))",
    task_queue="asyncio.Queue",
    primitives=frozenset({"Lock", "Semaphore", "Event", "Condition", "Barrier"}),
    coroutine_functions=_names(
        "asyncio", "sleep", "wait_for", "wait", "open_connection", "open_unix_connection",
        "start_server", "start_unix_server", "create_subprocess_exec",
        "create_subprocess_shell", "to_thread",
    ),
)
TRIO = AsyncLibrary(
    name="trio",
    sleep="trio.sleep",
    to_thread="trio.to_thread.run_sync",
    to_thread_keywords=False,
    worker_runners=_names("trio", "to_thread.run_sync"),
    run="trio.run",
    run_takes_function=True,
    open_file="trio.open_file",
    path="trio.Path",
    run_process="trio.run_process",
    run_shell="trio.run_process",
    capture_shell="trio.run_process(cmd, shell=True, capture_stdout=True)",
    cpu_worker="a worker process",
    task_queue="trio.open_memory_channel",
    primitives=frozenset({"Lock", "Semaphore", "Event", "Condition"}),
    coroutine_functions=_names(
        "trio", "sleep", "sleep_until", "sleep_forever", "open_tcp_stream",
        "open_tcp_listeners", "serve_tcp", "run_process", "open_file", "to_thread.run_sync",
    ),
)
ANYIO = AsyncLibrary(
    name="anyio",
    sleep="anyio.sleep",
    to_thread="anyio.to_thread.run_sync",
    to_thread_keywords=False,
    worker_runners=_names("anyio", "to_thread.run_sync", "to_process.run_sync"),
    run="anyio.run",
    run_takes_function=True,
    open_file="anyio.open_file",
    path="anyio.Path",
    run_process="anyio.run_process",
    run_shell="anyio.run_process",
    capture_shell="anyio.run_process(cmd)",
    cpu_worker="a worker process (await anyio.to_process.run_sync(fn))",
    task_queue="anyio.create_memory_object_stream",
    primitives=frozenset({"Lock", "Semaphore", "Event", "Condition"}),
    coroutine_functions=_names(
        "anyio", "sleep", "sleep_until", "sleep_forever", "connect_tcp", "connect_unix",
        "create_tcp_listener", "run_process", "open_process", "open_file",
        "to_thread.run_sync", "to_process.run_sync",
    ),
)

#: In the order a module's imports pick one: trio, then anyio, else asyncio.
LIBRARIES: tuple[AsyncLibrary, ...] = (TRIO, ANYIO, ASYNCIO)
