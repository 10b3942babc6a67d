"""Health checker: retries that sleep on the loop's thread instead of yielding to it."""

import asyncio
import time
from time import sleep as pause


async def probe(host: str) -> bool:
    reader, writer = await asyncio.open_connection(host, 80)
    writer.close()
    await writer.wait_closed()
    return True


async def wait_until_up(host: str, attempts: int = 5) -> bool:
    for attempt in range(attempts):
        try:
            return await probe(host)
        except OSError:
            # Every other health check on this loop stops while this one backs off.
            time.sleep(0.5 * 2**attempt)
    return False


async def throttle() -> None:
    pause(0.1)  # the alias does not hide it


def blocking_cli_retry() -> None:
    # Plain synchronous code may sleep: no event loop runs here.
    time.sleep(1)
