"""Processed Telegram updates: a redelivered update is handled once, across bot processes."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import upsert_insert
from storage.models import ProcessedUpdate, Screening, utcnow


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


async def link_screening(
    session: AsyncSession, *, update_id: int, screening_id: int, answered: bool = False
) -> None:
    """Note the screening a claimed update produced; its reply is still to be sent unless
    `answered` (e.g. the person was answered before the screening could be logged)."""
    await session.execute(
        update(ProcessedUpdate)
        .where(ProcessedUpdate.update_id == update_id)
        .values(screening_id=screening_id, answered_at=utcnow() if answered else None)
    )


async def mark_answered(session: AsyncSession, *, update_ids: Collection[int]) -> None:
    """The updates' replies have been sent (a no-op for updates without a screening)."""
    await session.execute(
        update(ProcessedUpdate)
        .where(
            ProcessedUpdate.update_id.in_(update_ids),
            ProcessedUpdate.screening_id.is_not(None),
            ProcessedUpdate.answered_at.is_(None),
        )
        .values(answered_at=utcnow())
    )


async def handled_update(
    session: AsyncSession, *, update_id: int, claimed_before: datetime
) -> tuple[bool, Screening | None]:
    """(whether the update was claimed, its screening if the reply was never sent and the
    claim is older than `claimed_before`: younger, its first handling may still be sending)."""
    row = (
        await session.execute(
            select(ProcessedUpdate, Screening)
            .outerjoin(Screening, Screening.id == ProcessedUpdate.screening_id)
            .where(ProcessedUpdate.update_id == update_id)
        )
    ).first()
    if row is None:
        return False, None
    claim, screening = row
    unsent = claim.answered_at is None and claim.processed_at < claimed_before
    return True, screening if unsent else None
