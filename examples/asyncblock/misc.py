"""A command-line tool whose coroutines start nested event loops and read the terminal."""

from __future__ import annotations

import asyncio
import getpass


async def fetch_token(server: str, user: str, password: str) -> str:
    await asyncio.sleep(0.1)
    return f"{user}@{server}"


async def login(server: str) -> str:
    user = input("User: ")  # ABL190
    password = getpass.getpass()  # ABL190
    return asyncio.run(fetch_token(server, user, password))  # ABL180


async def refresh(server: str, user: str) -> str:
    loop = asyncio.get_event_loop()
    return loop.run_until_complete(fetch_token(server, user, ""))  # ABL180


async def login_nicely(server: str) -> str:
    # Fine: the prompt waits in a thread and the coroutine is awaited, not re-run.
    user = await asyncio.to_thread(input, "User: ")
    return await fetch_token(server, user, "")


if __name__ == "__main__":
    print(asyncio.run(login("example.org")))
