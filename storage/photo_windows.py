"""The photo rate limit shared by every bot process: one upsert per photo, a fixed window per
person that starts with their first photo in it, and one token per photo update however often
Telegram delivers it (a late answer, another replica, a restart after a crash)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import upsert_insert
from storage.models import PhotoToken, PhotoWindow, utcnow


async def take_photo_slot(
    session: AsyncSession,
    *,
    pseudonym: str,
    update_id: int,
    limit: int,
    window_s: float,
    now: datetime | None = None,
) -> bool:
    """Count the photo of update `update_id` for the person; whether it is within `limit`
    for the window. An update that took a token before is let through without counting.

    The update's token row is written first: a second delivery taking at the same time waits
    on that primary key until the first commits (PostgreSQL; SQLite has one writer), then
    finds it. A refused photo keeps no token, so its redelivery is judged again.
    """
    now = now or utcnow()
    if not await _first_take(session, update_id=update_id, now=now):
        return True
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
    if count > limit:
        await session.execute(delete(PhotoToken).where(PhotoToken.update_id == update_id))
        return False
    return True


async def give_back_photo_slot(session: AsyncSession, *, pseudonym: str, update_id: int) -> None:
    """Undo the update's token (a photo the service could not take, e.g. every worker busy):
    its window counts one photo fewer. Nothing happens if it held none."""
    gone = await session.execute(
        delete(PhotoToken).where(PhotoToken.update_id == update_id).returning(PhotoToken.update_id)
    )
    if gone.first() is not None:
        await session.execute(
            update(PhotoWindow)
            .where(PhotoWindow.pseudonym == pseudonym, PhotoWindow.count > 0)
            .values(count=PhotoWindow.count - 1)
        )


async def _first_take(session: AsyncSession, *, update_id: int, now: datetime) -> bool:
    """Note that the update takes a token; False if it had taken one already."""
    statement = (
        upsert_insert(session, PhotoToken)
        .values(update_id=update_id, taken_at=now)
        .on_conflict_do_nothing()
        .returning(PhotoToken.update_id)
    )
    return (await session.execute(statement)).first() is not None


async def prune_photo_windows(session: AsyncSession, *, before: datetime) -> None:
    """Forget windows that started, and tokens taken, before `before` (long over; Telegram
    redelivers an update for at most a day)."""
    await session.execute(delete(PhotoWindow).where(PhotoWindow.window_start < before))
    await session.execute(delete(PhotoToken).where(PhotoToken.taken_at < before))
