"""Processed Telegram updates: a redelivered update is handled once, across bot processes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import upsert_insert
from storage.models import ProcessedUpdate, utcnow


async def claim_update(session: AsyncSession, *, update_id: int) -> bool:
    """True if this call is the first to claim the update, False if it was already claimed.

    Claim in the same transaction as the update's writes: a crash then rolls the claim back and
    Telegram's redelivery is handled; a second process claiming meanwhile waits for the first to
    commit (PostgreSQL row lock, SQLite write lock) and then gets False.
    """
    statement = (
        upsert_insert(session, ProcessedUpdate)
        .values(update_id=update_id, processed_at=utcnow())
        .on_conflict_do_nothing()
        .returning(ProcessedUpdate.update_id)
    )
    return (await session.execute(statement)).first() is not None


async def prune_updates(session: AsyncSession, *, before: datetime) -> int:
    """Forget updates processed before `before` (Telegram redelivers for about a day)."""
    result = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < before)
    )
    return cast(CursorResult[Any], result).rowcount
