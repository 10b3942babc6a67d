"""Every call kind calls mode must find: one line of code each and the call it is reported as.

`HELPERS` is written into each test session as `blocking.py`; its import-time
setup (files, a listening socket, a connected socket pair) runs while no loop
runs, so only the kind's own line can be found. `KINDS` maps a kind to the
name of its function there and the call name (resolved, or hooked) the
report must give it.
"""

from __future__ import annotations

import sys

__all__ = ["HELPERS", "KINDS", "MONITORED_KINDS"]

HELPERS = r'''
import io, os, pathlib, queue, shutil, socket, sqlite3, ssl, subprocess, sys, tempfile
import threading, time

TMP = tempfile.mkdtemp()
FILE = os.path.join(TMP, "data.txt")
with open(FILE, "w") as fh:
    fh.write("data")
MISSING = os.path.join(TMP, "missing")
FD = os.open(FILE, os.O_RDWR)
LISTENER = socket.create_server(("127.0.0.1", 0))
LISTENER.listen(100)
ADDRESS = LISTENER.getsockname()
LEFT, RIGHT = socket.socketpair()
RIGHT.sendall(b"x" * 65536)
READER = open(FILE, "rb")
WRITER = open(os.path.join(TMP, "written.txt"), "w")
DB = sqlite3.connect(os.path.join(TMP, "db.sqlite"), check_same_thread=False)
DB.execute("create table if not exists t (x)")
CONTEXT = ssl.create_default_context()
CONTEXT.check_hostname = False
CONTEXT.verify_mode = ssl.CERT_NONE


def _accepting():
    while True:
        conn, _ = LISTENER.accept()
        conn.close()


threading.Thread(target=_accepting, daemon=True).start()
SECOND = socket.create_server(("127.0.0.1", 0))
SECOND.listen(100)


def _tls():
    sock = socket.create_connection(ADDRESS)
    sock.settimeout(0.05)
    tls = CONTEXT.wrap_socket(sock, do_handshake_on_connect=False)
    try:
        tls.do_handshake()
    except OSError:
        pass
    finally:
        tls.close()


def _input():
    try:
        input()
    except (OSError, EOFError):
        pass


def time_sleep(): time.sleep(0.001)
def builtin_open(): open(FILE).close()
def io_open(): io.open(FILE, "rb").close()
def os_open(): os.close(os.open(FILE, os.O_RDONLY))
def os_fdopen(): os.fdopen(os.dup(FD)).close()
def io_open_code(): io.open_code(FILE).close()
def path_read_text(): pathlib.Path(FILE).read_text()
def path_write_bytes(): pathlib.Path(FILE).write_bytes(b"data")
def os_read(): os.read(FD, 1)
def os_write(): os.write(FD, b"")
def os_stat(): os.stat(FILE)
def os_lstat(): os.lstat(FILE)
def os_listdir(): os.listdir(TMP)
def os_scandir(): os.scandir(TMP).close()
def os_walk(): list(os.walk(TMP))
def os_mkdir(): _mkdir()
def _mkdir():
    try:
        os.mkdir(os.path.join(TMP, "made"))
    except FileExistsError:
        pass
def os_makedirs(): os.makedirs(os.path.join(TMP, "deep", "er"), exist_ok=True)
def os_remove(): _missing(os.remove)
def os_unlink(): _missing(os.unlink)
def os_rename(): _missing(lambda p: os.rename(p, p + "2"))
def os_replace(): _missing(lambda p: os.replace(p, p + "2"))
def os_rmdir(): _missing(os.rmdir)
def _missing(call):
    try:
        call(MISSING)
    except FileNotFoundError:
        pass
def path_exists(): os.path.exists(FILE)
def path_isfile(): os.path.isfile(FILE)
def path_isdir(): os.path.isdir(TMP)
def path_getsize(): os.path.getsize(FILE)
def path_getmtime(): os.path.getmtime(FILE)
def path_realpath(): os.path.realpath(FILE)
def pathlib_resolve(): pathlib.Path(FILE).resolve()
def shutil_copyfile(): shutil.copyfile(FILE, FILE + ".copy")
def shutil_copytree(): shutil.copytree(TMP, TMP + ".tree", dirs_exist_ok=True)
def shutil_rmtree(): shutil.rmtree(MISSING, ignore_errors=True)
def shutil_move(): _missing(lambda p: shutil.move(p, p + "2"))
def tempfile_mkstemp(): os.close(tempfile.mkstemp()[0])
def tempfile_mkdtemp(): tempfile.mkdtemp()
def tempfile_named(): tempfile.NamedTemporaryFile().close()
def tempfile_directory(): tempfile.TemporaryDirectory().cleanup()
def socket_connect(): socket.create_connection(ADDRESS).close()
def socket_accept(): _accept()
def _accept():
    client = socket.create_connection(SECOND.getsockname())
    SECOND.accept()[0].close()
    client.close()
def socket_send(): LEFT.send(b"x")
def socket_sendall(): LEFT.sendall(b"x")
def socket_recv(): LEFT.recv(1)
def dns_getaddrinfo(): socket.getaddrinfo("localhost", 80)
def dns_gethostbyname(): socket.gethostbyname("localhost")
def ssl_handshake(): _tls()
def ssl_context(): ssl.create_default_context()
def subprocess_popen(): subprocess.Popen(["true"]).wait()
def subprocess_run(): subprocess.run(["true"])
def subprocess_check_output(): subprocess.check_output(["true"])
def popen_communicate(): _communicate()
def _communicate():
    process = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    process.communicate(b"x")
def os_system(): os.system("true")
def os_popen(): os.popen("true").close()
def os_spawn(): os.spawnv(os.P_WAIT, "/bin/true", ["true"])
def os_waitpid(): os.waitpid(subprocess.Popen(["true"]).pid, 0)
def sqlite_connect(): sqlite3.connect(":memory:").close()
def event_wait(): threading.Event().wait(0.001)
def condition_wait(): _condition()
def _condition():
    condition = threading.Condition()
    with condition:
        condition.wait(0.001)
def thread_join(): _thread_join()
def _thread_join():
    thread = threading.Thread(target=time.sleep, args=(0.1,))  # alive when joined, even on a busy machine
    thread.start()
    thread.join()
def queue_get(): _queue_get()
def _queue_get():
    try:
        queue.Queue().get(timeout=0.001)
    except queue.Empty:
        pass
def semaphore_acquire(): threading.Semaphore(0).acquire(timeout=0.001)
def builtin_input(): _input()
def file_read(): _file_read()
def _file_read():
    READER.seek(0)
    READER.read()
def file_write(): WRITER.write("x")
def file_flush(): WRITER.flush()
def file_write_after_memory(): _write_to(io.StringIO()); _write_to(WRITER)
def _write_to(stream):
    stream.write("x")  # a site that wrote to memory first is still watched
def sqlite_execute(): DB.execute("insert into t values (1)")
def sqlite_commit(): DB.commit()
def lock_acquire(): _contended(threading.Lock())
def _contended(lock):
    lock.acquire()
    threading.Timer(0.1, lock.release).start()  # held by then, even on a busy machine
    lock.acquire()
    lock.release()
def rlock_acquire(): _held_elsewhere(threading.RLock())
def _held_elsewhere(lock):
    holding = []
    def hold():
        with lock:
            holding.append(True)
            time.sleep(0.1)  # in a thread of its own, where no loop runs
    threading.Thread(target=hold).start()
    while not holding:  # no call: the loop's thread only spins until the lock is taken
        pass
    lock.acquire()  # its owner is the other thread: this waits
    lock.release()
def simple_queue_get(): _simple_queue_get()
def _simple_queue_get():
    ready = queue.SimpleQueue()
    threading.Timer(0.1, ready.put, args=(1,)).start()
    ready.get()
def stdin_read(): _stdin_read()
def _stdin_read():
    try:
        sys.stdin.read(1)
    except (OSError, ValueError):  # pytest's capture refuses the read
        pass
'''

# kind -> the call name the finding must carry (its `call` or its `hooked`).
KINDS: dict[str, str] = {
    "time_sleep": "time.sleep",
    "builtin_open": "open",
    "io_open": "open",
    "os_open": "open",
    "os_fdopen": "open",
    "io_open_code": "open",
    "path_read_text": "pathlib.Path.read_text",
    "path_write_bytes": "pathlib.Path.write_bytes",
    "os_read": "os.read",
    "os_write": "os.write",
    "os_stat": "os.stat",
    "os_lstat": "os.lstat",
    "os_listdir": "os.listdir",
    "os_scandir": "os.scandir",
    "os_walk": "os.walk",
    "os_mkdir": "os.mkdir",
    "os_makedirs": "os.makedirs",
    "os_remove": "os.remove",
    "os_unlink": "os.remove",
    "os_rename": "os.rename",
    "os_replace": "os.rename",
    "os_rmdir": "os.rmdir",
    "path_exists": "os.path.exists",
    "path_isfile": "os.path.isfile",
    "path_isdir": "os.path.isdir",
    "path_getsize": "os.path.getsize",
    "path_getmtime": "os.path.getmtime",
    "path_realpath": "os.path.realpath",
    "pathlib_resolve": "pathlib.Path.resolve",
    "shutil_copyfile": "shutil.copyfile",
    "shutil_copytree": "shutil.copytree",
    "shutil_rmtree": "shutil.rmtree",
    "shutil_move": "shutil.move",
    "tempfile_mkstemp": "tempfile.mkstemp",
    "tempfile_mkdtemp": "tempfile.mkdtemp",
    "tempfile_named": "tempfile.NamedTemporaryFile",
    "tempfile_directory": "tempfile.TemporaryDirectory",
    "socket_connect": "socket.create_connection",
    "socket_accept": "socket.socket.accept",
    "socket_send": "socket.socket.send",
    "socket_sendall": "socket.socket.sendall",
    "socket_recv": "socket.socket.recv",
    "dns_getaddrinfo": "socket.getaddrinfo",
    "dns_gethostbyname": "socket.gethostbyname",
    "ssl_handshake": "ssl.SSLSocket.do_handshake",
    "ssl_context": "ssl.create_default_context",
    "subprocess_popen": "subprocess.Popen",
    "subprocess_run": "subprocess.run",
    "subprocess_check_output": "subprocess.check_output",
    "popen_communicate": "subprocess.Popen.communicate",
    "os_system": "os.system",
    "os_popen": "os.popen",
    "os_spawn": "os.spawnv",
    "os_waitpid": "os.waitpid",
    "sqlite_connect": "sqlite3.connect",
    "event_wait": "threading.Event.wait",
    "condition_wait": "threading.Condition.wait",
    "thread_join": "threading.Thread.join",
    "queue_get": "queue.Queue.get",
    "semaphore_acquire": "threading.Semaphore.acquire",
    "builtin_input": "input",
}
# Methods of C types, seen through sys.monitoring from Python 3.12.
MONITORED_KINDS: dict[str, str] = {
    "file_read": "io.BufferedReader.read",
    "file_write": "io.TextIOWrapper.write",
    "file_flush": "io.TextIOWrapper.flush",
    "file_write_after_memory": "io.TextIOWrapper.write",
    "sqlite_execute": "sqlite3.Connection.execute",
    "sqlite_commit": "sqlite3.Connection.commit",
    "lock_acquire": "threading.Lock.acquire",
    "rlock_acquire": "threading.RLock.acquire",
    "simple_queue_get": "queue.SimpleQueue.get",
    "stdin_read": "sys.stdin.read",
}
if sys.version_info >= (3, 12):
    KINDS.update(MONITORED_KINDS)
