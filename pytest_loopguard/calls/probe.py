"""The calls probe: one audit hook and the catalogue's wrappers, reporting to a CallRecorder.

An audit hook cannot be removed, so the process gets one, on the first
install, and it returns at once (one lookup in an empty table) whenever no
recorder is installed: when calls mode is off, between sessions and after the
last one. The wrappers replace Python-level attributes only and are put back
by `uninstall`. Nothing here raises into the code that made the call: a
blocking call is recorded and the call goes on as without loopguard.

A call counts when a loop runs on the calling thread: asyncio's running loop
(uvloop sets the same) or a trio run. Calls that the hooks see while they are
busy deciding about another call (the `poll()` a `Popen.wait` check makes) are
ignored, so the probe never reports itself. Nor does a call made while the
thread is stopped at a pdb prompt count: pdb reading stdin, or an expression
the user runs there, is not the test's code. The debugger probe that sees the
stops is installed with the wrappers (the stall detector installs its own).
"""

from __future__ import annotations

import functools
import importlib
import sys
import threading
import time
import types
from asyncio import events
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from pytest_loopguard.calls import monitor
from pytest_loopguard.calls.catalogue import AUDIT_CALLS, WRAPPED_CALLS, AuditCall, WrappedCall
from pytest_loopguard.calls.recorder import CallRecorder
from pytest_loopguard.probes.debugger import DebuggerProbe, at_prompt
from pytest_loopguard.probes.patching import AttributePatch

if TYPE_CHECKING:
    from pytest_loopguard.probes.hub import Hub

__all__ = ["CallsProbe", "loop_kind"]

_get_running_loop = events._get_running_loop
_recorders: list[CallRecorder] = []  # installed recorders; the last one records
_recorder: CallRecorder | None = None
_events: dict[str, AuditCall] = {}  # audit event -> entry; empty while nothing is installed
_hook_added = False
_patches: list[AttributePatch] = []  # the wrappers, applied by the first probe in
_debugger: DebuggerProbe | None = None  # sees pdb stops while the wrappers are on
_busy = threading.local()
_PROBE = AuditCall("", "")  # marks an event the interpreter is being asked about


def loop_kind() -> str | None:
    """Name the kind of loop running on this thread, or None."""
    loop = _get_running_loop()
    if loop is not None:
        return "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"
    run = sys.modules.get("trio._core._run")
    if run is not None and hasattr(run.GLOBAL_RUN_CONTEXT, "runner"):
        return "trio"
    return None


def _note(call: str, static: tuple[str, ...], check: Callable[..., bool] | None,
          args: Any, kwargs: dict[str, Any] | None) -> None:
    """Record a hooked call if a loop runs here and the call blocks; never raises."""
    recorder = _recorder
    if recorder is None or not recorder.on:
        return
    kind = loop_kind()
    if kind is None or getattr(_busy, "on", False) or at_prompt(threading.get_ident()):
        return
    _busy.on = True
    try:
        if check is not None:
            blocks = check(args) if kwargs is None else check(*args, **kwargs)
            if not blocks:
                return
        recorder.record(call, static, sys._getframe(1), kind)
    except Exception as exc:
        recorder.internal_error(exc)
    finally:
        _busy.on = False


def _internal_error(exc: BaseException) -> None:
    recorder = _recorder
    if recorder is not None:
        recorder.internal_error(exc)


class _StopsHub:
    """What the debugger probe asks of a hub: a clock, leave to patch, a place for errors."""

    clock = staticmethod(time.perf_counter)
    started = True

    def internal_error(self, exc: BaseException) -> None:
        _internal_error(exc)


def _audit_hook(event: str, args: tuple[Any, ...]) -> None:
    entry = _events.get(event)
    if entry is None:
        return
    if entry is _PROBE:
        _seen_events.add(event)
        return
    _note(entry.call, entry.static, entry.check, args, None)


_seen_events: set[str] = set()


def _interpreter_raises(event: str, trigger: Callable[[], object]) -> bool:
    """Tell whether the interpreter raises audit `event` (time.sleep's came in 3.13)."""
    _events[event] = _PROBE
    try:
        trigger()
    finally:
        del _events[event]
    return event in _seen_events


def _make_wrapper(entry: WrappedCall, original: Any) -> Callable[..., Any]:
    call, static, check = entry.call, entry.static, entry.check
    if entry.style == "try_first":

        def try_first(self: Any, blocking: bool = True, timeout: float | None = None) -> Any:
            if _recorder is None or not blocking:
                return original(self, blocking, timeout)
            if original(self, False):
                return True
            _note(call, static, None, (), {})
            return original(self, blocking, timeout)

        wrapper: Callable[..., Any] = try_first
    else:

        def checked(*args: Any, **kwargs: Any) -> Any:
            if _recorder is not None:
                _note(call, static, check, args, kwargs)
            return original(*args, **kwargs)

        wrapper = checked
    try:
        functools.update_wrapper(wrapper, original)
    except (AttributeError, TypeError):
        wrapper.__wrapped__ = original  # type: ignore[attr-defined]
    return wrapper


def _owner_and_name(entry: WrappedCall) -> tuple[Any, str] | None:
    """Find the object holding the attribute to wrap; None when this Python has none."""
    try:
        owner: Any = importlib.import_module(entry.module)
    except ImportError:
        return None
    *path, name = entry.attribute.split(".")
    for part in path:
        owner = getattr(owner, part, None)
        if owner is None:
            return None
    if not hasattr(owner, name):
        return None
    return owner, name


def _patch_for(entry: WrappedCall) -> AttributePatch | None:
    found = _owner_and_name(entry)
    if found is None:
        return None
    owner, name = found
    original = getattr(owner, name)
    wrapper: Any = _make_wrapper(entry, original)
    if isinstance(owner, type) and isinstance(vars(owner).get(name), types.BuiltinFunctionType):
        wrapper = staticmethod(wrapper)  # a builtin stored on a class does not bind self
    return AttributePatch(owner, name, wrapper)


class CallsProbe:
    """Install the audit hook (once per process) and the wrappers for one recorder."""

    def __init__(self, recorder: CallRecorder) -> None:
        self.recorder = recorder

    def install(self) -> None:
        """Start feeding the recorder; a probe installed inside another takes over until removed."""
        global _recorder, _hook_added, _debugger
        if not _hook_added:
            sys.addaudithook(_audit_hook)
            _hook_added = True
        first = not _recorders
        _recorders.append(self.recorder)
        _recorder = self.recorder
        if first:
            _patches.extend(_apply_patches())
            _events.update((entry.event, entry) for entry in AUDIT_CALLS)
            _debugger = DebuggerProbe(cast("Hub", _StopsHub()))
            _debugger.install()
            try:
                monitor.start(_note, _internal_error)
            except RuntimeError as exc:  # another tool holds the ids: the C methods go unseen
                self.recorder.internal_error(exc)

    def uninstall(self) -> None:
        """Stop feeding the recorder; the last probe out takes the wrappers off."""
        global _recorder, _debugger
        if self.recorder in _recorders:
            _recorders.remove(self.recorder)
        _recorder = _recorders[-1] if _recorders else None
        if not _recorders:
            monitor.stop()
            _events.clear()
            if _debugger is not None:
                _debugger.uninstall()
                _debugger = None
            for patch in reversed(_patches):
                patch.restore()
            _patches.clear()


def _apply_patches() -> list[AttributePatch]:
    patches = []
    for entry in WRAPPED_CALLS:
        if entry.unless_event and _interpreter_raises(entry.unless_event, _trigger(entry)):
            continue
        patch = _patch_for(entry)
        if patch is not None:
            patch.apply()
            patches.append(patch)
    return patches


def _trigger(entry: WrappedCall) -> Callable[[], object]:
    """A harmless call that raises the entry's audit event where the interpreter has one."""
    found = _owner_and_name(entry)
    if found is None:
        return lambda: None
    function = getattr(*found)
    return lambda: function(0)
