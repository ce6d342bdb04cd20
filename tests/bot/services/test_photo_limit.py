"""The photo limit: in memory for one process on SQLite; shared through PostgreSQL, or Redis
when REDIS_URL is set (the server at 127.0.0.1:6379), so two bot processes (replicas) count a
person's photos together."""

from __future__ import annotations

import asyncio
import itertools
import secrets

from pydantic import SecretStr

from bot.chat.application import photo_limit
from bot.services.photo_limit import (
    TOKEN_HOLD_S,
    MemoryPhotoLimit,
    PhotoLimit,
    RedisPhotoLimit,
    SharedPhotoLimit,
)
from bot.services.settings import BotSettings
from storage.db import make_engine, make_sessionmaker, migrate_to_head
from tests.storage.helpers import create_pg_database, drop_pg_database

_updates = itertools.count(1)


async def photos(limit: PhotoLimit, key: str, n: int) -> list[bool]:
    """`n` photos of `key`, each a new update."""
    return [await limit.take(key, next(_updates)) for _ in range(n)]


async def one_photo_delivered_twice(one: PhotoLimit, two: PhotoLimit, key: str) -> list[bool]:
    """Limit 2: a photo delivered to both replicas, then two more photos."""
    photo = next(_updates)
    first = await asyncio.gather(one.take(key, photo), two.take(key, photo))
    return [*first, *await photos(two, key, 1), *await photos(one, key, 1)]


async def given_back(one: PhotoLimit, two: PhotoLimit, key: str) -> list[bool]:
    """Limit 2: two photos, the second given back (every worker busy) by the other replica,
    twice; then two more photos, the last refused and given back (it held no token)."""
    first, second = next(_updates), next(_updates)
    taken = [await one.take(key, first), await one.take(key, second)]
    await two.give_back(key, second)
    await two.give_back(key, second)  # only a token still held is given back
    later = await photos(one, key, 2)
    await one.give_back(key, next(_updates) - 1)
    return [*taken, *later, *await photos(two, key, 1)]


async def test_two_replicas_share_the_limit_on_postgresql() -> None:
    url = await create_pg_database("limit")
    engines = [make_engine(url), make_engine(url)]
    try:
        await migrate_to_head(url)
        settings = BotSettings(photo_rate_limit=3, photo_rate_window_s=600)
        one, two = (photo_limit(make_sessionmaker(e), url, settings) for e in engines)
        assert isinstance(one, SharedPhotoLimit) and isinstance(two, SharedPhotoLimit)
        taken = [(await photos(one if i % 2 else two, "person", 1))[0] for i in range(5)]
        assert taken == [True, True, True, False, False]  # 3 in all, not 3 each
        assert await photos(one, "someone else", 1) == [True]
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
        assert await photos(limit, "p", 2) == [True, False]
    finally:
        await engine.dispose()


async def test_two_replicas_share_the_limit_in_redis(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'b.db'}"  # Redis wins over the database
    settings = BotSettings(
        photo_rate_limit=3, photo_rate_window_s=0.5, redis_url=SecretStr("redis://127.0.0.1:6379/0")
    )
    engine = make_engine(url)
    one, two = (photo_limit(make_sessionmaker(engine), url, settings) for _ in range(2))
    person = f"test-{secrets.token_hex(8)}"  # a pseudonym no other run uses
    assert isinstance(one, RedisPhotoLimit) and isinstance(two, RedisPhotoLimit)
    try:
        taken = [(await photos(one if i % 2 else two, person, 1))[0] for i in range(5)]
        assert taken == [True, True, True, False, False]  # 3 in all, not 3 each
        assert await photos(one, person + "-other", 1) == [True]
        await asyncio.sleep(0.6)  # the window is over: a new one starts
        assert await photos(two, person, 1) == [True]
        ttl = await one.client.pttl(RedisPhotoLimit.PREFIX + person)
        assert 0 < ttl <= 500  # Redis forgets the window itself
    finally:
        await forget(one, person, person + "-other")
        for limit in (one, two):
            await limit.close()
        await engine.dispose()


async def forget(limit: RedisPhotoLimit, *people: str) -> None:
    """Delete the people's windows and their updates' tokens from Redis."""
    keys = [RedisPhotoLimit.PREFIX + p for p in people]
    for key in list(keys):
        keys += [k async for k in limit.client.scan_iter(f"{key}{RedisPhotoLimit.TOKEN}*")]
    await limit.client.delete(*keys)


async def test_in_memory_a_photo_delivered_twice_takes_one_token() -> None:
    now = [0.0]
    limit = MemoryPhotoLimit(2, 60.0, clock=lambda: now[0])
    assert await one_photo_delivered_twice(limit, limit, "p") == [True, True, True, False]
    refused = next(_updates)
    assert not await limit.take("p", refused) and not await limit.take("p", refused)
    now[0] = 61.0  # a new window: the refused photo delivered again is let through
    assert await limit.take("p", refused)
    now[0] = 61.0 + TOKEN_HOLD_S  # Telegram no longer redelivers: the token is forgotten
    await limit.take("q", next(_updates))
    assert limit.held.keys() == {next(_updates) - 1}


async def test_in_memory_a_photo_given_back_costs_nothing() -> None:
    limit = MemoryPhotoLimit(2, 60.0)
    assert await given_back(limit, limit, "p") == [True, True, True, False, False]


async def test_on_postgresql_a_photo_delivered_to_both_replicas_takes_one_token() -> None:
    url = await create_pg_database("limit")
    engines = [make_engine(url), make_engine(url)]
    try:
        await migrate_to_head(url)
        settings = BotSettings(photo_rate_limit=2, photo_rate_window_s=600)
        one, two = (photo_limit(make_sessionmaker(e), url, settings) for e in engines)
        assert await one_photo_delivered_twice(one, two, "p") == [True, True, True, False]
        assert await given_back(one, two, "q") == [True, True, True, False, False]
    finally:
        for e in engines:
            await e.dispose()
        await drop_pg_database(url)


async def test_in_redis_a_photo_delivered_to_both_replicas_takes_one_token(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'b.db'}"
    settings = BotSettings(
        photo_rate_limit=2, photo_rate_window_s=60, redis_url=SecretStr("redis://127.0.0.1:6379/0")
    )
    engine = make_engine(url)
    one, two = (photo_limit(make_sessionmaker(engine), url, settings) for _ in range(2))
    person = f"test-{secrets.token_hex(8)}"
    assert isinstance(one, RedisPhotoLimit) and isinstance(two, RedisPhotoLimit)
    try:
        assert await one_photo_delivered_twice(one, two, person) == [True, True, True, False]
        tokens = [k async for k in one.client.scan_iter(f"*{person}{RedisPhotoLimit.TOKEN}*")]
        assert len(tokens) == 2  # the two photos let through; the refused one holds none
        assert 0 < await one.client.pttl(tokens[0]) <= TOKEN_HOLD_S * 1000
        assert await given_back(one, two, person + "-b") == [True, True, True, False, False]
        await forget(one, person + "-b")
    finally:
        await forget(one, person)
        for limit in (one, two):
            await limit.close()
        await engine.dispose()
