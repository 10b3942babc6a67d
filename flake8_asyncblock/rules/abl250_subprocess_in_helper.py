"""ABL250 subprocess-in-helper: a coroutine calls a sync function that runs a child process."""

from __future__ import annotations

from flake8_asyncblock.helper_rule import HelperCallRule
from flake8_asyncblock.rule import Invalid, Valid

__all__ = ["SubprocessInHelper"]


class SubprocessInHelper(HelperCallRule):
    """Flag the call of a sync helper that reaches subprocess, os.system or a wait (ABL15x)."""

    code = "ABL250"
    slug = "subprocess-in-helper"
    reaches = ("ABL15",)
    summary = (
        "a call from an async def to a sync function that runs a child process and waits "
        "for it (the ABL15x calls), directly or through other sync functions."
    )
    why = (
        "subprocess.run() in a helper waits for the child on the loop's thread: the loop "
        "stalls for as long as the command runs."
    )

    valid = (
        Valid("""
            import subprocess

            def git_head():
                return subprocess.check_output(["git", "rev-parse", "HEAD"])

            def main():
                print(git_head())
        """),
    )
    invalid = (
        Invalid(
            """
            import subprocess

            def git_head():
                return subprocess.check_output(["git", "rev-parse", "HEAD"])

            async def version():
                return git_head().decode()
            """,
            errors=["ABL250:7:12"],
            fixed="""
            import asyncio
            import subprocess

            def git_head():
                return subprocess.check_output(["git", "rev-parse", "HEAD"])

            async def version():
                return (await asyncio.to_thread(git_head)).decode()
            """,
        ),
    )
