"""Rule base class, Valid/Invalid examples and the Violation a rule reports."""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from flake8_asyncblock.calls import receivers, to_thread_call
from flake8_asyncblock.context import Origin
from flake8_asyncblock.fixes import Fix

if TYPE_CHECKING:
    from flake8_asyncblock.libraries import AsyncLibrary
    from flake8_asyncblock.names import Names
    from flake8_asyncblock.scope import Scope
    from flake8_asyncblock.settings import Settings

__all__ = ["BlockingCallRule", "FileContext", "Invalid", "Rule", "Valid", "Violation"]


def _source(code: str) -> str:
    """Dedent an example and drop the blank line that follows the opening quotes."""
    return textwrap.dedent(code).lstrip("\n")


@dataclass(frozen=True)
class Valid:
    """Code the rule must leave alone; `flake8_args` configure the check."""

    code: str
    flake8_args: Sequence[str] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", _source(self.code))
        object.__setattr__(self, "flake8_args", tuple(self.flake8_args))


@dataclass(frozen=True)
class Invalid:
    """Code the rule must flag, with the exact findings and the suggested rewrite.

    Each entry of `errors` is "CODE:LINE" or "CODE:LINE:COL": LINE counts from 1
    at the first line of the dedented example, COL is 1-based as flake8 prints it.
    `fixed` is the "use instead" code; it must lint clean.
    """

    code: str
    errors: Sequence[str] = ()
    fixed: str | None = None
    flake8_args: Sequence[str] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", _source(self.code))
        object.__setattr__(self, "errors", tuple(self.errors))
        object.__setattr__(self, "flake8_args", tuple(self.flake8_args))
        if self.fixed is not None:
            object.__setattr__(self, "fixed", _source(self.fixed))


@dataclass(frozen=True)
class Violation:
    """One finding: ast position (1-based line, 0-based column) and the message.

    The end position is the reported node's; the `asyncblock` fixer needs it
    to tell apart calls that start at the same place (`f(x).g()`).
    """

    line: int
    col: int
    code: str
    text: str
    rule: type[Rule] = field(compare=False)
    end_line: int | None = field(default=None, compare=False)
    end_col: int | None = field(default=None, compare=False)

    def as_flake8(self) -> tuple[int, int, str, type]:
        """Return the tuple flake8 expects; the only place positions are converted."""
        return self.line, self.col, f"{self.code} {self.text}", self.rule


@dataclass(frozen=True)
class FileContext:
    """What the engine tells every rule about its file beyond the tree: source, rules, origin."""

    source: str | None = None
    rules: tuple[type[Rule], ...] = ()
    origin: Origin = field(default_factory=Origin)
    #: Computed on demand by rules and shared between them, keyed by who computes it.
    shared: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


class Rule:
    """Base class of every ABL rule: metadata as class attributes, checks as visit methods.

    The engine creates one instance per checked file and calls `visit_<NodeType>`
    before a node's children and `leave_<NodeType>` after them.
    """

    code: ClassVar[str] = ""
    slug: ClassVar[str] = ""
    #: Message after the code, with named placeholders filled by `report(**fields)`.
    message: ClassVar[str] = ""
    #: One line completing "Flags: ..." in the docs.
    summary: ClassVar[str] = ""
    why: ClassVar[str] = ""
    valid: ClassVar[tuple[Valid, ...]] = ()
    invalid: ClassVar[tuple[Invalid, ...]] = ()
    #: The rewrite the asyncblock command offers (`ToThread(safe=False)`), or None.
    fix: ClassVar[Fix | None] = None
    #: False puts the code on flake8's default ignore list (enable with --extend-select).
    default_enabled: ClassVar[bool] = True
    #: Names of the flake8 options (without "--") that change what the rule does.
    options: ClassVar[tuple[str, ...]] = ()
    #: Constructor qualified name -> type name, so `names` can type local values.
    constructors: ClassVar[Mapping[str, str]] = {}
    #: True when the rule can only fire inside coroutines; files without the
    #: word "async" are then skipped without walking the tree.
    requires_async: ClassVar[bool] = True
    #: For rules with requires_async False: words one of which must occur in the
    #: source for the rule to possibly fire (empty: always run).
    source_hints: ClassVar[tuple[str, ...]] = ()
    #: Set by the engine on each instance: source, rules and origin of the file.
    context: FileContext = FileContext()

    def __init__(self, scope: Scope, names: Names, settings: Settings) -> None:
        self.scope = scope
        self.names = names
        self.settings = settings
        self.violations: list[Violation] = []

    @property
    def library(self) -> AsyncLibrary:
        """The async library the file uses, whose names messages suggest."""
        return self.names.async_library()

    @classmethod
    def active(cls, settings: Settings) -> bool:
        """Tell whether the rule has anything to do under `settings` (skip it if not)."""
        return True

    def report(self, node: ast.AST, **fields: Any) -> None:
        """Record a finding at `node`, formatting `message` with `fields`."""
        self.violations.append(
            Violation(
                line=getattr(node, "lineno", 1),
                col=getattr(node, "col_offset", 0),
                code=self.code,
                text=self.message.format(**fields),
                rule=type(self),
                end_line=getattr(node, "end_lineno", None),
                end_col=getattr(node, "end_col_offset", None),
            )
        )


class BlockingCallRule(Rule):
    """A rule that flags calls to any of `blocking_calls` made directly in a coroutine.

    Subclasses hold data; they override `fields` when their message needs more
    than the standard fields, or to spare a call that returns at once.
    """

    #: Qualified names of the calls to flag ("time.sleep", "requests.Session.get"):
    #: a frozenset, or a call_table.CallSet to also flag every method of a type.
    blocking_calls: Container[str] = frozenset()

    def __init__(self, scope: Scope, names: Names, settings: Settings) -> None:
        super().__init__(scope, names, settings)
        self._polled: dict[tuple[ast.AST, str], set[str]] = {}

    def visit_Call(self, node: ast.Call) -> None:
        if not self.scope.in_coroutine():
            return
        if name := self.names.resolve_call(node, self.blocking_calls):
            self.flag(node, name)

    def flag(self, node: ast.Call, name: str) -> None:
        """Report `node`, a call to `name` in a coroutine, unless `fields` spares it.

        The engine's call table calls this directly for rules whose
        `blocking_calls` it can merge (see call_table.py).
        """
        fields = self.fields(node, name)
        if fields is not None:
            self.report(node, call=name, **fields)

    def fields(self, node: ast.Call, name: str) -> dict[str, str] | None:
        """Return the message fields besides {call} for `node`, which calls `name`.

        The standard ones are {to_thread} ("asyncio.to_thread"), {callee} (the
        call's function as written), {to_thread_call} ("asyncio.to_thread(f, ...)")
        and {async_path} ("trio.Path" in a trio module, "anyio.Path" elsewhere).
        Return None to report nothing: the call cannot block (a zero timeout).
        """
        library = self.library
        return {
            "to_thread": library.to_thread,
            "callee": ast.unparse(node.func),
            "to_thread_call": to_thread_call(library, node),
            "async_path": library.async_path(),
        }

    def polled(self, method: str) -> set[str]:
        """Return the source of each `x` the current coroutine calls `x.method()` on.

        A wait the code has polled for is over: after `while not fut.done():
        await ...`, `fut.result()` returns at once.
        """
        coroutine = self.scope.coroutine()
        if coroutine is None:
            return set()
        key = (coroutine, method)
        if key not in self._polled:
            self._polled[key] = receivers(coroutine, method)
        return self._polled[key]
