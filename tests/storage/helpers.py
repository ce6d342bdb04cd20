"""Test helpers for the screening log: databases on SQLite and PostgreSQL, and sample records."""

from __future__ import annotations

import secrets

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import Base
from storage.pseudonyms import Pseudonymizer
from storage.screenings import ScreeningRecord
from tests.conftest import _in_ci

PG_ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "database": "test"}
PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/{}"
KEY = b"k" * 32


def pseudonymizer(key: bytes = KEY, key_id: str = "k1") -> Pseudonymizer:
    return Pseudonymizer(key_id, key)


def record(
    hb: float = 11.5, risk: str = "none", warnings: tuple[str, ...] = (), refer: bool = False
) -> ScreeningRecord:
    """A screening of a child 24-59 months (bands 11.0 / 10.0 / 7.0 g/dL), interval +-1.5."""
    return ScreeningRecord(
        hb_g_dl=hb,
        interval=(round(hb - 1.5, 1), round(hb + 1.5, 1)),
        coverage=0.9,
        risk=risk,
        risk_group="child_24_59m",
        bands=(11.0, 10.0, 7.0),
        straddles_threshold=hb - 1.5 < 11.0 <= hb + 1.5,
        group_assumed=False,
        warnings=warnings,
        attention_lower_half=0.7 if not warnings else 0.3,
        model_version="test-1",
        image_source="photo",
        segmentation_area=0.12,
        population="cp-anemic",
        refer=refer,
    )


async def _admin() -> asyncpg.Connection:
    try:
        return await asyncpg.connect(**PG_ADMIN, timeout=5)
    except (OSError, asyncpg.PostgresError) as e:
        where = f"{PG_ADMIN['host']}:{PG_ADMIN['port']}"
        msg = f"PostgreSQL at {where} unreachable ({e}); see README, Set up and test"
        if _in_ci():
            pytest.fail(msg)
        pytest.skip(msg)


async def create_pg_database(prefix: str = "test") -> str:
    """A new, empty database of our own; returns its URL."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    conn = await _admin()
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return PG_URL.format(name)


async def drop_pg_database(url: str) -> None:
    """Drop a database made by create_pg_database, even with connections left open."""
    name = make_url(url).database
    conn = await _admin()
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def clear_tables(engine: AsyncEngine) -> None:
    """Delete every row, children first, so the next test starts empty."""
    tables = [t.name for t in Base.metadata.sorted_tables]
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                await conn.execute(text(f"DELETE FROM {name}"))
