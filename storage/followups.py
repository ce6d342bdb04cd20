"""Follow-ups: pending -> contacted -> resolved (or declined), a case's notes and whom it is
assigned to.

Every call takes the acting `worker`; a worker changes only their team's cases, as
storage.cases says. The case list and its views are storage.cases', importable from here too.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.cases import (
    Actor,
    CaseFilters,
    FollowUpView,
    Narrow,
    Office,
    count_followups,
    get_followup,
    list_followups,
)
from storage.errors import InvalidTransition, InvalidValue, NotFound
from storage.models import FollowUp, FollowUpNote, HealthWorker, Subject, utcnow

__all__ = [
    "LAB_HB_RANGE",
    "MAX_NOTE_CHARS",
    "NEXT",
    "Actor",
    "CaseFilters",
    "FollowUpView",
    "Narrow",
    "Office",
    "add_note",
    "add_reply",
    "assign_followup",
    "count_followups",
    "decline_followup",
    "get_followup",
    "list_followups",
    "list_notes",
    "mark_contacted",
    "resolve_followup",
]

NEXT = {  # status -> statuses it may move to
    "pending": ("contacted", "resolved", "declined"),
    "contacted": ("contacted", "resolved", "declined"),  # another attempt keeps it contacted
    "resolved": (),
    "declined": (),
}
LAB_HB_RANGE = (2.0, 25.0)  # g/dL; outside it the number is a typo, not a result
MAX_NOTE_CHARS = 2000


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
