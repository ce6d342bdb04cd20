"""Retention: what goes, and when, for the housekeeping job and `anemia-screen prune`.

Counted back from now (docs/STORAGE.md; the windows are StorageSettings' RETENTION_DAYS and
RESEARCH_RETENTION_DAYS):
- a closed case (resolved or declined) goes a window after it closed, with its notes;
- a screening goes a window after it was made, unless a case still kept refers to it or its
  person has an open case;
- a research crop goes the research window after it was kept, or with its screening;
- a person (pseudonym, profile, consent) goes when nothing of theirs is left and they last
  agreed more than a window ago: someone silent that long is asked to agree again.
An open case, and every screening of a person with an open case, is never deleted.

Every condition below holds the same before and after the deletes that precede it, so a dry
run's counts are the deletes' counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, delete, exists, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Base, FollowUp, FollowUpNote, ResearchCrop, Screening, Subject
from storage.screenings import OPEN_STATUSES


@dataclass(frozen=True)
class Cutoffs:
    """Rows older than these go: `records` for cases, screenings and people, `crops` for
    research crops (both aware UTC)."""

    records: datetime
    crops: datetime

    @classmethod
    def of(cls, now: datetime, *, days: int, crop_days: int) -> Cutoffs:
        return cls(now - timedelta(days=days), now - timedelta(days=crop_days))


@dataclass(frozen=True)
class Pruned:
    """How many rows of each kind went (or, in a dry run, would go)."""

    cases: int
    notes: int
    screenings: int
    crops: int
    people: int


def _closed_case_due(c: Cutoffs) -> ColumnElement[bool]:
    closed = func.coalesce(FollowUp.closed_at, FollowUp.opened_at)  # closed_at is always set
    return and_(FollowUp.status.not_in(OPEN_STATUSES), closed < c.records)


def _screening_due(c: Cutoffs) -> ColumnElement[bool]:
    kept_cases = select(FollowUp.screening_id).where(not_(_closed_case_due(c)))
    open_people = select(FollowUp.subject_id).where(FollowUp.status.in_(OPEN_STATUSES))
    return and_(
        Screening.created_at < c.records,
        Screening.id.not_in(kept_cases),
        Screening.subject_id.not_in(open_people),
    )


def _crop_due(c: Cutoffs) -> ColumnElement[bool]:
    going = select(Screening.id).where(_screening_due(c))
    return or_(ResearchCrop.created_at < c.crops, ResearchCrop.screening_id.in_(going))


def _note_due(c: Cutoffs) -> ColumnElement[bool]:
    return FollowUpNote.followup_id.in_(select(FollowUp.id).where(_closed_case_due(c)))


def _person_due(c: Cutoffs) -> ColumnElement[bool]:
    screening_left = select(Screening.id).where(
        Screening.subject_id == Subject.id, not_(_screening_due(c))
    )
    case_left = select(FollowUp.id).where(
        FollowUp.subject_id == Subject.id, not_(_closed_case_due(c))
    )
    return and_(
        Subject.consent_at < c.records,
        Subject.created_at < c.records,
        not_(exists(screening_left)),
        not_(exists(case_left)),
    )


async def _count(session: AsyncSession, model: type[Base], where: ColumnElement[bool]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(where)) or 0)


async def _delete(session: AsyncSession, model: type[Base], where: ColumnElement[bool]) -> int:
    result = await session.execute(
        delete(model).where(where), execution_options={"synchronize_session": False}
    )
    return cast(CursorResult[Any], result).rowcount


async def _people(session: AsyncSession, c: Cutoffs, dry_run: bool) -> int:
    if dry_run:
        return await _count(session, Subject, _person_due(c))
    # Lock them first (PostgreSQL; SQLite has one writer): a photo being logged holds its
    # person's row, so that person is skipped now, and one logged after waits for this
    # transaction and finds no one. The condition is checked again under the lock.
    query = select(Subject.id).where(_person_due(c)).with_for_update(skip_locked=True)
    ids = list(await session.scalars(query))
    return await _delete(session, Subject, and_(Subject.id.in_(ids), _person_due(c)))


async def prune_records(
    session: AsyncSession, *, cutoffs: Cutoffs, dry_run: bool = False
) -> Pruned:
    """Delete what the retention rules say is due (dry run: count it, delete nothing)."""
    apply = _count if dry_run else _delete
    # children before parents, so that nothing goes by a cascade and every count is exact
    crops = await apply(session, ResearchCrop, _crop_due(cutoffs))
    notes = await apply(session, FollowUpNote, _note_due(cutoffs))
    cases = await apply(session, FollowUp, _closed_case_due(cutoffs))
    screenings = await apply(session, Screening, _screening_due(cutoffs))
    people = await _people(session, cutoffs, dry_run)
    if not dry_run:
        session.expunge_all()  # loaded objects may be gone
    return Pruned(cases, notes, screenings, crops, people)
