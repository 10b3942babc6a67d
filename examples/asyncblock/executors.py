"""Thumbnail service: async helpers handed to thread pools by mistake."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from functools import partial


async def download(url: str) -> bytes:
    await asyncio.sleep(0.01)
    return url.encode()


async def notify(user: str, text: str) -> None:
    await asyncio.sleep(0.01)


def resize(data: bytes, width: int) -> bytes:
    return data[:width]


class ThumbnailService:
    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=4)

    async def thumbnail(self, url: str, user: str) -> bytes:
        loop = asyncio.get_running_loop()
        # Returns a coroutine object instead of the downloaded bytes.
        data = await loop.run_in_executor(self.pool, download, url)
        small = await loop.run_in_executor(self.pool, resize, data, 64)
        # The notification is never sent.
        await asyncio.to_thread(partial(notify, user), "thumbnail ready")
        return small

    async def warm_cache(self, urls: list[str]) -> None:
        for url in urls:
            self.pool.submit(self.refresh, url)

    async def refresh(self, url: str) -> None:
        await download(url)
