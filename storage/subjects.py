"""Subjects: create on consent, find by pseudonym (re-keying after a rotation), profile, erase."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import InvalidValue
from storage.models import (
    Conversation,
    PhotoWindow,
    ResearchCrop,
    Screening,
    Subject,
    utcnow,
)
from storage.pseudonyms import Pseudonym


@dataclass(frozen=True)
class Profile:
    """What the WHO risk table needs to know; None means not asked or not answered."""

    age_months: float | None = None
    age_group: str | None = None  # when only a band is known, e.g. "child_24_59m"
    sex: str | None = None  # "f" or "m"
    pregnant: bool = False
    trimester: int | None = None  # 1, 2 or 3

    def __post_init__(self) -> None:
        if self.age_months is not None and not 0 <= self.age_months < 1800:
            raise InvalidValue(f"age in months must be 0-1800, got {self.age_months}")
        if self.sex not in (None, "f", "m"):
            raise InvalidValue(f"sex must be 'f', 'm' or unknown, got {self.sex!r}")
        if self.trimester not in (None, 1, 2, 3):
            raise InvalidValue(f"trimester must be 1, 2 or 3, got {self.trimester!r}")
        if self.trimester is not None and not self.pregnant:
            raise InvalidValue("a trimester was given but not a pregnancy")


async def create_subject(
    session: AsyncSession,
    *,
    pseudonym: Pseudonym,
    consent_version: str,
    consent_at: datetime | None = None,
    language: str | None = None,
    contact_opt_in: bool = False,
    research_opt_in: bool = False,
    team_id: int | None = None,
) -> Subject:
    """A new subject; nothing about a person is stored before they consent."""
    subject = Subject(
        pseudonym=pseudonym.value,
        key_id=pseudonym.key_id,
        consent_version=consent_version,
        consent_at=consent_at or utcnow(),
        language=language,
        contact_opt_in=contact_opt_in,
        research_opt_in=research_opt_in,
        team_id=team_id,
    )
    session.add(subject)
    await session.flush()
    return subject


async def find_subject(session: AsyncSession, *, candidates: Sequence[Pseudonym]) -> Subject | None:
    """The subject under any of `candidates` (current key first), re-keyed to the current one
    together with their chat's step (a relayed message may await their answer)."""
    if not candidates:
        return None
    current = candidates[0]
    query = select(Subject).where(Subject.pseudonym.in_([p.value for p in candidates]))
    rows = list(await session.scalars(query))
    subject = next((r for r in rows if r.pseudonym == current.value), rows[0] if rows else None)
    if subject is None or subject.pseudonym == current.value:
        return subject
    # seen under a retired key: move them to the current one so the old key can go. The row
    # is locked first (as a worker's relayed message does before it sets the chat's step),
    # and read again: another process may have moved them meanwhile.
    locked = select(Subject).where(Subject.id == subject.id).with_for_update()
    subject = (await session.scalars(locked.execution_options(populate_existing=True))).first()
    if subject is None:  # erased meanwhile
        return None
    retired = subject.pseudonym
    if retired != current.value:
        subject.pseudonym, subject.key_id = current
        await session.flush()
        await _rekey_chat(session, retired=retired, current=current)
    return subject


async def _rekey_chat(session: AsyncSession, *, retired: str, current: Pseudonym) -> None:
    """Move the chat's step from the retired pseudonym to the current one; a step already
    under the current one is newer and stays."""
    exists = select(Conversation.pseudonym).where(Conversation.pseudonym == current.value)
    if await session.scalar(exists) is not None:
        await session.execute(delete(Conversation).where(Conversation.pseudonym == retired))
        return
    await session.execute(
        update(Conversation)
        .where(Conversation.pseudonym == retired)
        .values(pseudonym=current.value, key_id=current.key_id)
        .execution_options(synchronize_session=False)
    )


async def set_profile(session: AsyncSession, *, subject_id: int, profile: Profile) -> Subject:
    """Replace the subject's profile with `profile`."""
    subject = await session.get_one(Subject, subject_id)
    subject.age_months = profile.age_months
    subject.age_group = profile.age_group
    subject.sex = profile.sex
    subject.pregnant = profile.pregnant
    subject.trimester = profile.trimester
    await session.flush()
    return subject


async def set_research_opt_in(session: AsyncSession, *, subject_id: int, opt_in: bool) -> int:
    """Turn the research opt-in on or off; off erases the crops kept so far (returns how many)."""
    subject = await session.get_one(Subject, subject_id)
    subject.research_opt_in = opt_in
    erased = 0
    if not opt_in:
        kept = select(Screening.id).where(Screening.subject_id == subject_id)
        result = await session.execute(
            delete(ResearchCrop).where(ResearchCrop.screening_id.in_(kept))
        )
        erased = cast(CursorResult[Any], result).rowcount
    await session.flush()
    return erased


async def set_contact_opt_in(session: AsyncSession, *, subject_id: int, opt_in: bool) -> None:
    """Turn the consent to be contacted on or off; off erases the sealed chat id at once."""
    subject = await session.get_one(Subject, subject_id)
    subject.contact_opt_in = opt_in
    if not opt_in:
        subject.relay_chat = None
    await session.flush()


async def set_language(session: AsyncSession, *, subject_id: int, language: str) -> Subject:
    """Change the subject's language (a BCP 47 tag such as "en" or "ja")."""
    if not 1 <= len(language) <= 16:
        raise InvalidValue(f"a language tag must have 1-16 characters, got {language!r}")
    subject = await session.get_one(Subject, subject_id)
    subject.language = language
    await session.flush()
    return subject


async def erase_subject(session: AsyncSession, *, candidates: Sequence[Pseudonym]) -> int:
    """Delete the subject and every row about them; returns how many subjects went.

    The database cascades the delete to screenings, follow-ups, notes and crops. Objects the
    session had loaded are detached, since some of them no longer exist.
    """
    values = [p.value for p in candidates]
    # the chat's conversation is keyed by the same pseudonym (private chat id == user id)
    await session.execute(delete(Conversation).where(Conversation.pseudonym.in_(values)))
    await session.execute(delete(PhotoWindow).where(PhotoWindow.pseudonym.in_(values)))
    result = await session.execute(delete(Subject).where(Subject.pseudonym.in_(values)))
    session.expunge_all()  # rows removed by ON DELETE CASCADE must not linger in the session
    return cast(CursorResult[Any], result).rowcount
