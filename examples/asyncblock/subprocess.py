"""A small deploy service whose coroutines run shell commands and wait for child processes."""

from __future__ import annotations

import asyncio
import os
import subprocess
from subprocess import check_output


class Deployer:
    """Builds a release from git and reports on the host."""

    def __init__(self, repo: str) -> None:
        self.repo = repo

    async def build(self, tag: str) -> str:
        subprocess.run(["git", "-C", self.repo, "checkout", tag], check=True)  # ABL150
        head = check_output(["git", "-C", self.repo, "rev-parse", "HEAD"], text=True)  # ABL150
        os.system(f"make -C {self.repo} release")  # ABL151
        return head.strip()

    async def package(self, archive: str) -> int:
        tar = subprocess.Popen(["tar", "czf", archive, self.repo])
        return tar.wait()  # ABL152

    async def disk_report(self) -> str:
        return os.popen("df -h /").read()  # ABL154

    async def smoke_test(self) -> int:
        # Fine: the child runs while the loop keeps serving other requests.
        proc = await asyncio.create_subprocess_exec("make", "-C", self.repo, "smoke")
        return await proc.wait()
