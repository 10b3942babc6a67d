"""Where a checked file comes from, and what the project knows about its sync functions.

A leaf module: the engine, the rules and both front ends import it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Chain", "Origin"]


@dataclass(frozen=True)
class Chain:
    """How a sync function blocks: the functions down to the blocking call, and that call.

    `steps` starts with the function itself; `code` is the direct rule's code
    of the blocking call; `cached` when the chain passes through a function
    decorated with functools.cache or lru_cache.
    """

    steps: tuple[str, ...]
    code: str
    call: str
    path: str
    line: int
    cached: bool = False



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
