"""Faults: the database becomes unreachable mid-run. The real Application against the stand-in
Bot API server: the outage starts while a photo is being screened; the person still gets the
result, the screening waits in the outbox file (pseudonymised only), and once the database is
back exactly one screening row exists. A photo arriving during the outage gets a plain
"send it again" message. On SQLite the outage is injected at the driver boundary; on
PostgreSQL it is real (the database refuses connections and its sessions are terminated).
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from bot.pipeline.result import Screening
from bot.pipeline.risk import Person
from bot.texts.i18n import t
from storage.db import make_engine
from storage.models import Screening as ScreeningRow
from testbed.bot import SAMPLE, running
from testbed.postgres import PG_ADMIN
from tests.bot.chat.test_e2e_chat import USER, assert_result, consent_and_profile
from tests.bot.e2e import inference_pool, weights_dir
from tests.storage.helpers import create_pg_database, drop_pg_database

__all__ = ["inference_pool", "weights_dir"]  # fixtures


class Outage:
    """Makes the bot's database unreachable (`down`) and reachable again (`up`)."""

    async def down(self, app: Any) -> None: ...

    async def up(self) -> None: ...


class OutageDuringScreening:
    """The inference pool, but the database goes away while a photo is being screened."""

    def __init__(self, pool: Any, outage: Outage) -> None:
        self.pool, self.outage = pool, outage
        self.app: Any = None

    async def screen(self, data: bytes, person: Person, *, with_cutout: bool = False) -> Screening:
        await self.outage.down(self.app)
        return await self.pool.screen(data, person, with_cutout=with_cutout)


async def screenings(url: str) -> int:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(ScreeningRow)) or 0)
    finally:
        await engine.dispose()


async def eventually_one_row(url: str, seconds: float = 15.0) -> None:
    for _ in range(int(seconds / 0.2)):
        if await screenings(url) == 1:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{await screenings(url)} screening rows after {seconds} s")


async def eventually_released(outbox: Path, seconds: float = 15.0) -> None:
    for _ in range(int(seconds / 0.2)):
        if not held_ids(outbox):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"still held after {seconds} s: {held_ids(outbox)}")


def held_ids(outbox: Path) -> list[int]:
    if not outbox.exists():
        return []
    with sqlite3.connect(outbox) as conn:
        return [row[0] for row in conn.execute("SELECT update_id FROM held")]


async def outage_mid_screening(fake, url, pool, outbox: Path, outage: Outage) -> None:
    """A photo during which the database goes away, one while it is away, then its return."""
    slowed: Any = OutageDuringScreening(pool, outage)
    async with running(fake, url, slowed, outbox_path=outbox, outbox_retry_s=0.2) as app:
        slowed.app = app
        await consent_and_profile(fake)
        update_id = fake.send_photo(USER, SAMPLE.read_bytes())
        *_, text, photo = await fake.wait_replies(USER, 6, timeout=60)
        assert_result(text, photo)  # the person got the result despite the outage
        assert held_ids(outbox) == [update_id]
        raw = outbox.read_bytes()
        assert str(USER).encode() not in raw and b"Ama" not in raw  # pseudonymised only
        # a photo while the database is still away: the profile cannot be read, so it is not
        # screened, and the person is told plainly to send it again
        fake.send_photo(USER, SAMPLE.read_bytes())
        *_, again = await fake.wait_replies(USER, 7, timeout=60)
        assert again.params["text"] == t("en", "db_unavailable")
        await outage.up()
        await eventually_one_row(url)
        await eventually_released(outbox)  # the outbox lets go of it after the row's commit
        assert await screenings(url) == 1 and len(fake.replies(USER)) == 7  # nothing twice


class SqliteOutage(Outage):
    """Every statement fails as aiosqlite fails when the file cannot be opened."""

    def __init__(self) -> None:
        self.is_down = False

    def _refuse(self, *_: Any) -> None:
        if self.is_down:
            raise OperationalError("(outage)", {}, sqlite3.OperationalError("unable to open"))

    async def down(self, app: Any) -> None:
        engine = app.bot_data.engine.sync_engine
        if not event.contains(engine, "before_cursor_execute", self._refuse):
            event.listen(engine, "before_cursor_execute", self._refuse)
        self.is_down = True

    async def up(self) -> None:
        self.is_down = False


class PostgresOutage(Outage):
    """The database refuses new connections and its open sessions are terminated."""

    def __init__(self, url: str) -> None:
        self.name = url.rsplit("/", 1)[1]

    async def _admin(self, *statements: str) -> None:
        conn = await asyncpg.connect(**PG_ADMIN, timeout=5)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    async def down(self, app: Any) -> None:
        await self._admin(
            f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false',
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{self.name}' AND pid <> pg_backend_pid()",
        )

    async def up(self) -> None:
        await self._admin(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true')


async def test_sqlite_outage_mid_screening_loses_nothing(fake_telegram, tmp_path, inference_pool):
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    await outage_mid_screening(
        fake_telegram, url, inference_pool, tmp_path / "outbox" / "o.db", SqliteOutage()
    )


async def test_postgresql_outage_mid_screening_loses_nothing(
    fake_telegram, tmp_path, inference_pool
):
    url = await create_pg_database("bot_faults")
    outage = PostgresOutage(url)
    try:
        await outage_mid_screening(fake_telegram, url, inference_pool, tmp_path / "o.db", outage)
    finally:
        await outage.up()
        await drop_pg_database(url)
