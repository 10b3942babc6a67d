"""ABL290 stdin-read-in-helper: a coroutine calls a sync function that reads the terminal."""

from __future__ import annotations

from flake8_asyncblock.helper_rule import HelperCallRule
from flake8_asyncblock.rule import Invalid, Valid

__all__ = ["StdinReadInHelper"]


class StdinReadInHelper(HelperCallRule):
    """Flag the call of a sync helper that reaches input() or a stdin read (ABL19x)."""

    code = "ABL290"
    slug = "stdin-read-in-helper"
    reaches = ("ABL19",)
    summary = (
        "a call from an async def to a sync function that reads standard input (what "
        "ABL190 flags), directly or through other sync functions."
    )
    why = "Waiting for the user in a helper waits on the loop's thread: nothing else runs."

    valid = (
        Valid("""
            def confirm(question):
                return input(f"{question} [y/N] ") == "y"

            def main():
                if confirm("Delete?"):
                    print("deleted")
        """),
    )
    invalid = (
        Invalid(
            """
            def confirm(question):
                return input(f"{question} [y/N] ") == "y"

            async def main():
                if confirm("Delete?"):
                    print("deleted")
            """,
            errors=["ABL290:5:8"],
            fixed="""
            import asyncio

            def confirm(question):
                return input(f"{question} [y/N] ") == "y"

            async def main():
                if await asyncio.to_thread(confirm, "Delete?"):
                    print("deleted")
            """,
        ),
    )
