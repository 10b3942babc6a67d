"""The calls probe's view of C methods: `sys.monitoring` CALL events (Python 3.12+).

Methods of C types (a file object's `read`, `sqlite3.Connection.execute`,
`Lock.acquire`, `SimpleQueue.get`) cannot be wrapped without patching the
types in place, which we never do. From Python 3.12 the interpreter reports
every call Python code makes: the first call at a site whose callable is not on
the catalogue returns DISABLE, so that site costs nothing afterwards; sites that
call a catalogued method keep reporting, and the probe counts them only while a
loop runs on the thread and the call would block. What C code calls (`print`
writing to a file, `with lock:` entering it) produces no event and is not seen.
"""

from __future__ import annotations

import functools
import io
import sys
import types
from collections.abc import Callable
from typing import Any

from pytest_loopguard.calls.catalogue import FILE_METHODS, MONITORED_CALLS, STDIN_READS, Check
from pytest_loopguard.calls.conditions import Arguments

__all__ = ["Note", "available", "start", "stop"]

# The probe's `_note`: (call, static names, check, check's args, check's kwargs).
Note = Callable[[str, tuple[str, ...], Check | None, Any, dict[str, Any] | None], None]
TOOL_NAME = "pytest-loopguard"
# sys.monitoring's own ids are 0 (debugger), 1 (coverage), 2 (profiler), 5 (optimizer).
_TOOL_IDS = (4, 3)
_CONSTANT_LOADS = frozenset({"LOAD_CONST", "LOAD_SMALL_INT"})
# The type checker runs for Python 3.10, which has no sys.monitoring.
_monitoring: Any = getattr(sys, "monitoring", None)
_DISABLE: object = getattr(_monitoring, "DISABLE", None)

_Target = tuple[str, str, Check | None]  # method, call prefix, check
_targets: dict[Any, _Target] = {}
_prefixes: dict[type, str] = {}  # the catalogue's C types -> their prefix
# Methods of other file objects (`BytesIO.write`): their sites stay watched, since the
# same `stream.write(data)` may get a real file next time.
_other_io: set[Any] = set()
_tool: int | None = None
_note: Note | None = None
_error: Callable[[BaseException], None] | None = None


def available() -> bool:
    """Tell whether this interpreter has `sys.monitoring`."""
    return _monitoring is not None


def _load_targets() -> None:
    for entry in MONITORED_CALLS:
        try:
            owner = getattr(__import__(entry.module), entry.owner)
        except (ImportError, AttributeError):
            continue
        _prefixes.setdefault(owner, entry.call)
        for method in entry.methods:
            descriptor = getattr(owner, method, None)
            if isinstance(descriptor, types.MethodDescriptorType):
                _targets.setdefault(descriptor, (method, entry.call, entry.check))


def start(note: Note, error: Callable[[BaseException], None]) -> None:
    """Start reporting catalogued calls to `note`; raise RuntimeError when no tool id is free."""
    global _tool, _note, _error
    if _tool is not None or not available():
        return
    monitoring = _monitoring
    for tool in _TOOL_IDS:
        if monitoring.get_tool(tool) is None:
            break
    else:
        taken = ", ".join(f"{t}: {monitoring.get_tool(t)}" for t in _TOOL_IDS)
        raise RuntimeError(f"sys.monitoring has no free tool id for {TOOL_NAME} ({taken})")
    if not _targets:
        _load_targets()
    monitoring.use_tool_id(tool, TOOL_NAME)
    _tool, _note, _error = tool, note, error
    monitoring.register_callback(tool, monitoring.events.CALL, _on_call)
    monitoring.set_events(tool, monitoring.events.CALL)


def stop() -> None:
    """Stop the events and give the tool id back."""
    global _tool, _note
    if _tool is None:
        return
    monitoring = _monitoring
    monitoring.set_events(_tool, 0)
    monitoring.register_callback(_tool, monitoring.events.CALL, None)
    monitoring.free_tool_id(_tool)
    _tool, _note = None, None


def _on_call(code: types.CodeType, offset: int, function: object, arg0: object) -> object:
    """One call made by Python code; DISABLE its site unless it may call a catalogued method."""
    try:
        return _seen(code, offset, function, arg0)
    except Exception as exc:  # never into the code that made the call
        if _error is not None:
            _error(exc)
        return None


def _seen(code: types.CodeType, offset: int, function: Any, arg0: Any) -> object:
    try:
        target = _targets.get(function)
    except TypeError:  # an unhashable callable
        return _DISABLE
    if target is None:
        kind = type(function)
        if kind is types.BuiltinMethodType:  # `read = f.read; read()`
            arg0 = function.__self__
            target = _targets.get(getattr(type(arg0), function.__name__, None))
        elif kind is types.FunctionType or kind is types.MethodType:
            # A read method written in Python (pytest's stdin while it captures) counts
            # only on sys.stdin; the site stays watched, it may read stdin later.
            if function.__name__ not in STDIN_READS:
                return _DISABLE
            if kind is types.MethodType:
                arg0 = function.__self__
            if _is_stdin(arg0) and _note is not None:
                _note(f"sys.stdin.{function.__name__}", (), None, (), {})
            return None
        elif kind is types.MethodDescriptorType and _is_io(function):
            return None
        if target is None:
            return _DISABLE
    method, prefix, check = target
    note = _note
    if note is None or arg0 is sys.stdout or arg0 is sys.stderr:
        return None
    if method in STDIN_READS and _is_stdin(arg0):
        note(f"sys.stdin.{method}", (), None, (), {})
        return None
    if arg0 is sys.__stdout__ or arg0 is sys.__stderr__:  # terminal output, as print is
        return None
    call = f"{_prefixes.get(type(arg0), prefix)}.{method}"
    note(call, (), None if check is None else _decoded, (check, arg0, code, offset), {})
    return None


def _is_io(descriptor: Any) -> bool:
    """A read, write or flush of another file object: its site may get a real file later."""
    if descriptor in _other_io:
        return True
    if descriptor.__name__ in FILE_METHODS and issubclass(descriptor.__objclass__, io.IOBase):
        _other_io.add(descriptor)
        return True
    return False


def _is_stdin(stream: object) -> bool:
    for stdin in (sys.stdin, sys.__stdin__):
        if stdin is not None and (stream is stdin or stream is getattr(stdin, "buffer", None)):
            return True
    return False


def _decoded(check: Check, target: object, code: types.CodeType, offset: int) -> bool:
    return check(target, _arguments(code, offset))


@functools.lru_cache(maxsize=1024)
def _arguments(code: types.CodeType, offset: int) -> Arguments:
    """Read a call's arguments from its site when all of them are constants; else None."""
    import dis  # only when a lock or a queue would wait: most sessions never need it
    instructions = list(dis.get_instructions(code))
    index = next((i for i, ins in enumerate(instructions) if ins.offset == offset), None)
    if index is None or instructions[index].opname not in ("CALL", "CALL_KW"):
        return None
    count = instructions[index].arg or 0
    names: tuple[str, ...] = ()
    end = index
    before = instructions[index - 1] if index else None
    if before is not None and (
        before.opname == "KW_NAMES"  # 3.12
        or (instructions[index].opname == "CALL_KW" and before.opname == "LOAD_CONST")  # 3.13
    ):
        names, end = tuple(before.argval), index - 1
    loads = instructions[end - count:end] if count else []
    if len(loads) != count or any(ins.opname not in _CONSTANT_LOADS for ins in loads):
        return None
    values = [ins.argval for ins in loads]
    split = count - len(names)
    return tuple(values[:split]), dict(zip(names, values[split:]))
