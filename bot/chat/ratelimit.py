"""Per-person rate limit on photos. One process (the SQLite default): a sliding window per
pseudonym in memory. Several processes: one window per person that every replica sees, so a
person gets the limit once however many replicas serve them: in Redis when REDIS_URL is set,
else in the PostgreSQL database (storage.ratelimit). `python -m bench.ratelimit` times both.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.ratelimit import take_photo_slot

MAX_PEOPLE = 100_000  # forget the oldest windows beyond this many people


class RateLimiter:
    """At most `limit` events per `window_s` seconds per key."""

    def __init__(
        self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self.events: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        """Count one event for `key` and say whether it is within the limit."""
        now = self.clock()
        window = self.events.setdefault(key, deque())
        while window and window[0] <= now - self.window_s:
            window.popleft()
        if len(window) >= self.limit:
            return False
        window.append(now)
        if len(self.events) > MAX_PEOPLE:
            self.events.pop(next(iter(self.events)))
        return True


class PhotoLimit(Protocol):
    """Counts a person's photo and says whether it is within the limit."""

    async def take(self, key: str) -> bool: ...


class MemoryPhotoLimit:
    """The limit in this process's memory (one process)."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limiter = RateLimiter(limit, window_s)

    async def take(self, key: str) -> bool:
        """Count one photo for `key` and say whether it is within the limit."""
        return self.limiter.allow(key)


class SharedPhotoLimit:
    """The limit in the database, seen by every bot process."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], limit: int, window_s: float
    ) -> None:
        self.sessions, self.limit, self.window_s = sessions, limit, window_s

    async def take(self, key: str) -> bool:
        """Count one photo for `key` (one statement) and say whether it is within the limit."""
        async with self.sessions.begin() as session:
            return await take_photo_slot(
                session, pseudonym=key, limit=self.limit, window_s=self.window_s
            )


class RedisPhotoLimit:
    """The limit in Redis, seen by every bot process: a fixed window per person that starts
    with their first photo in it, as in the database (one MULTI/EXEC round trip per photo)."""

    PREFIX = "anemia:photos:"  # + the pseudonym (an HMAC: no Telegram id reaches Redis)

    def __init__(self, client: Redis, limit: int, window_s: float) -> None:
        self.client, self.limit = client, limit
        self.window_ms = max(int(window_s * 1000), 1)

    async def take(self, key: str) -> bool:
        """Count one photo for `key` and say whether it is within the limit."""
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.set(self.PREFIX + key, 0, px=self.window_ms, nx=True)  # a new window
            pipe.incr(self.PREFIX + key)
            _, count = await pipe.execute()
        return int(count) <= self.limit

    async def close(self) -> None:
        await self.client.aclose()
