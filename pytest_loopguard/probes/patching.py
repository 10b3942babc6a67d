"""Reversible patches: replace an attribute now, or as soon as a module is imported.

`AttributePatch` swaps one attribute of a class or module and puts back exactly
what was there (or deletes it when it was inherited). If something else patched
the same attribute on top of ours meanwhile, restoring leaves theirs alone, so
the wrapper must stay harmless when left behind.

`WhenImported` defers a patch until an optional library is imported. trio costs
about 160 ms to import and uvloop 50 ms; importing them just to patch them would
tax every run that never uses them. The hook sits first on `sys.meta_path`,
lets the other finders locate the module and wraps the loader so the patch is
applied right after the module's code ran, before anyone can call into it.
"""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any, TypeVar

from pytest_loopguard.probes.hub import Hub

__all__ = ["AttributePatch", "LazyProbe", "ProbeNotInstalled", "WhenImported", "wrapping"]

_MISSING = object()
_Function = TypeVar("_Function", bound=Callable[..., Any])


class ProbeNotInstalled(Exception):
    """A probe could not patch its library: loops of that kind run unwatched."""

    def __init__(self, kind: str, cause: BaseException, consequence: str = "") -> None:
        super().__init__(
            f"{consequence or f'{kind} loops are not watched'}: the {kind} probe could not be "
            f"installed ({type(cause).__name__}: {cause})"
        )
        self.kind = kind
        self.__cause__ = cause


def wrapping(wrapper: _Function, original: object) -> _Function:
    """Return `wrapper`, marked as wrapping `original` so that `inspect.unwrap` finds it."""
    vars(wrapper)["__wrapped__"] = original
    return wrapper


class AttributePatch:
    """Replace `owner.name` with `replacement` until `restore()`."""

    def __init__(self, owner: Any, name: str, replacement: object) -> None:
        self.owner = owner
        self.name = name
        self.replacement = replacement
        self.original: Any = getattr(owner, name)
        self._own = vars(owner).get(name, _MISSING)

    def apply(self) -> None:
        """Install the replacement."""
        setattr(self.owner, self.name, self.replacement)

    def restore(self) -> None:
        """Put back what was there, unless someone patched over us since."""
        if vars(self.owner).get(self.name, _MISSING) is not self.replacement:
            return
        if self._own is _MISSING:
            delattr(self.owner, self.name)
        else:
            setattr(self.owner, self.name, self._own)


class WhenImported(importlib.abc.MetaPathFinder):
    """Call `callback(module)` once `module_name` is imported (now, if it already is).

    An exception of the callback goes to `on_error` when one is given, and
    never reaches the code that imported the module; without `on_error` it
    propagates.
    """

    def __init__(
        self,
        module_name: str,
        callback: Callable[[ModuleType], None],
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self.module_name = module_name
        self.callback = callback
        self.on_error = on_error
        self._searching = False

    def install(self) -> None:
        """Run the callback now if the module is loaded, else wait for its import."""
        module = sys.modules.get(self.module_name)
        if module is not None:
            self._call(module)
        elif self not in sys.meta_path:
            sys.meta_path.insert(0, self)

    def uninstall(self) -> None:
        """Stop waiting for the import."""
        if self in sys.meta_path:
            sys.meta_path.remove(self)

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        """Let the other finders find the module, then wrap its loader."""
        if fullname != self.module_name or self._searching:
            return None
        self._searching = True
        try:
            spec = _find_with_others(self, fullname, path, target)
        finally:
            self._searching = False
        if spec is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _NotifyingLoader(spec.loader, self._loaded)
        return spec

    def _loaded(self, module: ModuleType) -> None:
        self.uninstall()
        self._call(module)

    def _call(self, module: ModuleType) -> None:
        if self.on_error is None:
            self.callback(module)
            return
        try:
            self.callback(module)
        except Exception as exc:  # a failed patch must never break the user's import
            self.on_error(exc)


def _find_with_others(me: object, fullname: str, path: Any, target: Any) -> Any:
    """Ask every finder on sys.meta_path except `me`."""
    for finder in list(sys.meta_path):
        find_spec = getattr(finder, "find_spec", None)
        if finder is me or find_spec is None:
            continue
        spec = find_spec(fullname, path, target)
        if spec is not None:
            return spec
    return None


class _NotifyingLoader(importlib.abc.Loader):
    """Delegate to the real loader and report the module once its code ran."""

    def __init__(self, loader: Any, loaded: Callable[[ModuleType], None]) -> None:
        self._loader = loader
        self._notify = loaded

    def create_module(self, spec: Any) -> ModuleType | None:
        module: ModuleType | None = self._loader.create_module(spec)
        return module

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        self._notify(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


class LazyProbe:
    """A probe that patches one attribute of an optional library once it is imported.

    Subclasses name the module whose import triggers the patch and say, in
    `patch_for(module)`, which attribute to replace with what.
    """

    kind = ""
    trigger_module = ""
    not_watched = ""  # what goes unseen when the patch fails; "" : loops of this kind

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._patch: AttributePatch | None = None
        self._hook = WhenImported(self.trigger_module, self._patch_module, self._not_installed)

    def install(self) -> None:
        """Patch now if the library is loaded, else when it gets imported."""
        self._hook.install()

    def uninstall(self) -> None:
        """Stop waiting for the import and restore the patched attribute."""
        self._hook.uninstall()
        if self._patch is not None:
            self._patch.restore()
            self._patch = None

    def patch_for(self, module: ModuleType) -> AttributePatch:
        """Return the patch to apply to the freshly imported `module`; raise if there is none."""
        raise NotImplementedError

    def _patch_module(self, module: ModuleType) -> None:
        if self._patch is not None or not self.hub.started:
            return
        patch = self.patch_for(module)
        self._patch = patch
        patch.apply()

    def _not_installed(self, exc: Exception) -> None:
        self.hub.internal_error(ProbeNotInstalled(self.kind, exc, self.not_watched))
