"""The class flake8 loads: ast tree and options in, (line, col, text, type) out."""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from flake8_asyncblock import __version__, engine
from flake8_asyncblock.context import Origin
from flake8_asyncblock.registry import RULES
from flake8_asyncblock.settings import OPTIONS, Settings, SettingsError

__all__ = ["AsyncBlockChecker"]


class AsyncBlockChecker:
    """flake8 entry point `ABL`: runs every registered rule in one walk."""

    name = "flake8-asyncblock"
    version = __version__
    settings: ClassVar[Settings] = Settings()

    def __init__(
        self,
        tree: Any,
        filename: str = "(none)",
        lines: Sequence[str] | None = None,
    ) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, manager: Any) -> None:
        """Register the --asyncblock-* options and the default-off rules."""
        for option in OPTIONS:
            manager.add_option(
                option.flag,
                default=option.default,
                parse_from_config=True,
                comma_separated_list=option.comma_separated_list,
                help=f"{option.help} (default: {option.default or 'none'})",
            )
        manager.extend_default_ignore([r.code for r in RULES if not r.default_enabled])

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        """Validate the options once; a bad value stops flake8 with its message."""
        try:
            cls.settings = Settings.from_options(options)
        except SettingsError as exc:
            from flake8.exceptions import ExecutionError

            raise ExecutionError(str(exc)) from None

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        """Yield one flake8 tuple per finding."""
        source = "".join(self.lines) if self.lines is not None else None
        origin = Origin(self.filename)
        for violation in engine.check(self.tree, RULES, self.settings, source, origin):
            yield violation.as_flake8()
