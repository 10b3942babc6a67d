"""A small webhook relay whose handlers call synchronous HTTP clients from coroutines."""

from __future__ import annotations

import asyncio
import json
from urllib.request import urlopen

import httpx
import requests


class Relay:
    """Forwards incoming events to subscribers and reports their health."""

    def __init__(self, subscribers: list[str]) -> None:
        self.subscribers = subscribers
        self.session = requests.Session()

    async def forward(self, event: dict) -> list[int]:
        statuses = []
        for url in self.subscribers:
            response = self.session.post(url, json=event, timeout=5)  # ABL110
            statuses.append(response.status_code)
        return statuses

    async def health(self, url: str) -> bool:
        with httpx.Client(timeout=2) as client:
            return client.get(f"{url}/health").is_success  # ABL112

    async def schema(self, url: str) -> dict:
        with urlopen(f"{url}/schema.json") as response:  # ABL111
            return json.load(response)

    async def ping_all(self) -> list[bool]:
        # Fine: the async client awaits the network instead of blocking on it.
        async with httpx.AsyncClient(timeout=2) as client:
            replies = await asyncio.gather(*(client.get(u) for u in self.subscribers))
        return [reply.is_success for reply in replies]
