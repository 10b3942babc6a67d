"""The class flake8 loads: ast tree and options in, (line, col, text, type) out."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

from flake8_asyncblock import __version__, engine
from flake8_asyncblock.config import find_table
from flake8_asyncblock.context import Origin
from flake8_asyncblock.options import FLAKE8_OPTIONS, UsageError, rule_settings
from flake8_asyncblock.registry import RULES
from flake8_asyncblock.settings import Settings

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
        for option in FLAKE8_OPTIONS:
            manager.add_option(
                option.flake8_flag,
                default=None,  # so that [tool.asyncblock] applies when the option is not given
                parse_from_config=True,
                comma_separated_list=option.many,
                help=f"{option.help} (default: {option.shown_default})",
            )
        manager.extend_default_ignore([r.code for r in RULES if not r.default_enabled])

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        """Validate the options once: flake8's own, over `[tool.asyncblock]`, over the defaults.

        A bad value stops flake8 with the message `asyncblock` would print.
        """
        try:
            cls.settings = settings_for_flake8(options)
        except UsageError as exc:
            from flake8.exceptions import ExecutionError

            raise ExecutionError(str(exc)) from None

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        """Yield one flake8 tuple per finding."""
        source = "".join(self.lines) if self.lines is not None else None
        origin = Origin(self.filename)
        for violation in engine.check(self.tree, RULES, self.settings, source, origin):
            yield violation.as_flake8()


def settings_for_flake8(options: argparse.Namespace) -> Settings:
    """The rule settings flake8 runs with; `--isolated` skips pyproject.toml as it skips setup.cfg."""
    values: dict[str, tuple[Any, str]] = {}
    # flake8 consumes --isolated before plugins see the options: look at the command line.
    isolated = getattr(options, "isolated", False) or "--isolated" in sys.argv[1:]
    table = None if isolated else find_table(Path.cwd())
    if table is not None:
        values.update({o.name: (table.values[o.name], table.where(o.name))
                       for o in FLAKE8_OPTIONS if o.name in table.values})
    for option in FLAKE8_OPTIONS:
        value = getattr(options, option.dest, None)
        if value is not None:
            values[option.name] = (value, option.flake8_flag)
    return rule_settings(values)
