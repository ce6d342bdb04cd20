"""The shared photo rate limit: one window per person, counted in the database."""

from __future__ import annotations

from datetime import timedelta

from storage.models import utcnow
from storage.ratelimit import prune_photo_windows, take_photo_slot


async def test_limit_per_person_and_window(session) -> None:
    now = utcnow()

    async def take(key: str, at=now) -> bool:
        return await take_photo_slot(session, pseudonym=key, limit=2, window_s=60.0, now=at)

    assert [await take("a"), await take("a"), await take("a")] == [True, True, False]
    assert await take("b")  # another person has their own window
    assert not await take("a", now + timedelta(seconds=59))  # still the same window
    assert await take("a", now + timedelta(seconds=61))  # a new window starts
    assert await take("a", now + timedelta(seconds=62))
    assert not await take("a", now + timedelta(seconds=63))
    await prune_photo_windows(session, before=now + timedelta(seconds=30))
    assert [await take("b", now + timedelta(seconds=64))] == [True]  # b's old window was pruned
