"""The housekeeping job runs on the bot's JobQueue and prunes what is old enough."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from bot.services.housekeeping import UPDATE_RETENTION
from storage.models import ProcessedUpdate, utcnow
from storage.updates import claim_update
from testbed.bot import running
from testbed.telegram import FakeTelegram
from tests.bot.chat.conftest import StubPool


async def test_the_job_prunes_old_update_ids(fake_telegram: FakeTelegram, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    async with running(fake_telegram, url, StubPool(), housekeeping_interval_s=0.2) as app:
        assert app.job_queue is not None and app.job_queue.get_jobs_by_name("housekeeping")
        sessions = app.bot_data.deps.sessions  # type: ignore[union-attr]
        async with sessions.begin() as session:
            for update_id in (1, 2):
                await claim_update(session, update_id=update_id)
            old = utcnow() - UPDATE_RETENTION - timedelta(hours=1)
            await session.execute(
                update(ProcessedUpdate)
                .where(ProcessedUpdate.update_id == 1)
                .values(processed_at=old)
            )
        for _ in range(50):  # the job runs every 0.2 s
            await asyncio.sleep(0.1)
            async with sessions() as session:
                kept = list(await session.scalars(select(ProcessedUpdate.update_id)))
            if kept == [2]:
                break
        assert kept == [2]  # the old one pruned, the fresh one kept
        async with sessions() as session:
            assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 1
