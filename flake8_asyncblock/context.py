"""What the engine tells every rule about the file it checks, beyond the tree."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flake8_asyncblock.chains import Chain
    from flake8_asyncblock.rule import Rule

__all__ = ["FileContext", "Origin"]


@dataclass(frozen=True)
class Origin:
    """Where a file comes from, as the front end knows it.

    `path` is the file as the user named it. The `asyncblock` command also
    knows its dotted `module` name and `package` (relative imports start
    there), and `project`: the blocking sync functions of every checked file
    by dotted name (`pkg.util.load_config`), under the top-level packages `roots`.
    """

    path: str | None = None
    module: str = ""
    package: str = ""
    project: Mapping[str, Chain] | None = None
    roots: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FileContext:
    """The file's source, the rules run over it, its origin, and per-file state rules share."""

    source: str | None = None
    rules: tuple[type[Rule], ...] = ()
    origin: Origin = Origin()
    #: Computed on demand by rules and shared between them, keyed by who computes it.
    shared: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
