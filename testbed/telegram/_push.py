"""Telegram's side of a webhook behind a round-robin front: every queued update is POSTed to the
next replica's URL as it arrives, up to `max_connections` at once (Telegram's default is 40);
an update that gets no 2xx (or no answer) goes to the next replica after a pause, as Telegram
retries and a proxy would route the retry elsewhere.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

import aiohttp

from ._state import State

ATTEMPTS = 10


class Pusher:
    def __init__(
        self,
        state: State,
        urls: list[str],
        secret_token: str | None,
        *,
        max_connections: int = 40,
        retry_s: float = 0.5,
    ) -> None:
        self.state, self.urls, self.secret = state, urls, secret_token
        self.limit = asyncio.Semaphore(max_connections)
        self.retry_s = retry_s
        self.pushed: dict[int, float] = {}  # update_id -> first POST (time.monotonic())
        self.failed: list[int] = []  # update_ids no replica took after ATTEMPTS tries
        self._turn = itertools.count()
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))
        self._runner = asyncio.create_task(self._run())

    async def stop(self) -> None:
        for task in [*self._tasks, *([self._runner] if self._runner else [])]:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    async def _run(self) -> None:
        while True:
            for update in list(self.state.queue):
                uid = update["update_id"]
                if uid not in self.pushed:
                    self.pushed[uid] = time.monotonic()
                    task = asyncio.create_task(self._deliver(update, next(self._turn)))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
            await self.state.update_signal.wait(1.0)  # a new update, or look again

    async def _deliver(self, update: dict[str, Any], turn: int) -> None:
        for attempt in range(ATTEMPTS):
            if await self._post(self.urls[(turn + attempt) % len(self.urls)], update):
                self.state.queue = [u for u in self.state.queue if u is not update]
                return
            await asyncio.sleep(self.retry_s)
        self.failed.append(update["update_id"])

    async def _post(self, url: str, update: dict[str, Any]) -> bool:
        assert self._session is not None
        try:
            async with self.limit:
                return 200 <= await post(self._session, url, update, self.secret) < 300
        except (aiohttp.ClientError, TimeoutError):
            return False


async def post(
    session: aiohttp.ClientSession, url: str, update: dict[str, Any], secret_token: str | None
) -> int:
    """POST one update to a webhook the way Telegram does; the HTTP status it answered."""
    headers = {"Content-Type": "application/json"}
    if secret_token is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
    async with session.post(url, data=json.dumps(update), headers=headers) as resp:
        await resp.read()
        return resp.status
