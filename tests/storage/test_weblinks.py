"""The dashboard's sign-in links and sessions; the office acting for one team; the dashboard's
further case filters and the weekly screening counts."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import followups, screenings, stats, weblinks, workers
from storage.errors import LinkInvalid, NotFound
from storage.followups import Narrow, Office
from storage.models import FollowUpNote, WebLink, WebSession, utcnow
from tests.storage.helpers import record
from tests.storage.test_followups import _subject, _worker

HOURS = timedelta(hours=8)


async def test_a_link_opens_one_session_once(session) -> None:
    team = await workers.get_or_create_team(session, name="north")
    token = await weblinks.create_link(session, team_id=team.id, role="admin")
    stored = (await session.scalars(select(WebLink))).one()
    assert token not in stored.token_hash and stored.token_hash == weblinks.token_hash(token)
    await weblinks.check_link(session, token=token)  # looking does not spend it
    secret, opened = await weblinks.redeem_link(session, token=token, session_ttl=HOURS)
    assert (opened.team_id, opened.worker_id, opened.role) == (team.id, None, "admin")
    with pytest.raises(LinkInvalid) as used:
        await weblinks.redeem_link(session, token=token, session_ttl=HOURS)
    assert used.value.reason == "used"
    with pytest.raises(LinkInvalid):
        await weblinks.check_link(session, token=token)
    found = await weblinks.find_session(session, token=secret)
    assert found is not None and found[0].id == opened.id and found[1] is None
    await weblinks.end_session(session, token=secret)
    assert await weblinks.find_session(session, token=secret) is None


async def test_expired_and_unknown_links_are_refused(session) -> None:
    team = await workers.get_or_create_team(session, name="north")
    old = await weblinks.create_link(
        session, team_id=team.id, role="health_worker", ttl=timedelta(seconds=-1)
    )
    for token, reason in ((old, "expired"), ("not-a-link", "unknown")):
        with pytest.raises(LinkInvalid) as refused:
            await weblinks.redeem_link(session, token=token, session_ttl=HOURS)
        assert refused.value.reason == reason
    assert await weblinks.prune_web(session, before=utcnow()) == 1


async def test_a_revoked_worker_signs_in_no_more(session) -> None:
    worker = await _worker(session, 5, "north")
    token = await weblinks.create_link(
        session, team_id=worker.team_id, role=worker.role, worker_id=worker.id
    )
    early = await weblinks.create_link(
        session, team_id=worker.team_id, role=worker.role, worker_id=worker.id
    )
    secret, _ = await weblinks.redeem_link(session, token=early, session_ttl=HOURS)
    found = await weblinks.find_session(session, token=secret)
    assert found is not None and found[1] is not None and found[1].id == worker.id
    worker.active = False
    await session.flush()
    assert await weblinks.find_session(session, token=secret) is None
    with pytest.raises(LinkInvalid):
        await weblinks.redeem_link(session, token=token, session_ttl=HOURS)
    expired = WebSession(
        token_hash=weblinks.token_hash("x"),
        team_id=worker.team_id,
        role="admin",
        expires_at=utcnow() - timedelta(seconds=1),
    )
    session.add(expired)
    await session.flush()
    assert await weblinks.find_session(session, token="x") is None


async def test_the_office_acts_on_its_team_only(session) -> None:
    north = await workers.get_or_create_team(session, name="north")
    south = await workers.get_or_create_team(session, name="south")
    codes = []
    for n, team in enumerate((north, south)):
        s = await _subject(session, 10 + n, team.id)
        _, case = await screenings.record_screening(
            session, subject_id=s.id, record=record(9.0, "moderate", refer=True)
        )
        assert case is not None
        codes.append(case.case_code)
    office = Office(north.id)
    assert [c.case_code for c in await followups.list_followups(session, worker=office)] == [
        codes[0]
    ]
    with pytest.raises(NotFound):
        await followups.mark_contacted(session, case_code=codes[1], worker=office)
    case = await followups.mark_contacted(session, case_code=codes[0], worker=office, note="rang")
    assert case.assigned_worker_id is None  # the office takes no case for itself
    note = (await session.scalars(select(FollowUpNote))).one()
    assert (note.author, note.worker_id) == ("office", None)


async def test_the_dashboard_filters(session: AsyncSession) -> None:
    worker = await _worker(session, 5, "north")
    cases = []
    for n, (hb, risk, group) in enumerate(
        ((9.0, "moderate", "child_24_59m"), (6.5, "severe", "woman"))
    ):
        s = await _subject(session, 20 + n, worker.team_id)
        rec = record(hb, risk, refer=True)
        rec = dataclasses.replace(rec, risk_group=group)
        _, case = await screenings.record_screening(session, subject_id=s.id, record=rec)
        assert case is not None
        cases.append(case.case_code)
    await followups.assign_followup(
        session, case_code=cases[1], worker=worker, assignee_id=worker.id
    )
    await followups.resolve_followup(session, case_code=cases[1], worker=worker, lab_hb_g_dl=7.0)

    async def listed(narrow: Narrow) -> list[str]:
        rows = await followups.list_followups(session, worker=worker, narrow=narrow)
        n = await followups.count_followups(session, worker=worker, narrow=narrow)
        assert n == len(rows)
        return [r.case_code for r in rows]

    assert await listed(Narrow(risk_groups=("woman",))) == [cases[1]]
    assert await listed(Narrow(populations=("cp-anemic",))) == cases
    assert await listed(Narrow(populations=("eyes-defy",))) == []
    assert await listed(Narrow(assigned="nobody")) == [cases[0]]
    assert await listed(Narrow(assigned=worker.id)) == [cases[1]]
    assert await listed(Narrow(with_lab=True)) == [cases[1]]
    view = (await followups.list_followups(session, worker=worker))[1]
    assert (view.risk_group, view.population, view.lab_hb_g_dl) == ("woman", "cp-anemic", 7.0)
    weeks = await stats.weekly_screenings(session, team_id=worker.team_id, weeks=3)
    assert [n for _, n in weeks] == [0, 0, 2] and weeks[-1][0].weekday() == 0
