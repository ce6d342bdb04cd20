"""Retention: closed cases, screenings, research crops and silent people go when their window
is over, a minute late; a minute early they stay; open cases and their people's screenings
never go; a dry run counts exactly what a real run deletes and deletes nothing."""

from __future__ import annotations

import asyncio
import io
from dataclasses import astuple
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import screenings, subjects
from storage.models import Base, FollowUp, FollowUpNote, ResearchCrop, Screening, Subject
from storage.retention import Cutoffs, Pruned, prune_records
from tests.storage.helpers import pseudonymizer, record

P = pseudonymizer()
NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
DAYS, CROP_DAYS = 365, 180
CUTOFFS = Cutoffs.of(NOW, days=DAYS, crop_days=CROP_DAYS)
OUTSIDE = NOW - timedelta(days=DAYS, minutes=1)  # a minute past the window
INSIDE = NOW - timedelta(days=DAYS) + timedelta(minutes=1)  # a minute short of it
LONG_AGO = NOW - timedelta(days=3 * DAYS)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (6, 6), (200, 50, 50, 255)).save(out, format="PNG")
    return out.getvalue()


async def person(session: AsyncSession, user: int, agreed: datetime = LONG_AGO) -> Subject:
    s = await subjects.create_subject(
        session, pseudonym=P.pseudonym(user), consent_version="v1", research_opt_in=True
    )
    s.created_at = s.consent_at = agreed
    return s


async def screened(
    session: AsyncSession,
    s: Subject,
    at: datetime,
    hb: float = 11.8,
    crop_at: datetime | None = None,
) -> Screening:
    """A screening made `at` (hb under 10: it opens a case, or joins the open one)."""
    risk = "moderate" if hb < 10 else "none"
    row, _ = await screenings.record_screening(
        session, subject_id=s.id, record=record(hb, risk), crop_png=_png()
    )
    row.created_at = at
    crop = await session.get_one(ResearchCrop, row.id)
    crop.created_at = crop_at or at
    await session.flush()
    return row


async def case(
    session: AsyncSession, s: Subject, at: datetime, closed: datetime | None, status: str
) -> FollowUp:
    """A case opened by a screening made `at`, `status` since `closed`, with one note."""
    row = await screened(session, s, at, hb=9.0)
    followup = (
        await session.scalars(select(FollowUp).where(FollowUp.screening_id == row.id))
    ).one()
    followup.opened_at, followup.status, followup.closed_at = at, status, closed
    session.add(FollowUpNote(followup_id=followup.id, text="called", created_at=at))
    await session.flush()
    return followup


async def ids(session: AsyncSession, model: type[Base]) -> set[int]:
    key = {Screening: Screening.id, FollowUp: FollowUp.id, Subject: Subject.id}.get(model)
    column = key if key is not None else ResearchCrop.screening_id
    return set(await session.scalars(select(column)))


async def count(session: AsyncSession, model: type[Base]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_each_kind_goes_a_minute_after_its_window_not_a_minute_before(session) -> None:
    a = await person(session, 1)
    gone_case = await case(session, a, LONG_AGO, OUTSIDE, "resolved")
    kept_case = await case(session, a, LONG_AGO, INSIDE, "declined")  # its old screening stays
    old = await screened(session, a, OUTSIDE)
    recent = await screened(session, a, INSIDE, crop_at=NOW - timedelta(days=CROP_DAYS, minutes=1))
    fresh = await screened(session, a, NOW - timedelta(days=CROP_DAYS) + timedelta(minutes=1))
    pruned = await prune_records(session, cutoffs=CUTOFFS)
    assert pruned == Pruned(cases=1, notes=1, screenings=2, crops=4, people=0)
    assert await ids(session, FollowUp) == {kept_case.id}
    assert await ids(session, Screening) == {kept_case.screening_id, recent.id, fresh.id}
    assert gone_case.screening_id not in {old.id, *await ids(session, Screening)}
    # the crops of the screenings that went, and those past the research window
    assert await ids(session, ResearchCrop) == {fresh.id}
    assert await count(session, FollowUpNote) == 1 and await ids(session, Subject) == {a.id}


@pytest.mark.parametrize("status", ["pending", "contacted"])
async def test_an_open_case_and_its_persons_screenings_never_go(session, status) -> None:
    a = await person(session, 1)
    opened = await case(session, a, LONG_AGO, None, status)
    retake = await screened(session, a, LONG_AGO)  # made while the case is open
    pruned = await prune_records(session, cutoffs=CUTOFFS)
    assert pruned == Pruned(cases=0, notes=0, screenings=0, crops=2, people=0)  # crops do go
    assert await ids(session, FollowUp) == {opened.id} and await count(session, FollowUpNote) == 1
    assert await ids(session, Screening) == {opened.screening_id, retake.id}


async def test_people_go_when_nothing_is_left_and_they_agreed_long_ago(session) -> None:
    silent = await person(session, 1)  # agreed long ago, never sent a photo
    lapsed = await person(session, 2)
    await screened(session, lapsed, OUTSIDE)  # their last screening goes in the same run
    active = await person(session, 3)
    await screened(session, active, INSIDE)
    new = await person(session, 4, agreed=INSIDE)  # agreed a minute short of the window
    closed = await person(session, 5)
    await case(session, closed, LONG_AGO, INSIDE, "resolved")  # their case is still kept
    pruned = await prune_records(session, cutoffs=CUTOFFS)
    assert pruned.people == 2
    assert await ids(session, Subject) == {active.id, new.id, closed.id}
    assert silent.id not in await ids(session, Subject)


async def test_a_dry_run_counts_what_a_run_deletes_and_deletes_nothing(session) -> None:
    a, b = await person(session, 1), await person(session, 2)
    await case(session, a, LONG_AGO, OUTSIDE, "resolved")
    await case(session, b, LONG_AGO, None, "pending")
    await screened(session, a, OUTSIDE)
    await screened(session, b, OUTSIDE)
    await screened(session, a, INSIDE, crop_at=OUTSIDE)
    models = (Subject, Screening, FollowUp, FollowUpNote, ResearchCrop)
    before = [await count(session, m) for m in models]
    dry = await prune_records(session, cutoffs=CUTOFFS, dry_run=True)
    assert [await count(session, m) for m in models] == before
    assert dry == Pruned(cases=1, notes=1, screenings=2, crops=5, people=0)
    assert await prune_records(session, cutoffs=CUTOFFS) == dry
    assert await prune_records(session, cutoffs=CUTOFFS, dry_run=True) == Pruned(0, 0, 0, 0, 0)


async def test_two_replicas_pruning_at_once_delete_each_row_once(sessions) -> None:
    """Every replica's housekeeping job prunes; the counts add up to each row once."""
    async with sessions.begin() as session:
        for user in range(1, 7):
            s = await person(session, user)
            await case(session, s, LONG_AGO, OUTSIDE, "resolved")
            await screened(session, s, OUTSIDE)

    async def replica() -> Pruned:
        async with sessions.begin() as session:
            return await prune_records(session, cutoffs=CUTOFFS)

    first, second = await asyncio.gather(replica(), replica())
    total = [a + b for a, b in zip(astuple(first), astuple(second), strict=True)]
    assert total == [6, 6, 12, 12, 6]  # cases, notes, screenings, crops, people
    # each row went once: the second waits for the rows the first holds, then skips them
