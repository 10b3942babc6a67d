"""A job dispatcher whose coroutines wait on threads, thread queues, locks and futures."""

from __future__ import annotations

import asyncio
import queue
import threading
from concurrent.futures import ThreadPoolExecutor


class Dispatcher:
    """Hands jobs to worker threads and collects their results."""

    def __init__(self) -> None:
        self.results: queue.Queue[str] = queue.Queue()
        self.ready = threading.Event()
        self.stats_lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=4)
        self.stats: dict[str, int] = {}

    async def start(self, warm_up) -> None:
        warmer = threading.Thread(target=warm_up, args=(self.ready,))
        warmer.start()
        self.ready.wait()  # ABL160
        warmer.join()  # ABL161

    async def next_result(self) -> str:
        return self.results.get()  # ABL162

    async def checksum(self, digest, payload: bytes) -> str:
        return self.pool.submit(digest, payload).result()  # ABL163

    async def count(self, job: str, report) -> None:
        with self.stats_lock:  # ABL164
            self.stats[job] = self.stats.get(job, 0) + 1
            await report(self.stats)

    async def checksum_nicely(self, digest, payload: bytes) -> str:
        # Fine: the loop waits for the pool's future without blocking.
        return await asyncio.wrap_future(self.pool.submit(digest, payload))
