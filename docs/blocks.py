"""Generated blocks inside hand-written docs: the text between two marker comments."""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["fill"]


def fill(path: Path, marker: str, block: str) -> str:
    """Return `path`'s text with the block between the `marker` start/end comments replaced."""
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(rf"(<!-- {marker}:start -->\n).*?(<!-- {marker}:end -->)", re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"{path}: the <!-- {marker}:start/end --> markers are missing")
    return pattern.sub(lambda match: match[1] + block + match[2], text)
