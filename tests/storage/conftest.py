"""Database fixtures: every database test runs on SQLite (a temporary file) and on PostgreSQL
(a database of its own, dropped at the end). Both are migrated once; tests empty them after.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.db import make_engine, make_sessionmaker, migrate_to_head
from tests.storage.helpers import clear_tables, create_pg_database, drop_pg_database


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'log.db'}"
    asyncio.run(migrate_to_head(url))
    return url


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    url = asyncio.run(create_pg_database())
    try:
        asyncio.run(migrate_to_head(url))
        yield url
    finally:
        asyncio.run(drop_pg_database(url))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """A migrated, empty database; the test runs once on each."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(db_url)
    try:
        yield engine
    finally:
        await clear_tables(engine)
        await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


@pytest.fixture
async def session(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessions() as s:
        yield s
