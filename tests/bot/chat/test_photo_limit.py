"""The photo limit: in memory for one process on SQLite; shared through PostgreSQL, or Redis
when REDIS_URL is set (the server at 127.0.0.1:6379), so two bot processes (replicas) count a
person's photos together."""

from __future__ import annotations

import asyncio
import secrets

from pydantic import SecretStr

from bot.chat.application import photo_limit
from bot.chat.ratelimit import MemoryPhotoLimit, RedisPhotoLimit, SharedPhotoLimit
from bot.chat.settings import BotSettings
from storage.db import make_engine, make_sessionmaker, migrate_to_head
from tests.storage.helpers import create_pg_database, drop_pg_database


async def test_two_replicas_share_the_limit_on_postgresql() -> None:
    url = await create_pg_database("limit")
    engines = [make_engine(url), make_engine(url)]
    try:
        await migrate_to_head(url)
        settings = BotSettings(photo_rate_limit=3, photo_rate_window_s=600)
        one, two = (photo_limit(make_sessionmaker(e), url, settings) for e in engines)
        assert isinstance(one, SharedPhotoLimit) and isinstance(two, SharedPhotoLimit)
        taken = [await (one if i % 2 else two).take("person") for i in range(5)]
        assert taken == [True, True, True, False, False]  # 3 in all, not 3 each
        assert await one.take("someone else")
    finally:
        for e in engines:
            await e.dispose()
        await drop_pg_database(url)


async def test_one_process_on_sqlite_keeps_it_in_memory(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'b.db'}"
    engine = make_engine(url)
    try:
        limit = photo_limit(make_sessionmaker(engine), url, BotSettings(photo_rate_limit=1))
        assert isinstance(limit, MemoryPhotoLimit)
        assert await limit.take("p") and not await limit.take("p")
    finally:
        await engine.dispose()


async def test_two_replicas_share_the_limit_in_redis(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'b.db'}"  # Redis wins over the database
    settings = BotSettings(photo_rate_limit=3, photo_rate_window_s=0.5,
                           redis_url=SecretStr("redis://127.0.0.1:6379/0"))  # fmt: skip
    engine = make_engine(url)
    one, two = (photo_limit(make_sessionmaker(engine), url, settings) for _ in range(2))
    person = f"test-{secrets.token_hex(8)}"  # a pseudonym no other run uses
    assert isinstance(one, RedisPhotoLimit) and isinstance(two, RedisPhotoLimit)
    try:
        taken = [await (one if i % 2 else two).take(person) for i in range(5)]
        assert taken == [True, True, True, False, False]  # 3 in all, not 3 each
        assert await one.take(person + "-other")
        await asyncio.sleep(0.6)  # the window is over: a new one starts
        assert await two.take(person)
        ttl = await one.client.pttl(RedisPhotoLimit.PREFIX + person)
        assert 0 < ttl <= 500  # Redis forgets the window itself
    finally:
        await one.client.delete(*(RedisPhotoLimit.PREFIX + person + s for s in ("", "-other")))
        for limit in (one, two):
            await limit.close()
        await engine.dispose()
