"""Per-person rate limit on photos. One process (the SQLite default): a sliding window per
pseudonym in memory. Several processes: one window per person that every replica sees, so a
person gets the limit once however many replicas serve them: in Redis when REDIS_URL is set,
else in the PostgreSQL database (storage.photo_windows). `python -m bench.ratelimit` times both.

Every limiter takes one token per photo update, not per delivery: Telegram delivers an update
again when the answer is late (to this replica or another) or after a crash, before the update
is claimed as handled, and the person must not pay twice for one photo. Each limiter remembers
the update ids that took a token for TOKEN_HOLD_S.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.photo_windows import give_back_photo_slot, take_photo_slot

MAX_PEOPLE = 100_000  # forget the oldest windows beyond this many people
# Telegram keeps an undelivered update for at most 24 hours: past that it cannot come again
TOKEN_HOLD_S = 24 * 3600.0
MAX_HELD = 100_000  # in memory: forget the oldest token-holding updates beyond this many


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
    """Counts a person's photo once per update and says whether it is within the limit."""

    async def take(self, key: str, update_id: int) -> bool: ...

    async def give_back(self, key: str, update_id: int) -> None:
        """Undo the update's token: the service could not take the photo (all workers busy)."""
        ...


class MemoryPhotoLimit:
    """The limit in this process's memory (one process)."""

    def __init__(
        self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limiter = RateLimiter(limit, window_s, clock)
        self.held: dict[int, float] = {}  # update id -> when it took its token, oldest first

    async def take(self, key: str, update_id: int) -> bool:
        """Count the photo of `update_id` for `key` (once) and say whether it is within the
        limit; a refused photo holds no token."""
        now = self.limiter.clock()
        while self.held and (
            len(self.held) > MAX_HELD or next(iter(self.held.values())) <= now - TOKEN_HOLD_S
        ):
            self.held.pop(next(iter(self.held)))
        if update_id in self.held:
            return True
        if not self.limiter.allow(key):
            return False
        self.held[update_id] = now
        return True

    async def give_back(self, key: str, update_id: int) -> None:
        """Undo the update's token, the newest event of `key`'s window."""
        if self.held.pop(update_id, None) is not None and (window := self.limiter.events.get(key)):
            window.pop()


class SharedPhotoLimit:
    """The limit in the database, seen by every bot process."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], limit: int, window_s: float
    ) -> None:
        self.sessions, self.limit, self.window_s = sessions, limit, window_s

    async def take(self, key: str, update_id: int) -> bool:
        """Count the photo of `update_id` for `key` (once; one transaction of two statements)
        and say whether it is within the limit."""
        async with self.sessions.begin() as session:
            return await take_photo_slot(
                session,
                pseudonym=key,
                update_id=update_id,
                limit=self.limit,
                window_s=self.window_s,
            )

    async def give_back(self, key: str, update_id: int) -> None:
        """Undo the update's token (one transaction)."""
        async with self.sessions.begin() as session:
            await give_back_photo_slot(session, pseudonym=key, update_id=update_id)


# KEYS: the person's window, the update's token; ARGV: window ms, limit, token hold ms.
# 1: counted and allowed; 0: the update took its token before; -1: over the limit. A script
# runs atomically in Redis, so a second delivery taking at the same time finds the token.
TAKE_SCRIPT = """
if not redis.call('SET', KEYS[2], 1, 'NX', 'PX', ARGV[3]) then return 0 end
redis.call('SET', KEYS[1], 0, 'NX', 'PX', ARGV[1])
if redis.call('INCR', KEYS[1]) > tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[2])
  return -1
end
return 1
"""
# KEYS: the person's window, the update's token. Only a token still held is given back, once.
GIVE_BACK_SCRIPT = """
if redis.call('DEL', KEYS[2]) == 1 and tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then
  redis.call('DECR', KEYS[1])
end
return 0
"""


class RedisPhotoLimit:
    """The limit in Redis, seen by every bot process: a fixed window per person that starts
    with their first photo in it, as in the database (one script call per photo)."""

    PREFIX = "anemia:photos:"  # + the pseudonym (an HMAC: no Telegram id reaches Redis)
    TOKEN = ":update:"  # + the update id, after the window's key: the update's token

    def __init__(self, client: Redis, limit: int, window_s: float) -> None:
        self.client, self.limit = client, limit
        self.window_ms = max(int(window_s * 1000), 1)
        self.script = client.register_script(TAKE_SCRIPT)
        self.give_back_script = client.register_script(GIVE_BACK_SCRIPT)

    async def take(self, key: str, update_id: int) -> bool:
        """Count the photo of `update_id` for `key` (once) and say whether it is within the
        limit; a refused photo holds no token."""
        window = self.PREFIX + key
        keys = [window, f"{window}{self.TOKEN}{update_id}"]
        taken = await self.script(
            keys=keys, args=[self.window_ms, self.limit, int(TOKEN_HOLD_S * 1000)]
        )
        return int(taken) >= 0

    async def give_back(self, key: str, update_id: int) -> None:
        """Undo the update's token (one script call)."""
        window = self.PREFIX + key
        await self.give_back_script(keys=[window, f"{window}{self.TOKEN}{update_id}"])

    async def close(self) -> None:
        await self.client.aclose()
