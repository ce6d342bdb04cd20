"""Test helpers for the screening log: databases on SQLite and PostgreSQL, and sample records."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import Base
from storage.pseudonyms import Pseudonymizer
from storage.screenings import ScreeningRecord
from testbed import postgres
from tests.conftest import _in_ci

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


async def create_pg_database(prefix: str = "test") -> str:
    """A new, empty database of our own; skips locally, fails in CI, when the server is away."""
    try:
        return await postgres.create_database(prefix)
    except postgres.Unreachable as e:
        if _in_ci():
            pytest.fail(str(e))
        pytest.skip(str(e))


async def drop_pg_database(url: str) -> None:
    """Drop a database made by create_pg_database, even with connections left open."""
    await postgres.drop_database(url)


async def clear_tables(engine: AsyncEngine) -> None:
    """Delete every row, children first, so the next test starts empty."""
    tables = [t.name for t in Base.metadata.sorted_tables]
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                await conn.execute(text(f"DELETE FROM {name}"))
