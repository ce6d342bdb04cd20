"""End-to-end fixtures: the inference pool the bots under test share, and reading back what a
run left in the database. Starting the bot against the stand-in is `testbed.bot.running`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.pipeline.inference import InferencePool
from model import WEIGHTS
from storage.db import make_engine


@pytest.fixture(scope="session")
def weights_dir(request: pytest.FixtureRequest) -> Path:
    """The shipped weights; the quick synthetic ones where none are shipped in this checkout."""
    if (WEIGHTS / "ensemble.msgpack").is_file():
        return WEIGHTS
    return Path(request.getfixturevalue("trained_weights"))


@pytest.fixture(scope="session")
def inference_pool(weights_dir: Path) -> Iterator[InferencePool]:
    """One pool for the whole session: loading and warming the models takes seconds."""
    pool = InferencePool(weights_dir, workers=1, queue_size=8)
    pool.start()
    yield pool
    pool.close()


async def all_values(url: str) -> list[str]:
    """Every value in every column of every table, as text."""
    engine: AsyncEngine = make_engine(url)
    try:
        async with engine.connect() as conn:
            meta = MetaData()
            await conn.run_sync(meta.reflect)
            values: list[str] = []
            for table in meta.sorted_tables:
                for row in await conn.execute(select(table)):
                    values += [repr(v) for v in row]
            return values
    finally:
        await engine.dispose()


async def settle(seconds: float = 0.3) -> None:
    await asyncio.sleep(seconds)
