"""Scope-aware name resolution: what does this call really call?"""

from __future__ import annotations

import ast
from collections.abc import Container, Mapping

from flake8_asyncblock.bindings import GLOBAL, NONLOCAL, OPAQUE, Binding, collect_bindings
from flake8_asyncblock.scope import Frame, Scope

__all__ = ["CONSTRUCTORS", "Names"]

#: Call (qualified name) -> type name of the value it returns. Rules add their
#: own through `Rule.constructors`; annotations naming a key map to its value.
CONSTRUCTORS: Mapping[str, str] = {
    "requests.Session": "requests.Session",
    "requests.session": "requests.Session",
    "requests.sessions.Session": "requests.Session",
    "pathlib.Path": "pathlib.Path",
    "pathlib.PosixPath": "pathlib.Path",
    "pathlib.WindowsPath": "pathlib.Path",
    "open": "io.IOBase",
    "io.open": "io.IOBase",
    "pathlib.Path.open": "io.IOBase",
}

_ASYNC_LIBRARIES = ("trio", "anyio", "asyncio")
_NONE: Binding = ("none", None)


class Names:
    """Resolve expressions to qualified names for the code the walk is visiting.

    Each scope is scanned for its bindings the first time a name is looked up
    in it, and each expression is resolved at most once.
    """

    def __init__(
        self,
        scope: Scope,
        constructors: Mapping[str, str] = CONSTRUCTORS,
        walrus: bool = True,
    ) -> None:
        self.scope = scope
        self.constructors = constructors
        self._walrus = walrus
        self._cache: dict[ast.AST, str | None] = {}
        self._library: str | None = None

    def qualified_name(self, expr: ast.AST) -> str | None:
        """Return the dotted name `expr` stands for, or None when unknown.

        `t.sleep` after `import time as t` gives "time.sleep"; `s.get` where
        `s = requests.Session()` gives "requests.Session.get"; builtins are
        plain ("open"); locals, parameters and shadowing names give None.
        """
        try:
            return self._cache[expr]
        except KeyError:
            pass
        result = self._qualified(expr, self.scope.frames)
        self._cache[expr] = result
        return result

    def call_name(self, call: ast.Call) -> str | None:
        """Return the qualified name of what `call` calls."""
        return self.qualified_name(call.func)

    def resolve_call(self, call: ast.Call, names: Container[str]) -> str | None:
        """Return the qualified name of `call`'s callee when it is one of `names`."""
        name = self.qualified_name(call.func)
        return name if name is not None and name in names else None

    def type_of(self, expr: ast.AST) -> str | None:
        """Return the known type name of the value of `expr` ("requests.Session")."""
        return self._type_of(expr, self.scope.frames)

    def async_library(self) -> str:
        """Return "trio", "anyio" or "asyncio": the one the module imports (trio first)."""
        if self._library is None:
            imported = {
                binding[1].partition(".")[0]
                for bindings in self._symbols(self.scope.frames[:1], 0).values()
                for binding in ([bindings] if isinstance(bindings, tuple) else bindings)
                if binding[0] == "alias" and isinstance(binding[1], str)
            }
            self._library = next((lib for lib in _ASYNC_LIBRARIES if lib in imported), "asyncio")
        return self._library

    def async_sleep(self) -> str:
        """Return the sleep to suggest: asyncio.sleep, trio.sleep or anyio.sleep."""
        return f"{self.async_library()}.sleep"

    def _qualified(self, expr: ast.AST, frames: list[Frame]) -> str | None:
        if isinstance(expr, ast.Name):
            kind, payload = self._lookup(expr.id, frames)
            return payload if kind == "alias" else None  # type: ignore[return-value]
        if isinstance(expr, ast.Attribute):
            base = self._qualified(expr.value, frames)
            if base is None:
                base = self._type_of(expr.value, frames)
            if base is None:
                return None
            name = f"{base}.{expr.attr}"
            return name[9:] if name.startswith("builtins.") else name
        return None

    def _type_of(self, expr: ast.AST, frames: list[Frame]) -> str | None:
        if isinstance(expr, ast.Name):
            kind, payload = self._lookup(expr.id, frames)
            return payload if kind == "type" else None  # type: ignore[return-value]
        if isinstance(expr, ast.Call):
            callee = self._qualified(expr.func, frames)
            return self.constructors.get(callee) if callee else None
        return None

    def _lookup(self, name: str, frames: list[Frame]) -> Binding:
        index = len(frames) - 1
        innermost = True
        while index >= 0:
            frame = frames[index]
            if frame.is_class and not innermost:
                index -= 1
                continue
            innermost = False
            if name in self._symbols(frames, index):
                found = self._settle(frame, name, frames[: index + 1])
                if found == GLOBAL:
                    return self._lookup(name, frames[:1]) if index else OPAQUE
                if found != NONLOCAL:
                    return found
            index -= 1
        return ("alias", name)

    def _symbols(self, frames: list[Frame], index: int) -> dict:
        frame = frames[index]
        if frame.symbols is None:
            frame.symbols = collect_bindings(frame.node, self._walrus)
        return frame.symbols

    def _settle(self, frame: Frame, name: str, frames: list[Frame]) -> Binding:
        """Turn the bindings of `name` in `frame` into one meaning, once."""
        symbols = frame.symbols
        assert symbols is not None
        entry = symbols[name]
        if isinstance(entry, tuple):
            return entry
        for mark in (GLOBAL, NONLOCAL):
            if mark in entry:
                symbols[name] = mark
                return mark
        symbols[name] = OPAQUE  # a cycle such as `a = b; b = a` stays unknown
        meanings = {self._meaning(b, frames) for b in entry}
        if len(meanings) > 1:
            meanings.discard(_NONE)  # `except ImportError: requests = None`
        meaning = meanings.pop() if len(meanings) == 1 else OPAQUE
        symbols[name] = OPAQUE if meaning == _NONE else meaning
        return symbols[name]

    def _meaning(self, binding: Binding, frames: list[Frame]) -> Binding:
        kind, payload = binding
        if kind == "value":
            if isinstance(payload, ast.Constant) and payload.value is None:
                return _NONE
            alias = self._qualified(payload, frames)  # type: ignore[arg-type]
            if alias is not None:
                return ("alias", alias)
            kind = "with"
        if kind == "with":
            typed = self._type_of(payload, frames)  # type: ignore[arg-type]
            return ("type", typed) if typed else OPAQUE
        if kind == "ann":
            # Parameter annotations belong to the enclosing scope.
            outer = frames[:-1] if frames[-1].is_function else frames
            typed = self._annotation(payload, outer)  # type: ignore[arg-type]
            return ("type", typed) if typed else OPAQUE
        return binding

    def _annotation(self, ann: ast.expr, frames: list[Frame]) -> str | None:
        if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
            try:
                ann = ast.parse(ann.value, mode="eval").body
            except (SyntaxError, ValueError):
                return None
        if isinstance(ann, ast.BinOp) and isinstance(ann.op, ast.BitOr):
            sides = [s for s in (ann.left, ann.right) if not _is_none(s)]
            return self._annotation(sides[0], frames) if len(sides) == 1 else None
        if isinstance(ann, ast.Subscript):
            if self._qualified(ann.value, frames) in ("typing.Optional", "Optional"):
                return self._annotation(ann.slice, frames)
            return None
        name = self._qualified(ann, frames)
        return self.constructors.get(name, name) if name else None


def _is_none(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is None
