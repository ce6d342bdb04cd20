"""Engines, sessions and migrations for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from storage.settings import async_url

# found by path, not imported: storage stands alone and migrations/ depends on it, not back
MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
MIGRATION_LOCK = 4_060_001  # any fixed number, the same in every process
SQLITE_BUSY_TIMEOUT_MS = 5000  # how long a writer waits for another process's lock
WAL_SWITCH_TRIES = 20  # about 10 s of back-off in all, only ever on a new database file


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLite leaves foreign keys off by default, and erasure relies on ON DELETE CASCADE
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # WAL lets readers run beside the one writer; with it, NORMAL sync is still crash-safe
    # (a power cut may lose the last commits, never corrupt the file) and avoids an fsync
    # per commit on the photo path.
    _enter_wal(cursor)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _enter_wal(cursor: Any) -> None:
    # WAL is stored in the file, so this is a no-op once any connection has set it. The first
    # switch needs an exclusive lock, and two connections switching a new file at once
    # deadlock: SQLite then answers "locked" at once, without the busy timeout, so retry.
    for attempt in range(WAL_SWITCH_TRIES):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except Exception as error:  # the driver's OperationalError, wrapped by the adapter
            if "locked" not in str(error) or attempt == WAL_SWITCH_TRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def make_engine(url: str, *, null_pool: bool = False) -> AsyncEngine:
    """An async engine for `url`; on SQLite with foreign keys on and a busy timeout."""
    url = async_url(url)
    options: dict[str, Any] = {"poolclass": NullPool} if null_pool else {}
    if make_url(url).get_backend_name() == "sqlite":
        _ensure_sqlite_folder(url)
    else:
        options.setdefault("pool_pre_ping", True)
    engine = create_async_engine(url, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _ensure_sqlite_folder(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit (no lazy reload in async code)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def upsert_insert(session: AsyncSession, model: type[Any]) -> Any:
    """An INSERT for `model` that offers on_conflict_do_nothing() on PostgreSQL and SQLite."""
    postgres = session.get_bind().dialect.name == "postgresql"
    return (postgresql.insert if postgres else sqlite.insert)(model)


def alembic_config() -> Config:
    """Alembic's configuration without the ini file (no logging set-up of its own)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _upgrade(connection: Connection, config: Config) -> None:
    # bot processes starting together migrate one after another, not into each other;
    # either lock lasts until this transaction commits
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # the database's write lock
    config.attributes["connection"] = connection  # migrations/env.py uses it when present
    command.upgrade(config, "head")


async def migrate_to_head(url: str) -> None:
    """Create or upgrade the database at `url` to the newest migration (run on start)."""
    engine = make_engine(url, null_pool=True)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade, alembic_config())
    finally:
        await engine.dispose()


def head_revision() -> str | None:
    """The newest migration's revision id."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at; None for an empty database."""
    async with engine.connect() as conn:
        return await conn.run_sync(_current)
