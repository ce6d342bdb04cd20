"""Follow-ups: the workers' case list, and pending -> contacted -> resolved (or declined).

Every call takes the acting `worker`; a worker sees and changes only their team's cases.
`worker=None` is the operator at the database (the `anemia-screen` CLI): all teams; an
`Office` is the operator for one team (a dashboard sign-in the operator made).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import InvalidTransition, InvalidValue, NotFound, PermissionDenied
from storage.models import (
    RISKS,
    STATUSES,
    FollowUp,
    FollowUpNote,
    HealthWorker,
    Screening,
    Subject,
    Team,
    utcnow,
)
from storage.pseudonyms import normalise_code

NEXT = {  # status -> statuses it may move to
    "pending": ("contacted", "resolved", "declined"),
    "contacted": ("contacted", "resolved", "declined"),  # another attempt keeps it contacted
    "resolved": (),
    "declined": (),
}
LAB_HB_RANGE = (2.0, 25.0)  # g/dL; outside it the number is a typo, not a result
MAX_NOTE_CHARS = 2000


@dataclass(frozen=True)
class Office:
    """The operator acting for one team (a dashboard link made by `anemia-screen web-link`):
    it sees and changes that team's cases as the CLI does every team's; its notes are the
    office's, and it takes no case for itself."""

    team_id: int
    active: bool = True
    id: None = None


Actor = HealthWorker | Office | None


@dataclass(frozen=True)
class Narrow:
    """The dashboard's further filters: the screening's WHO group (`risk_groups`, keys of
    bot.pipeline.risk.GROUPS) and population, whom the case is assigned to (a worker's id, or
    "nobody"), and only cases with a lab Hb."""

    risk_groups: Sequence[str] = ()
    populations: Sequence[str] = ()
    assigned: int | Literal["nobody"] | None = None
    with_lab: bool = False


@dataclass(frozen=True)
class FollowUpView:
    """One line of the case list: the case, its screening, and what the workers found."""

    case_code: str
    status: str
    reason: str
    opened_at: datetime
    team: str | None
    assigned_worker_id: int | None
    risk: str
    hb_g_dl: float
    interval_low: float
    interval_high: float
    reliable: bool
    model_version: str
    contact_opt_in: bool
    lab_hb_g_dl: float | None
    lab_date: date | None
    outcome: str | None
    risk_group: str
    population: str | None


def _scope(worker: Actor) -> list[ColumnElement[bool]]:
    """The condition limiting cases to the worker's team (none for the operator)."""
    # cases of subjects with no team are seen only by the operator
    if worker is None:
        return []
    if not worker.active:
        raise PermissionDenied("this health worker's access has been revoked")
    return [FollowUp.team_id == worker.team_id]


async def list_followups(
    session: AsyncSession,
    *,
    worker: Actor,
    statuses: Sequence[str] = (),
    risks: Sequence[str] = (),
    since: datetime | None = None,
    before: datetime | None = None,
    team_id: int | None = None,
    narrow: Narrow | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[FollowUpView]:
    """Cases, oldest first, filtered by status, screening risk, opening time, team and
    `narrow`."""
    query = (
        select(*_VIEW_COLUMNS)
        .join(Screening, FollowUp.screening_id == Screening.id)
        .join(Subject, FollowUp.subject_id == Subject.id)
        .outerjoin(Team, FollowUp.team_id == Team.id)
        .where(*_filters(worker, statuses, risks, since, before, team_id), *_narrowed(narrow))
        .order_by(FollowUp.opened_at, FollowUp.id)
    )
    rows = await session.execute(query.limit(limit).offset(offset or None))
    return [FollowUpView(**row._asdict()) for row in rows]


async def count_followups(
    session: AsyncSession,
    *,
    worker: Actor,
    statuses: Sequence[str] = (),
    risks: Sequence[str] = (),
    since: datetime | None = None,
    before: datetime | None = None,
    narrow: Narrow | None = None,
) -> int:
    """How many cases list_followups would give with these filters and no limit."""
    query = (
        select(func.count())
        .select_from(FollowUp)
        .join(Screening, FollowUp.screening_id == Screening.id)
        .where(*_filters(worker, statuses, risks, since, before, None), *_narrowed(narrow))
    )
    return int(await session.scalar(query) or 0)


def _filters(
    worker: Actor,
    statuses: Sequence[str],
    risks: Sequence[str],
    since: datetime | None,
    before: datetime | None,
    team_id: int | None,
) -> list[ColumnElement[bool]]:
    """The worker's scope and the list's filters; `before`: opened before then."""
    _check(statuses, STATUSES, "status")
    _check(risks, RISKS, "risk")
    where = _scope(worker)
    if statuses:
        where.append(FollowUp.status.in_(statuses))
    if risks:
        where.append(Screening.risk.in_(risks))
    if since is not None:
        where.append(FollowUp.opened_at >= since)
    if before is not None:
        where.append(FollowUp.opened_at < before)
    if team_id is not None:
        where.append(FollowUp.team_id == team_id)
    return where


def _narrowed(narrow: Narrow | None) -> list[ColumnElement[bool]]:
    narrow = narrow or Narrow()
    where: list[ColumnElement[bool]] = []
    if narrow.risk_groups:
        where.append(Screening.risk_group.in_(narrow.risk_groups))
    if narrow.populations:
        where.append(Screening.population.in_(narrow.populations))
    if narrow.assigned == "nobody":
        where.append(FollowUp.assigned_worker_id.is_(None))
    elif narrow.assigned is not None:
        where.append(FollowUp.assigned_worker_id == narrow.assigned)
    if narrow.with_lab:
        where.append(FollowUp.lab_hb_g_dl.is_not(None))
    return where


def _check(values: Sequence[str], allowed: tuple[str, ...], what: str) -> None:
    bad = [v for v in values if v not in allowed]
    if bad:
        raise InvalidValue(f"unknown {what} {', '.join(bad)}; choose from {', '.join(allowed)}")


# the view's columns, selected directly: no ORM objects to build for a long list
_VIEW_COLUMNS = (
    FollowUp.case_code,
    FollowUp.status,
    FollowUp.reason,
    FollowUp.opened_at,
    Team.name.label("team"),
    FollowUp.assigned_worker_id,
    Screening.risk,
    Screening.hb_g_dl,
    Screening.interval_low,
    Screening.interval_high,
    Screening.reliable,
    Screening.model_version,
    Subject.contact_opt_in,
    FollowUp.lab_hb_g_dl,
    FollowUp.lab_date,
    FollowUp.outcome,
    Screening.risk_group,
    Screening.population,
)


async def get_followup(session: AsyncSession, *, case_code: str, worker: Actor) -> FollowUp:
    """The case with this code, locked for update; NotFound if it is not the worker's team's."""
    query = select(FollowUp).where(FollowUp.case_code == normalise_code(case_code))
    found = (await session.scalars(query.where(*_scope(worker)).with_for_update())).first()
    if found is None:
        raise NotFound(f"no follow-up with case code {case_code}")
    return found


async def _move(
    session: AsyncSession, case_code: str, worker: Actor, to: str, note: str | None
) -> FollowUp:
    followup = await get_followup(session, case_code=case_code, worker=worker)
    if to not in NEXT[followup.status]:
        raise InvalidTransition(f"case {case_code} is {followup.status}; it cannot become {to}")
    added = _note(followup.id, worker, note) if note else None  # checked before any change
    followup.status = to
    now = utcnow()
    if to == "contacted":
        followup.contacted_at = now
    else:
        followup.closed_at = now
        # the relay lives only while a case is open (one open case per person)
        await session.execute(
            update(Subject).where(Subject.id == followup.subject_id).values(relay_chat=None)
        )
    if isinstance(worker, HealthWorker) and followup.assigned_worker_id is None:
        followup.assigned_worker_id = worker.id  # whoever acts first takes the case
    if added is not None:
        session.add(added)
    await session.flush()
    return followup


def _note(followup_id: int, worker: Actor, text: str, author: str | None = None) -> FollowUpNote:
    """A note by the worker, by the operator (no worker, or an Office), or with `author`
    "person"."""
    text = text.strip()
    if not text or len(text) > MAX_NOTE_CHARS:
        raise InvalidValue(f"a note must have 1-{MAX_NOTE_CHARS} characters")
    worker_id = worker.id if isinstance(worker, HealthWorker) else None
    author = author or ("worker" if worker_id is not None else "office")
    return FollowUpNote(followup_id=followup_id, worker_id=worker_id, author=author, text=text)


async def mark_contacted(
    session: AsyncSession, *, case_code: str, worker: Actor, note: str | None = None
) -> FollowUp:
    """The person was reached (again)."""
    return await _move(session, case_code, worker, "contacted", note)


async def decline_followup(
    session: AsyncSession, *, case_code: str, worker: Actor, note: str | None = None
) -> FollowUp:
    """The person does not want a follow-up; the case closes."""
    return await _move(session, case_code, worker, "declined", note)


async def resolve_followup(
    session: AsyncSession,
    *,
    case_code: str,
    worker: Actor,
    lab_hb_g_dl: float | None,
    lab_date: date | None = None,
    outcome: str | None = None,
    note: str | None = None,
) -> FollowUp:
    """Close the case, with the lab-confirmed Hb (g/dL) when there is one (date: today, UTC)."""
    if lab_hb_g_dl is not None and not LAB_HB_RANGE[0] <= lab_hb_g_dl <= LAB_HB_RANGE[1]:
        lo, hi = LAB_HB_RANGE
        raise InvalidValue(f"lab Hb must be {lo}-{hi} g/dL, got {lab_hb_g_dl}")
    today = utcnow().date()
    if lab_date is not None and lab_date > today:
        raise InvalidValue(f"lab date {lab_date} is in the future")
    if outcome is not None and len(outcome) > 200:
        raise InvalidValue("an outcome must be at most 200 characters")
    followup = await _move(session, case_code, worker, "resolved", note)
    if lab_hb_g_dl is not None:
        followup.lab_hb_g_dl = lab_hb_g_dl
        followup.lab_date = lab_date or today
    followup.outcome = outcome
    await session.flush()
    return followup


async def add_note(
    session: AsyncSession, *, case_code: str, worker: Actor, text: str
) -> FollowUpNote:
    """Add a note to a case, open or closed."""
    followup = await get_followup(session, case_code=case_code, worker=worker)
    note = _note(followup.id, worker, text)
    session.add(note)
    await session.flush()
    return note


async def add_reply(session: AsyncSession, *, case_code: str, text: str) -> FollowUpNote:
    """The person's answer to a relayed message, as a note of theirs; only on an open case
    (InvalidTransition once it closed: the answer is not filed)."""
    followup = await get_followup(session, case_code=case_code, worker=None)
    if not NEXT[followup.status]:
        raise InvalidTransition(f"case {case_code} is {followup.status}; it takes no answer")
    note = _note(followup.id, None, text, author="person")
    session.add(note)
    await session.flush()
    return note


async def list_notes(session: AsyncSession, *, case_code: str, worker: Actor) -> list[FollowUpNote]:
    """The case's notes, oldest first."""
    followup = await get_followup(session, case_code=case_code, worker=worker)
    query = select(FollowUpNote).where(FollowUpNote.followup_id == followup.id)
    return list(await session.scalars(query.order_by(FollowUpNote.created_at, FollowUpNote.id)))


async def assign_followup(
    session: AsyncSession, *, case_code: str, worker: Actor, assignee_id: int | None
) -> FollowUp:
    """Give an open case to an active worker of the case's team; None: to nobody."""
    followup = await get_followup(session, case_code=case_code, worker=worker)
    if assignee_id is not None:
        if not NEXT[followup.status]:
            raise InvalidTransition(f"case {case_code} is {followup.status}; it cannot be assigned")
        assignee = await session.get(HealthWorker, assignee_id)
        if assignee is None or not assignee.active or assignee.team_id != followup.team_id:
            raise NotFound(f"no active health worker {assignee_id} in this case's team")
    followup.assigned_worker_id = assignee_id
    await session.flush()
    return followup
