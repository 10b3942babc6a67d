"""Where generated docs link to: the repository's public home, so links work on PyPI too.

PyPI renders README.md away from the repository, where a relative link such as
`docs/rules.md` leads nowhere; every generator builds its links with `doc_url`.
The address itself is read from `project.urls` in pyproject.toml, its one place.
"""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

__all__ = ["REPOSITORY", "doc_url"]

_PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
REPOSITORY: str = tomllib.loads(_PYPROJECT.read_text(encoding="utf-8"))["project"]["urls"]["Source"]


def doc_url(path: str, anchor: str = "") -> str:
    """Return the absolute address of `path` (relative to the repository root) on main."""
    return f"{REPOSITORY}/blob/main/{path}" + (f"#{anchor}" if anchor else "")
