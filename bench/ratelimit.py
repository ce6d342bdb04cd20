"""The shared photo limit: one `take` per photo, in PostgreSQL (`SharedPhotoLimit`: the
update's token and the window's upsert, one transaction) against Redis (`RedisPhotoLimit`, one
script call), on the servers at 127.0.0.1.

    python -m bench.ratelimit [--takes 2000] [--people 200] [--concurrency 1,32]

Each run takes `--takes` slots for `--people` pseudonyms in turn, `--concurrency` at a time
(1: one photo after another; 32: a burst through the bot's connection pool). Prints one
Markdown table: per take p50 / p99 (ms) and takes per second. A fresh PostgreSQL database is
made and dropped; the Redis keys are deleted after.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import secrets
import sys
import time
from collections.abc import Awaitable, Callable

import numpy as np
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.services.photo_limit import PhotoLimit, RedisPhotoLimit, SharedPhotoLimit
from storage.db import make_engine, make_sessionmaker, migrate_to_head
from testbed.postgres import Unreachable, create_database, drop_database

REDIS_URL = "redis://127.0.0.1:6379/0"
UPDATES = itertools.count(1)  # every take is a new photo update


async def timed(limit: PhotoLimit, keys: list[str], takes: int, at_once: int) -> list[float]:
    """Milliseconds per take, `at_once` takes in flight."""
    gate, out = asyncio.Semaphore(at_once), []

    async def one(i: int) -> None:
        async with gate:
            start = time.perf_counter()
            await limit.take(keys[i % len(keys)], next(UPDATES))
            out.append((time.perf_counter() - start) * 1e3)

    await asyncio.gather(*(one(i) for i in range(takes)))
    return out


async def with_postgresql(run: Callable[[PhotoLimit], Awaitable[None]]) -> None:
    url = await create_database("bench_limit")
    engine = make_engine(url)
    try:
        await migrate_to_head(url)
        await run(SharedPhotoLimit(make_sessionmaker(engine), 10**9, 600.0))
    finally:
        await engine.dispose()
        await drop_database(url)


async def with_redis(run: Callable[[PhotoLimit], Awaitable[None]], keys: list[str]) -> None:
    limit = RedisPhotoLimit(Redis.from_url(REDIS_URL), 10**9, 600.0)
    try:
        await run(limit)
    finally:
        await limit.client.delete(*(limit.PREFIX + k for k in keys))
        for k in keys:  # the updates' tokens
            tokens = [t async for t in limit.client.scan_iter(f"{limit.PREFIX}{k}{limit.TOKEN}*")]
            if tokens:
                await limit.client.delete(*tokens)
        await limit.close()


async def main(args: argparse.Namespace) -> None:
    keys = [f"bench-{secrets.token_hex(8)}" for _ in range(args.people)]
    rows = []
    for at_once in args.concurrency:
        for name in ("PostgreSQL", "Redis"):

            async def run(limit: PhotoLimit, name: str = name, at_once: int = at_once) -> None:
                await timed(limit, keys, 50, at_once)  # warm the connections
                start = time.perf_counter()
                ms = await timed(limit, keys, args.takes, at_once)
                rate = args.takes / (time.perf_counter() - start)
                p50, p99 = np.percentile(ms, [50, 99])
                rows.append(f"| {name} | {at_once} | {p50:.2f} | {p99:.2f} | {rate:.0f} |")

            await (with_postgresql(run) if name == "PostgreSQL" else with_redis(run, keys))
    print("| store | at once | p50 ms | p99 ms | takes / s |\n|---|---|---|---|---|")
    print("\n".join(rows))


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.ratelimit",
        description=__doc__,
        formatter_class=argparse.RawTextHelpFormatter,
    )
    p.add_argument("--takes", type=int, default=2000)
    p.add_argument("--people", type=int, default=200)
    p.add_argument("--concurrency", type=lambda t: [int(x) for x in t.split(",")], default=[1, 32])
    return p.parse_args()


if __name__ == "__main__":
    try:
        asyncio.run(main(parse()))
    except (Unreachable, RedisError, OSError) as e:  # a store is down: say which, no traceback
        sys.exit(f"bench.ratelimit: {e}")
