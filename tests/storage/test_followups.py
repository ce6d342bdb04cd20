"""Screenings open follow-ups; workers move them along; a worker sees only their team's cases."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from storage import followups, relay, screenings, subjects, workers
from storage.errors import InvalidTransition, InvalidValue, NotFound, PermissionDenied
from storage.models import FollowUp, HealthWorker, Subject, utcnow
from tests.storage.helpers import pseudonymizer, record

P = pseudonymizer()


async def _subject(session: AsyncSession, telegram_id: int, team_id: int | None = None) -> Subject:
    return await subjects.create_subject(
        session, pseudonym=P.pseudonym(telegram_id), consent_version="v1", team_id=team_id
    )


async def _worker(session: AsyncSession, telegram_id: int, team: str) -> HealthWorker:
    t = await workers.get_or_create_team(session, name=team)
    return await workers.ensure_worker(
        session, pseudonym=P.pseudonym(telegram_id, "worker"), team_id=t.id, role="health_worker"
    )


@pytest.mark.parametrize(
    ("hb", "risk", "warnings", "refer", "reason"),
    [
        (11.8, "none", (), False, None),
        (11.3, "none", (), True, "referred"),  # above the cut-off, inside the referral margin
        (10.5, "mild", (), True, "referred"),
        (9.0, "moderate", (), True, "moderate"),
        (6.5, "severe", (), True, "severe"),
        (11.8, "none", ("low_attention",), False, "unreliable"),
        (11.3, "none", ("low_attention",), True, "referred"),
        (6.5, "severe", ("low_attention",), True, "severe"),
    ],
)
async def test_auto_open(session, hb, risk, warnings, refer, reason) -> None:
    s = await _subject(session, 1)
    row, case = await screenings.record_screening(
        session, subject_id=s.id, record=record(hb, risk, warnings, refer)
    )
    assert (row.refer, row.population) == (refer, "cp-anemic")
    assert row.reliable is (not warnings) and row.warnings == list(warnings)
    if reason is None:
        assert case is None
    else:
        assert case is not None and case.reason == reason and case.status == "pending"
        assert len(case.case_code) == 8 and case.case_code not in s.pseudonym.upper()


async def test_one_open_case_per_person(session) -> None:
    s = await _subject(session, 1)
    _, first = await screenings.record_screening(
        session, subject_id=s.id, record=record(9, "moderate")
    )
    _, again = await screenings.record_screening(
        session, subject_id=s.id, record=record(6, "severe")
    )
    assert first is not None and again is not None and again.id == first.id
    await followups.decline_followup(session, case_code=first.case_code, worker=None)
    _, new = await screenings.record_screening(
        session, subject_id=s.id, record=record(9, "moderate")
    )
    assert new is not None and new.id != first.id


async def test_concurrent_screenings_open_one_case(sessions) -> None:
    async with sessions.begin() as session:
        subject_id = (await _subject(session, 1)).id

    async def screen() -> int:
        async with sessions.begin() as session:
            _, case = await screenings.record_screening(
                session, subject_id=subject_id, record=record(6, "severe")
            )
            await asyncio.sleep(0.05)  # hold the transaction while the others arrive
            assert case is not None
            return case.id

    assert len(set(await asyncio.gather(*(screen() for _ in range(5))))) == 1


async def test_lifecycle(session) -> None:
    team = await workers.get_or_create_team(session, name="north")
    nurse = await _worker(session, 500, "north")
    s = await _subject(session, 1, team.id)
    _, case = await screenings.record_screening(
        session, subject_id=s.id, record=record(9, "moderate")
    )
    assert case is not None
    code = case.case_code[:4].lower() + "-" + case.case_code[4:]  # as a worker might type it
    contacted = await followups.mark_contacted(session, case_code=code, worker=nurse, note="called")
    assert contacted.status == "contacted" and contacted.contacted_at is not None
    assert contacted.assigned_worker_id == nurse.id
    await followups.mark_contacted(session, case_code=code, worker=nurse, note="lab booked")
    done = await followups.resolve_followup(
        session, case_code=code, worker=nurse, lab_hb_g_dl=9.4, outcome="iron started"
    )
    assert done.status == "resolved" and done.lab_hb_g_dl == 9.4
    assert done.lab_date == utcnow().date() and done.closed_at is not None
    notes = await followups.list_notes(session, case_code=code, worker=nurse)
    assert [n.text for n in notes] == ["called", "lab booked"]
    with pytest.raises(InvalidTransition):
        await followups.mark_contacted(session, case_code=code, worker=nurse)
    [view] = await followups.list_followups(session, worker=nurse, statuses=["resolved"])
    assert (view.lab_hb_g_dl, view.hb_g_dl, view.team) == (9.4, 9.0, "north")


async def test_declined_and_bad_input(session) -> None:
    s = await _subject(session, 1)
    _, case = await screenings.record_screening(
        session, subject_id=s.id, record=record(6, "severe")
    )
    assert case is not None
    with pytest.raises(InvalidValue):
        await followups.resolve_followup(
            session, case_code=case.case_code, worker=None, lab_hb_g_dl=98
        )
    tomorrow = date.today() + timedelta(days=2)
    with pytest.raises(InvalidValue):
        await followups.resolve_followup(
            session, case_code=case.case_code, worker=None, lab_hb_g_dl=9.8, lab_date=tomorrow
        )
    declined = await followups.decline_followup(session, case_code=case.case_code, worker=None)
    assert declined.status == "declined"
    with pytest.raises(InvalidTransition):
        await followups.resolve_followup(
            session, case_code=case.case_code, worker=None, lab_hb_g_dl=9.8
        )
    with pytest.raises(NotFound):
        await followups.mark_contacted(session, case_code="ZZZZZZZZ", worker=None)
    with pytest.raises(InvalidValue):
        await followups.list_followups(session, worker=None, statuses=["lost"])


async def test_team_scoping(session) -> None:
    north = await workers.get_or_create_team(session, name="north")
    south = await workers.get_or_create_team(session, name="south")
    ama, kofi = await _worker(session, 500, "north"), await _worker(session, 501, "south")
    cases: dict[int, FollowUp] = {}
    for tid, team in ((1, north), (2, south), (3, None)):
        s = await _subject(session, tid, team.id if team else None)
        _, case = await screenings.record_screening(
            session, subject_id=s.id, record=record(6, "severe")
        )
        assert case is not None
        cases[tid] = case
    seen = await followups.list_followups(session, worker=ama)
    assert [c.case_code for c in seen] == [cases[1].case_code]
    assert [c.case_code for c in await followups.list_followups(session, worker=kofi)] == [
        cases[2].case_code
    ]
    assert len(await followups.list_followups(session, worker=None)) == 3  # the operator
    for other in (cases[2], cases[3]):
        with pytest.raises(NotFound):
            await followups.resolve_followup(
                session, case_code=other.case_code, worker=ama, lab_hb_g_dl=9.0
            )
    with pytest.raises(NotFound):
        await followups.assign_followup(
            session, case_code=cases[1].case_code, worker=ama, assignee_id=kofi.id
        )
    ama.active = False
    with pytest.raises(PermissionDenied):
        await followups.list_followups(session, worker=ama)


async def test_list_filters(session) -> None:
    s1, s2 = await _subject(session, 1), await _subject(session, 2)
    s3 = await _subject(session, 3)
    await screenings.record_screening(session, subject_id=s1.id, record=record(9, "moderate"))
    await screenings.record_screening(session, subject_id=s2.id, record=record(6, "severe"))
    _, c3 = await screenings.record_screening(
        session, subject_id=s3.id, record=record(11.8, "none", ("low_attention",))
    )
    assert c3 is not None
    await followups.mark_contacted(session, case_code=c3.case_code, worker=None)

    async def codes(**kw):
        return [c.risk for c in await followups.list_followups(session, worker=None, **kw)]

    assert await codes() == ["moderate", "severe", "none"]
    assert await codes(risks=["moderate", "severe"]) == ["moderate", "severe"]
    assert await codes(statuses=["pending"]) == ["moderate", "severe"]
    assert await codes(since=utcnow() + timedelta(hours=1)) == []
    assert await codes(limit=1) == ["moderate"]


async def test_count_pages_and_age(session) -> None:
    made = []
    for i, (hb, risk) in enumerate([(9, "moderate"), (6, "severe"), (9.5, "moderate")]):
        s = await _subject(session, i)
        _, case = await screenings.record_screening(
            session, subject_id=s.id, record=record(hb, risk)
        )
        assert case is not None
        made.append(case)
    made[0].opened_at = utcnow() - timedelta(days=10)
    await session.flush()

    async def both(**kw):
        n = await followups.count_followups(session, worker=None, **kw)
        return n, [c.case_code for c in await followups.list_followups(session, worker=None, **kw)]

    codes = [c.case_code for c in made]
    assert await both() == (3, codes)
    assert await both(risks=["moderate"]) == (2, [codes[0], codes[2]])
    assert await both(before=utcnow() - timedelta(days=7)) == (1, [codes[0]])
    assert await both(since=utcnow() - timedelta(days=7)) == (2, codes[1:])
    page = await followups.list_followups(session, worker=None, limit=2, offset=2)
    assert [c.case_code for c in page] == [codes[2]]
    with pytest.raises(InvalidValue):
        await followups.count_followups(session, worker=None, risks=["awful"])


async def test_assign_and_unassign(session) -> None:
    team = await workers.get_or_create_team(session, name="north")
    ama, efua = await _worker(session, 500, "north"), await _worker(session, 502, "north")
    s = await _subject(session, 1, team.id)
    _, case = await screenings.record_screening(
        session, subject_id=s.id, record=record(9, "moderate")
    )
    assert case is not None
    code = case.case_code
    taken = await followups.assign_followup(session, case_code=code, worker=ama, assignee_id=ama.id)
    assert taken.assigned_worker_id == ama.id
    await followups.assign_followup(session, case_code=code, worker=ama, assignee_id=efua.id)
    assert case.assigned_worker_id == efua.id
    await followups.assign_followup(session, case_code=code, worker=None, assignee_id=None)
    assert case.assigned_worker_id is None
    await followups.decline_followup(session, case_code=code, worker=efua, note="moved away")
    assert case.assigned_worker_id == efua.id  # whoever acts first takes the case
    with pytest.raises(InvalidTransition):  # a closed case is nobody's to take
        await followups.assign_followup(session, case_code=code, worker=ama, assignee_id=ama.id)
    await followups.assign_followup(session, case_code=code, worker=None, assignee_id=None)
    assert case.assigned_worker_id is None


async def test_a_bad_note_changes_nothing(session) -> None:
    s = await _subject(session, 1)
    _, case = await screenings.record_screening(
        session, subject_id=s.id, record=record(9, "moderate")
    )
    assert case is not None
    for bad in (" ", "x" * (followups.MAX_NOTE_CHARS + 1)):
        with pytest.raises(InvalidValue):
            await followups.mark_contacted(session, case_code=case.case_code, worker=None, note=bad)
        with pytest.raises(InvalidValue):
            await followups.add_note(session, case_code=case.case_code, worker=None, text=bad)
    assert (case.status, case.contacted_at) == ("pending", None)
    assert await followups.list_notes(session, case_code=case.case_code, worker=None) == []


async def test_relay_lives_while_a_case_is_open_and_reminders_come_due(session) -> None:
    s = await subjects.create_subject(
        session, pseudonym=P.pseudonym(5), consent_version="v1", contact_opt_in=True
    )
    _, case = await screenings.record_screening(
        session, subject_id=s.id, record=record(9.0, "moderate")
    )
    assert case is not None
    await relay.set_relay(session, subject_id=s.id, token=b"opaque")
    assert await relay.relay_token(session, subject_id=s.id) == b"opaque"
    assert await relay.due_reminders(session, opened_before=case.opened_at) == []  # too new
    later = utcnow() + timedelta(days=1)
    assert await relay.due_reminders(session, opened_before=later) == [case.case_code]
    due = await relay.claim_reminder(session, case_code=case.case_code, opened_before=later)
    assert due is not None and (due.case_code, due.token) == (case.case_code, b"opaque")
    await relay.mark_reminded(session, case_code=case.case_code)
    assert await relay.due_reminders(session, opened_before=later) == []  # once only
    await followups.resolve_followup(
        session, case_code=case.case_code, worker=None, lab_hb_g_dl=9.5
    )
    assert await relay.relay_token(session, subject_id=s.id) is None  # gone with the case
