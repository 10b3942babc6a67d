"""ABL190 blocking-stdin: input(), sys.stdin reads and getpass() inside a coroutine."""

from __future__ import annotations

from flake8_asyncblock.fixes import ToThread
from flake8_asyncblock.rule import BlockingCallRule, Invalid, Valid

__all__ = ["BlockingStdin"]


class BlockingStdin(BlockingCallRule):
    """Flag reads from the terminal, which wait for a person to type."""

    code = "ABL190"
    slug = "blocking-stdin"
    message = (
        "{call}() blocks the event loop while it waits for the user's input; "
        "use await {to_thread_call}"
    )
    summary = (
        "input(), sys.stdin.read/readline/readlines (also on sys.stdin.buffer) or "
        "getpass.getpass() called directly inside an async def."
    )
    why = (
        "Reading the terminal waits for a person, for seconds or forever; meanwhile "
        "no task, timer or network callback on the loop can run."
    )
    fix = ToThread(safe=False)
    blocking_calls = frozenset(
        {
            "input",
            "getpass.getpass",
            *(f"sys.{stream}.{method}"
              for stream in ("stdin", "stdin.buffer", "__stdin__")
              for method in ("read", "readline", "readlines")),
        }
    )

    valid = (
        Valid("""
            import asyncio
            import sys

            async def ask(prompt):
                return await asyncio.to_thread(input, prompt)

            def ask_now(prompt):
                print(prompt, end="")
                return sys.stdin.readline()
        """),
    )
    invalid = (
        Invalid(
            """
            from getpass import getpass

            async def login(connect, user):
                return await connect(user, getpass("Password: "))
            """,
            errors=["ABL190:4:32"],
            fixed="""
            import asyncio
            from getpass import getpass

            async def login(connect, user):
                return await connect(user, await asyncio.to_thread(getpass, "Password: "))
            """,
        ),
    )
