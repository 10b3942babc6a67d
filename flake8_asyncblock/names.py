"""Scope-aware name resolution: what does this call really call?"""

from __future__ import annotations

import ast
import bisect
from collections.abc import Container, Mapping, Sequence

from flake8_asyncblock.bindings import GLOBAL, NONLOCAL, OPAQUE, Binding, collect_bindings
from flake8_asyncblock.libraries import ASYNCIO, LIBRARIES, AsyncLibrary
from flake8_asyncblock.scope import Frame, Scope

__all__ = ["ATTRIBUTE_TYPES", "CONSTRUCTORS", "Names", "walrus_lines"]

#: Call (qualified name) -> type name of the value it returns. Rules add their
#: own through `Rule.constructors`; annotations naming a key map to its value.
#: `T()` keys type a call of a value of type T, `T["key"]`/`T[]` its items and
#: `T.*` any of its attributes; `*Suffix(T)` a call of any `...Suffix` given a T.
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

#: Attribute (qualified name) -> type name of its value: `Path(p).parent` is a Path.
ATTRIBUTE_TYPES: Mapping[str, str] = {
    "pathlib.Path.parent": "pathlib.Path",
}
#: Types for which `value / "part"` gives a value of the same type.
_DIVISIBLE = frozenset({"pathlib.Path"})

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
        walrus: bool | Sequence[int] = True,
        roots: frozenset[str] = frozenset(),
    ) -> None:
        self.scope = scope
        #: The project's top-level packages: a call of a class imported from one makes an instance of it.
        self.roots = roots
        self.constructors = constructors
        self._walrus = walrus
        self._cache: dict[ast.AST, str | None] = {}
        self._library: AsyncLibrary | None = None
        self._members: dict[ast.AST, dict] = {}
        self._self_types: dict[tuple[ast.AST, str], str | None] = {}
        self._inits: dict[ast.AST, tuple[list[Frame], dict[str, list[ast.expr | None]]] | None] = {}
        # A name's meaning from a scope, and what class an expression is or makes, depend only
        # on the scope (its frame, whose enclosing frames are fixed): the rules and the
        # summaries ask for both for every call, so each is looked up once per scope.
        self._lookups: dict[tuple[str, Frame], Binding] = {}
        self._owners: dict[tuple[object, Frame], ast.ClassDef | None] = {}
        self._settling = 0  # inside `_settle`, a name being settled reads as OPAQUE: not kept
        self._any_attribute, self._by_argument = _patterns(constructors)

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

    def async_library(self) -> AsyncLibrary:
        """Return the library the module imports: trio, else anyio, else asyncio."""
        if self._library is None:
            imported = {
                binding[1].partition(".")[0]
                for bindings in self._symbols(self.scope.frames[:1], 0).values()
                for binding in ([bindings] if isinstance(bindings, tuple) else bindings)
                if binding[0] == "alias" and isinstance(binding[1], str)
            }
            self._library = next((lib for lib in LIBRARIES if lib.name in imported), ASYNCIO)
        return self._library

    def is_local(self, name: str) -> bool:
        """Tell whether `name` is bound in the innermost scope (parameter, assignment, ...)."""
        frames = self.scope.frames
        return name in self._symbols(frames, len(frames) - 1)

    def definition(self, expr: ast.AST) -> ast.AST | None:
        """Return the `def`/`async def`/`class` statement `expr` names, or None.

        Handles `f` (also through `g = f`), `self.f` in a method of the class
        defining `f`, and `Cls.f`.
        """
        if isinstance(expr, ast.Attribute):  # the owner, as `owner` finds it (and keeps it)
            owner = self.owner(expr.value)
            return self._member(owner, expr.attr, self.scope.frames[:1], set()) if owner else None
        return self._definition(expr, self.scope.frames)

    def method(self, owner: ast.ClassDef, name: str) -> ast.AST | None:
        """Return the `def` of `name` in the class `owner` or its bases of this module."""
        return self._member(owner, name, self.scope.frames[:1], set())

    def owner(self, expr: ast.AST) -> ast.ClassDef | None:
        """Return the class of this module that `expr` is, or is an instance of (`self`, `c = Client()`)."""
        frames = self.scope.frames
        key = (expr.id if isinstance(expr, ast.Name) else expr, frames[-1])  # a name means one thing per scope
        try:
            return self._owners[key]
        except KeyError:
            pass
        found = (
            self._definition(expr, frames) or self._self_class(expr, frames)
            or self._instance_class(expr, frames)
        )
        owner = self._owners[key] = found if isinstance(found, ast.ClassDef) else None
        return owner

    def members(self, owner: ast.ClassDef) -> frozenset[str]:
        """Return the names the body of the class `owner` binds (methods, attributes, ...)."""
        if owner not in self._members:
            self._members[owner] = collect_bindings(owner, walrus=False)
        return frozenset(self._members[owner])

    def _definition(self, expr: ast.AST, frames: list[Frame]) -> ast.AST | None:
        if isinstance(expr, ast.Name):
            kind, payload = self._lookup(expr.id, frames)
            return payload if kind == "def" else None  # type: ignore[return-value]  # the kind fixes the payload's type
        if not isinstance(expr, ast.Attribute):
            return None
        owner = (
            self._definition(expr.value, frames)
            or self._self_class(expr.value, frames)
            or self._instance_class(expr.value, frames)
        )
        if not isinstance(owner, ast.ClassDef):
            return None
        return self._member(owner, expr.attr, frames[:1], set())

    def _member(
        self, owner: ast.ClassDef, attr: str, module: list[Frame], seen: set[ast.AST]
    ) -> ast.AST | None:
        """Return the one `def` of `attr` in `owner` or, if it has none, in its module's bases."""
        if owner not in self._members:
            self._members[owner] = collect_bindings(owner, walrus=False)
        found = self._members[owner].get(attr, [])
        if found:
            return found[0][1] if len(found) == 1 and found[0][0] == "def" else None
        seen.add(owner)
        for base in owner.bases:
            parent = self._definition(base, module)
            if isinstance(parent, ast.ClassDef) and parent not in seen:
                member = self._member(parent, attr, module, seen)
                if member is not None:
                    return member
        return None

    def _instance_class(self, expr: ast.AST, frames: list[Frame]) -> ast.ClassDef | None:
        """Return the class of `expr` when it is an instance of a class defined here."""
        if isinstance(expr, ast.Call):
            made = self._definition(expr.func, frames)  # `Client().fetch()`
            return made if isinstance(made, ast.ClassDef) else None
        if not isinstance(expr, ast.Name):
            return None
        kind, payload = self._lookup(expr.id, frames)
        return payload if kind == "instance" else None  # type: ignore[return-value]  # the kind fixes the payload's type

    def _self_class(self, expr: ast.AST, frames: list[Frame]) -> ast.ClassDef | None:
        """Return the class whose method binds `expr` (a Name) as its first parameter."""
        if not isinstance(expr, ast.Name):
            return None
        for index in range(len(frames) - 1, 0, -1):
            node = frames[index].node
            if frames[index].is_class or expr.id not in self._symbols(frames, index):
                continue
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return None
            params = [*node.args.posonlyargs, *node.args.args]
            owner = frames[index - 1].node
            if params and params[0].arg == expr.id and isinstance(owner, ast.ClassDef):
                return owner
            return None
        return None

    def _qualified(self, expr: ast.AST, frames: list[Frame]) -> str | None:
        if isinstance(expr, ast.Name):
            kind, payload = self._lookup(expr.id, frames)
            return payload if kind == "alias" else None  # type: ignore[return-value]  # the kind fixes the payload's type
        if isinstance(expr, ast.Attribute):
            base = self._qualified(expr.value, frames)
            if base is None:
                base = self._type_of(expr.value, frames, qualified=False)
            else:
                base = self._attribute_type(base) or base
            if base is None:
                return None
            name = f"{base}.{expr.attr}"
            return name[9:] if name.startswith("builtins.") else name
        return None

    def _type_of(self, expr: ast.AST, frames: list[Frame], qualified: bool = True) -> str | None:
        """Return the type of `expr`; `qualified=False`: `expr` is known to have no name."""
        if isinstance(expr, ast.Name):
            kind, payload = self._lookup(expr.id, frames)
            return payload if kind == "type" else None  # type: ignore[return-value]  # the kind fixes the payload's type
        if isinstance(expr, ast.Call):
            callee = self._qualified(expr.func, frames)
            if callee is None:  # a typed value called: `Session()` after `Session = sessionmaker()`
                held = self._type_of(expr.func, frames, qualified=False)
                return self.constructors.get(f"{held}()") if held else None
            typed = self.constructors.get(callee)
            if typed is None and self._by_argument and expr.args:
                typed = self._typed_by_argument(callee, expr.args[0], frames)
            if typed is None and self.roots and _project_class(callee, self.roots):
                typed = callee  # `c = Client()` with `from .client import Client`
            return typed
        if isinstance(expr, ast.Subscript):
            return self._item_type(expr, frames)
        if isinstance(expr, ast.Attribute):
            name = self._qualified(expr, frames) if qualified else None
            if name is not None:
                return self._attribute_type(name)
            return self._self_attribute(expr, frames)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Div):
            left = self._type_of(expr.left, frames)
            return left if left in _DIVISIBLE else None
        return None

    def _typed_by_argument(self, callee: str, first: ast.expr, frames: list[Frame]) -> str | None:
        for suffix, argument, typed in self._by_argument:
            if callee.endswith(suffix) and self._type_of(first, frames) == argument:
                return typed
        return None

    def _attribute_type(self, name: str) -> str | None:
        """Return the type of the attribute `name` ("pathlib.Path.parent"), if known."""
        typed = ATTRIBUTE_TYPES.get(name)
        if typed is None and self._any_attribute:
            typed = self._any_attribute.get(name.rpartition(".")[0])
        return typed

    def _item_type(self, expr: ast.Subscript, frames: list[Frame]) -> str | None:
        """Type `x["key"]` from constructors keyed `T["key"]` (that key) or `T[]` (any)."""
        held = self._type_of(expr.value, frames)
        if held is None:
            return None
        key = expr.slice
        if isinstance(key, ast.Constant) and f"{held}[{key.value!r}]" in self.constructors:
            return self.constructors[f"{held}[{key.value!r}]"]
        return self.constructors.get(f"{held}[]")

    def _self_attribute(self, expr: ast.Attribute, frames: list[Frame]) -> str | None:
        """Type `self.x` in a method from what the class's `__init__` assigns to it."""
        if len(frames) < 2 or not frames[-2].is_class or not isinstance(expr.value, ast.Name):
            return None
        method = frames[-1].node
        if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        params = [*method.args.posonlyargs, *method.args.args]
        if not params or params[0].arg != expr.value.id:
            return None
        key = (frames[-2].node, expr.attr)
        if key not in self._self_types:
            self._self_types[key] = None  # guards against `self.a = self.a`
            self._self_types[key] = self._init_assigns(frames[:-1], expr.attr)
        return self._self_types[key]

    def _init_assigns(self, frames: list[Frame], attr: str) -> str | None:
        owner = frames[-1].node
        if owner not in self._inits:
            self._inits[owner] = _init_assignments(frames)
        found = self._inits[owner]
        if found is None:
            return None
        inner, values = found
        types = {self._type_of(value, inner) if value else None for value in values.get(attr, ())}
        return types.pop() if len(types) == 1 else None

    def _lookup(self, name: str, frames: list[Frame]) -> Binding:
        key = (name, frames[-1])
        found = self._lookups.get(key)
        if found is None:
            found = self._find(name, frames)
            if not self._settling:
                self._lookups[key] = found
        return found

    def _find(self, name: str, frames: list[Frame]) -> Binding:
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
            walrus = self._walrus
            if not isinstance(walrus, bool):
                walrus = _spans(frame.node, walrus)
            frame.symbols = collect_bindings(frame.node, walrus)
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
        self._settling += 1
        try:
            meanings = {self._meaning(b, frames) for b in entry}
        finally:
            self._settling -= 1
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
            alias = self._qualified(payload, frames)  # type: ignore[arg-type]  # the kind fixes the payload's type
            if alias is not None:
                typed = self._attribute_type(alias)
                return ("type", typed) if typed else ("alias", alias)
            if isinstance(payload, ast.Name):
                named = self._lookup(payload.id, frames)
                if named[0] == "def":
                    return named
            if isinstance(payload, ast.Call):
                made = self._definition(payload.func, frames)
                if isinstance(made, ast.ClassDef):
                    return ("instance", made)  # `c = Client()`
            kind = "with"
        if kind == "with":
            typed = self._type_of(payload, frames)  # type: ignore[arg-type]  # the kind fixes the payload's type
            return ("type", typed) if typed else OPAQUE
        if kind == "ann":
            # Parameter annotations belong to the enclosing scope.
            outer = frames[:-1] if frames[-1].is_function else frames
            made = self._definition(payload, outer) if isinstance(payload, ast.Name) else None
            if isinstance(made, ast.ClassDef):
                return ("instance", made)  # `def f(c: Client)`
            typed = self._annotation(payload, outer)  # type: ignore[arg-type]  # the kind fixes the payload's type
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


def _init_assignments(frames: list[Frame]) -> tuple[list[Frame], dict[str, list[ast.expr | None]]] | None:
    """Return the frames inside the class's `__init__` and what it assigns to each `self.x`, in one walk."""
    init = next(
        (node for node in frames[-1].node.body  # type: ignore[attr-defined]  # a class frame
         if isinstance(node, ast.FunctionDef) and node.name == "__init__"),
        None,
    )
    params = [*init.args.posonlyargs, *init.args.args] if init else []
    if init is None or not params:
        return None
    owner = params[0].arg
    values: dict[str, list[ast.expr | None]] = {}
    for node in ast.walk(init):
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        else:
            continue
        for target in targets:
            if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                    and target.value.id == owner):
                values.setdefault(target.attr, []).append(node.value)
    return [*frames, Frame(init)], values


_Patterns = tuple[dict[str, str], list[tuple[str, str, str]]]
_PATTERNS: dict[int, tuple[Mapping[str, str], _Patterns]] = {}


def _patterns(constructors: Mapping[str, str]) -> _Patterns:
    """Return the pattern keys of `constructors`, worked out once per table (every file shares it).

    `T.*` keys: any attribute of a T holds that type (`client.db` a Database).
    `*Suffix(T)` keys: a callee named `...Suffix` given a T first makes that type
    (gRPC's generated `FooStub(channel)` is sync or async as its channel is).
    """
    known = _PATTERNS.get(id(constructors))
    if known is not None and known[0] is constructors:
        return known[1]
    any_attribute = {key[:-2]: typed for key, typed in constructors.items() if key.endswith(".*")}
    by_argument = [
        (key[1:].partition("(")[0], key.partition("(")[2][:-1], typed)
        for key, typed in constructors.items()
        if key.startswith("*")
    ]
    if len(_PATTERNS) > 64:
        _PATTERNS.clear()
    _PATTERNS[id(constructors)] = (constructors, (any_attribute, by_argument))
    return any_attribute, by_argument


def _project_class(name: str, roots: frozenset[str]) -> bool:
    """Tell whether `name` looks like a class of the project: relative or under a root, capitalized."""
    return name.rpartition(".")[2][:1].isupper() and (name.startswith(".") or name.partition(".")[0] in roots)


def walrus_lines(source: str | None) -> bool | tuple[int, ...]:
    """Where `Names` looks for `:=`: everywhere (source unknown), nowhere, or in the scopes spanning these lines."""
    if source is None:
        return True
    if ":=" not in source:
        return False
    return tuple(number for number, line in enumerate(source.splitlines(), start=1) if ":=" in line)


def _spans(node: ast.AST, lines: Sequence[int]) -> bool:
    """Tell whether one of the sorted `lines` falls within `node` (the module spans them all)."""
    first = getattr(node, "lineno", None)
    if first is None:
        return bool(lines)
    at = bisect.bisect_left(lines, first)
    return at < len(lines) and lines[at] <= getattr(node, "end_lineno", first)


def _is_none(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is None
