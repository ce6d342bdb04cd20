"""The relay: a person who agreed to be contacted can be reached through the bot by the
workers of their case, who never learn who they are. Storage keeps only an opaque token (the
chat id encrypted by the bot under RELAY_KEY); it cannot read it and never logs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import FollowUp, Subject, utcnow


@dataclass(frozen=True)
class Due:
    """A pending case whose person is due a reminder, with the token to reach them."""

    case_code: str
    language: str | None
    token: bytes


async def set_relay(session: AsyncSession, *, subject_id: int, token: bytes | None) -> None:
    """Keep (or, with None, forget) the subject's relay token."""
    await session.execute(update(Subject).where(Subject.id == subject_id).values(relay_chat=token))


async def relay_token(session: AsyncSession, *, subject_id: int) -> bytes | None:
    """The subject's relay token, if they agreed to be contacted and have one."""
    query = select(Subject.relay_chat).where(Subject.id == subject_id, Subject.contact_opt_in)
    return await session.scalar(query)


async def due_reminders(session: AsyncSession, *, opened_before: datetime) -> list[Due]:
    """Pending cases opened before `opened_before`, not yet reminded, whose person can be
    reached; locked so that two bot processes do not both remind."""
    query = (
        select(FollowUp.case_code, Subject.language, Subject.relay_chat)
        .join(Subject, Subject.id == FollowUp.subject_id)
        .where(
            FollowUp.status == "pending",
            FollowUp.reminded_at.is_(None),
            FollowUp.opened_at < opened_before,
            Subject.contact_opt_in,
            Subject.relay_chat.is_not(None),
        )
        .with_for_update(of=FollowUp, skip_locked=True)
    )
    rows = await session.execute(query)
    return [Due(code, lang, token) for code, lang, token in rows if token is not None]


async def mark_reminded(session: AsyncSession, *, case_code: str) -> None:
    """The reminder for this case went out."""
    query = update(FollowUp).where(FollowUp.case_code == case_code).values(reminded_at=utcnow())
    await session.execute(query)
