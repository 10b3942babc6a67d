"""Report service: CPU loops and a spin-wait that starve every other request."""

import asyncio
import hashlib


class Job:
    def __init__(self) -> None:
        self.done = False
        self.result = b""


async def checksum_report(rows: list[bytes]) -> str:
    digest = hashlib.sha256()
    # A million iterations with no await: every other client waits for this loop.
    for i in range(1_000_000):
        digest.update(rows[i % len(rows)])
    return digest.hexdigest()


async def wait_for_job(job: Job) -> bytes:
    # The worker task that sets job.done never gets to run while this spins.
    while not job.done:
        pass
    return job.result


async def worker(job: Job, rows: list[bytes]) -> None:
    job.result = (await checksum_report(rows)).encode()
    job.done = True


async def main() -> None:
    job = Job()
    rows = [b"row"] * 10
    await asyncio.gather(worker(job, rows), wait_for_job(job))
