"""ABL141 while-without-await: any while loop in a coroutine that never awaits (off by default)."""

from __future__ import annotations

import ast

from flake8_asyncblock.rule import Invalid, Valid
from flake8_asyncblock.rules.abl140_spin_loop import (
    SpinLoop,
    leaves_on_first_pass,
    scan_loop,
    spin_kind,
)

__all__ = ["WhileWithoutAwait"]


class WhileWithoutAwait(SpinLoop):
    """Flag the while loops ABL140 leaves alone: ones that end, but without awaiting.

    Off by default: loops that count down or consume a buffer
    (`while data: chunk, data = data[:n], data[n:]`) usually do a bounded
    amount of work, and the linter cannot tell how much. A loop whose body
    always ends it (`while True: step(); break`) runs once and is spared.
    """

    code = "ABL141"
    slug = "while-without-await"
    message = (
        "while loop runs without an await, blocking the event loop until it ends; "
        "add await {async_sleep}(0) every so often, or move the CPU work to {cpu_worker}: "
        "threads do not speed up CPU-bound Python (the GIL)"
    )
    summary = (
        "a while loop in an async def with no await in its condition or body "
        "(off by default; ABL140 reports the ones that cannot end)."
    )
    why = (
        "However the loop ends, no other task, timeout or I/O callback runs until "
        "it does; a long count-down or parse stalls every client of the process."
    )
    default_enabled = False

    valid = (
        Valid("""
            import asyncio

            async def countdown(counter):
                while counter > 0:
                    counter -= 1
                    if counter % 1000 == 0:
                        await asyncio.sleep(0)
        """, flake8_args=("--extend-select", "ABL141")),
    )
    invalid = (
        Invalid(
            """
            async def countdown(counter):
                while counter > 0:
                    counter -= 1
            """,
            errors=["ABL141:2:5"],
            fixed="""
            import asyncio

            async def countdown(counter):
                while counter > 0:
                    counter -= 1
                    if counter % 1000 == 0:
                        await asyncio.sleep(0)
            """,
            flake8_args=("--extend-select", "ABL141"),
        ),
    )

    def visit_While(self, node: ast.While) -> None:
        if not self.scope.in_coroutine():
            return
        body = scan_loop(node)
        if body.suspends or spin_kind(node, body, self._guarded(node)):
            return
        if body.exits and leaves_on_first_pass(node):
            return  # `while True: step(); break` runs its body once
        library = self.library
        self.report(node, async_sleep=library.sleep, cpu_worker=library.cpu_worker)
