"""`python -m flake8_asyncblock`: the `asyncblock` command."""

from __future__ import annotations

from flake8_asyncblock.cli import main

__all__: list[str] = []

if __name__ == "__main__":
    raise SystemExit(main())
