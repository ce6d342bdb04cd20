"""The shared photo rate limit: one window per person, counted in the database; one token per
photo update however often it is delivered."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

from sqlalchemy import func, select

from storage.models import PhotoToken, utcnow
from storage.photo_windows import prune_photo_windows, take_photo_slot

_updates = itertools.count(1)


async def test_limit_per_person_and_window(session) -> None:
    now = utcnow()

    async def take(key: str, at=now) -> bool:
        return await take_photo_slot(
            session, pseudonym=key, update_id=next(_updates), limit=2, window_s=60.0, now=at
        )

    assert [await take("a"), await take("a"), await take("a")] == [True, True, False]
    assert await take("b")  # another person has their own window
    assert not await take("a", now + timedelta(seconds=59))  # still the same window
    assert await take("a", now + timedelta(seconds=61))  # a new window starts
    assert await take("a", now + timedelta(seconds=62))
    assert not await take("a", now + timedelta(seconds=63))
    await prune_photo_windows(session, before=now + timedelta(seconds=30))
    assert [await take("b", now + timedelta(seconds=64))] == [True]  # b's old window was pruned


async def test_an_update_delivered_again_takes_one_token(session) -> None:
    now = utcnow()

    async def take(update_id: int, at=now) -> bool:
        return await take_photo_slot(
            session, pseudonym="a", update_id=update_id, limit=2, window_s=60.0, now=at
        )

    assert await take(1) and await take(1)  # delivered twice: one token
    assert await take(2)  # so the second photo is within the limit of 2
    assert await take(1)  # a third delivery of the first still pays nothing
    assert not await take(3)  # the third photo is over the limit
    assert not await take(3)  # and holds no token: delivered again, it is judged again
    assert await take(3, now + timedelta(seconds=61))  # in a new window it is let through
    await prune_photo_windows(session, before=now + timedelta(seconds=30))
    held = await session.scalar(select(func.count()).select_from(PhotoToken))
    assert held == 1  # only update 3's token, taken after `before`


async def test_two_deliveries_at_once_take_one_token(sessions) -> None:
    """Two replicas take for the same update at the same moment (PostgreSQL: the second waits
    on the first's token row): one token is counted."""

    async def take(update_id: int) -> bool:
        async with sessions.begin() as session:
            return await take_photo_slot(
                session, pseudonym="p", update_id=update_id, limit=2, window_s=60.0
            )

    assert await asyncio.gather(take(7), take(7), take(7)) == [True, True, True]
    assert await take(8)  # the second photo
    assert not await take(9)
