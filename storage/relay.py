"""The relay: a person who agreed to be contacted can be reached through the bot by the
workers of their case, who never learn who they are. Storage keeps only an opaque token (the
chat id encrypted by the bot under RELAY_KEY); it cannot read it and never logs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import FollowUp, Subject, utcnow


@dataclass(frozen=True)
class Due:
    """A pending case whose person is due a reminder, with the token to reach them."""

    case_code: str
    subject_id: int
    language: str | None
    token: bytes


async def set_relay(session: AsyncSession, *, subject_id: int, token: bytes | None) -> None:
    """Keep (or, with None, forget) the subject's relay token."""
    await session.execute(update(Subject).where(Subject.id == subject_id).values(relay_chat=token))


async def replace_relay(session: AsyncSession, *, subject_id: int, old: bytes, new: bytes) -> bool:
    """Swap the token for one re-sealed under the current key, unless it changed meanwhile
    (erased, or sealed afresh): a withdrawn consent is never undone by a re-seal."""
    query = (
        update(Subject)
        .where(Subject.id == subject_id, Subject.relay_chat == old)
        .values(relay_chat=new)
    )
    return bool(cast(CursorResult[Any], await session.execute(query)).rowcount)


async def relay_token(session: AsyncSession, *, subject_id: int) -> bytes | None:
    """The subject's relay token, if they agreed to be contacted and have one."""
    query = select(Subject.relay_chat).where(Subject.id == subject_id, Subject.contact_opt_in)
    return await session.scalar(query)


async def sealed_tokens(session: AsyncSession) -> list[tuple[int, bytes]]:
    """Every stored token with its subject's id (one per open case of a consenting person)."""
    query = select(Subject.id, Subject.relay_chat).where(Subject.relay_chat.is_not(None))
    return [(sid, token) for sid, token in await session.execute(query) if token is not None]


def _due(opened_before: datetime) -> list[ColumnElement[bool]]:
    return [
        FollowUp.status == "pending",
        FollowUp.reminded_at.is_(None),
        FollowUp.opened_at < opened_before,
        Subject.contact_opt_in.is_(True),
        Subject.relay_chat.is_not(None),
    ]


async def due_reminders(session: AsyncSession, *, opened_before: datetime) -> list[str]:
    """The codes of pending cases opened before `opened_before`, not yet reminded, whose
    person can be reached (unlocked: claim each with claim_reminder)."""
    query = (
        select(FollowUp.case_code)
        .join(Subject, Subject.id == FollowUp.subject_id)
        .where(*_due(opened_before))
        .order_by(FollowUp.opened_at)
    )
    return list(await session.scalars(query))


async def claim_reminder(
    session: AsyncSession, *, case_code: str, opened_before: datetime
) -> Due | None:
    """The case's reminder if it is still due, locked until the transaction ends so that
    another bot process skips it; None when it is not due or another process holds it."""
    query = (
        select(FollowUp.case_code, Subject.id, Subject.language, Subject.relay_chat)
        .join(Subject, Subject.id == FollowUp.subject_id)
        .where(FollowUp.case_code == case_code, *_due(opened_before))
        .with_for_update(of=FollowUp, skip_locked=True)
    )
    row = (await session.execute(query)).first()
    if row is None or row.relay_chat is None:
        return None
    return Due(row.case_code, row.id, row.language, row.relay_chat)


async def mark_reminded(session: AsyncSession, *, case_code: str) -> None:
    """The reminder for this case went out."""
    query = update(FollowUp).where(FollowUp.case_code == case_code).values(reminded_at=utcnow())
    await session.execute(query)
