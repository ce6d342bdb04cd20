"""The photo rate limit shared by every bot process: one upsert per photo, a fixed window per
person that starts with their first photo in it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import upsert_insert
from storage.models import PhotoWindow, utcnow


async def take_photo_slot(
    session: AsyncSession,
    *,
    pseudonym: str,
    limit: int,
    window_s: float,
    now: datetime | None = None,
) -> bool:
    """Count one photo for the person; whether it is within `limit` for the window."""
    now = now or utcnow()
    expired = PhotoWindow.window_start <= now - timedelta(seconds=window_s)
    insert = upsert_insert(session, PhotoWindow).values(
        pseudonym=pseudonym, window_start=now, count=1
    )
    statement = insert.on_conflict_do_update(
        index_elements=[PhotoWindow.pseudonym],
        set_={
            "window_start": case((expired, now), else_=PhotoWindow.window_start),
            "count": case((expired, 1), else_=PhotoWindow.count + 1),
        },
    ).returning(PhotoWindow.count)
    count = (await session.execute(statement)).scalar_one()
    return bool(count <= limit)


async def prune_photo_windows(session: AsyncSession, *, before: datetime) -> None:
    """Forget windows that started before `before` (long over)."""
    await session.execute(delete(PhotoWindow).where(PhotoWindow.window_start < before))
