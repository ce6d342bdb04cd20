"""PSEUDONYM_KEY rotation keeps everyone: workers (configured, invited, admins) keep their row,
team, role, cases and notes; people keep their chat's step; two processes re-keying at once
both succeed. The relay's token is swapped only if it did not change meanwhile."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import conversations, followups, relay, screenings, subjects, workers
from storage.models import FollowUp, FollowUpNote, HealthWorker, Invite, Subject
from storage.pseudonyms import Pseudonym, Pseudonymizer
from tests.storage.helpers import KEY, record

OLD = Pseudonymizer("k1", KEY)
NEW = Pseudonymizer("k2", b"n" * 32, (("k1", KEY),))
NURSE, ADMIN, PERSON = 11, 12, 13


async def configured(session: AsyncSession, user: int, team_id: int, role: str) -> HealthWorker:
    """What a restart under the new key does for a configured id: ensure the worker, with
    their old pseudonyms, without reviving one an admin revoked."""
    return await workers.ensure_worker(
        session,
        pseudonym=NEW.pseudonym(user, "worker"),
        team_id=team_id,
        role=role,
        retired=NEW.candidates(user, "worker")[1:],
        revive=False,
    )


async def _before_rotation(session: AsyncSession) -> tuple[HealthWorker, HealthWorker, str]:
    """An admin (configured) and a nurse (invited) under the old key; the nurse took the
    person's case and wrote a note on it. Returns them and the case code."""
    team = await workers.get_or_create_team(session, name="north")
    admin = await workers.ensure_worker(
        session, pseudonym=OLD.pseudonym(ADMIN, "worker"), team_id=team.id, role="admin"
    )
    code = await workers.create_invite(session, admin=admin)
    nurse = await workers.redeem_invite(
        session, code=code, pseudonym=OLD.pseudonym(NURSE, "worker")
    )
    person = await subjects.create_subject(
        session, pseudonym=OLD.pseudonym(PERSON), consent_version="v1", team_id=team.id
    )
    _, case = await screenings.record_screening(
        session, subject_id=person.id, record=record(9.0, "moderate")
    )
    assert case is not None
    await followups.mark_contacted(session, case_code=case.case_code, worker=nurse, note="rang")
    await session.commit()
    return admin, nurse, case.case_code


async def _count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(HealthWorker)) or 0)


async def test_workers_keep_their_row_team_role_and_cases(session) -> None:
    admin, nurse, code = await _before_rotation(session)
    # the restart's configure step re-keys the configured admin...
    again = await configured(session, ADMIN, admin.team_id, "admin")
    assert again.id == admin.id and (again.key_id, again.role) == ("k2", "admin")
    # ...and the invited nurse's next message re-keys her
    found = await workers.find_worker(session, candidates=NEW.candidates(NURSE, "worker"))
    assert found is not None and found.id == nurse.id
    assert (found.key_id, found.role, found.team_id) == ("k2", "health_worker", admin.team_id)
    assert found.pseudonym == NEW.pseudonym(NURSE, "worker").value
    assert await _count(session) == 2
    [case] = await followups.list_followups(session, worker=found, statuses=["contacted"])
    assert case.case_code == code and case.assigned_worker_id == nurse.id
    [note] = await followups.list_notes(session, case_code=code, worker=found)
    assert (note.worker_id, note.author, note.text) == (nurse.id, "worker", "rang")
    # the retired key can now go: the current one alone finds them
    alone = Pseudonymizer("k2", b"n" * 32)
    assert await workers.find_worker(session, candidates=alone.candidates(NURSE, "worker"))


async def test_a_duplicate_row_left_by_an_earlier_rotation_is_merged(session) -> None:
    admin, nurse, _ = await _before_rotation(session)
    # what start-up did before: a second row for the nurse under the new key
    session.add(
        HealthWorker(
            pseudonym=NEW.pseudonym(NURSE, "worker").value,
            key_id="k2",
            team_id=admin.team_id,
            role="health_worker",
        )
    )
    await session.commit()
    found = await workers.find_worker(session, candidates=NEW.candidates(NURSE, "worker"))
    assert found is not None and found.id == nurse.id and found.key_id == "k2"
    assert await _count(session) == 2
    [case] = await followups.list_followups(session, worker=found)
    assert case.assigned_worker_id == nurse.id
    used_by = await session.scalar(select(Invite.used_by_id))
    assert used_by == nurse.id


async def test_two_processes_re_key_at_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Two replicas' start-ups (and a message) re-key the same workers at the same time."""
    async with sessions() as session:
        admin, nurse, _ = await _before_rotation(session)

    async def configure(hold_s: float, wait_s: float) -> tuple[int, int]:
        await asyncio.sleep(wait_s)
        async with sessions.begin() as session:
            a = await configured(session, ADMIN, admin.team_id, "admin")
            n = await workers.find_worker(session, candidates=NEW.candidates(NURSE, "worker"))
            assert n is not None
            await asyncio.sleep(hold_s)  # not committed yet while the other starts
            return a.id, n.id

    results = await asyncio.gather(configure(0.3, 0.0), configure(0.0, 0.1), configure(0, 0.05))
    assert set(results) == {(admin.id, nurse.id)}
    async with sessions() as session:
        assert await _count(session) == 2
        keys = set(await session.scalars(select(HealthWorker.key_id)))
        assert keys == {"k2"}


async def test_a_revoked_configured_worker_stays_revoked(session) -> None:
    admin, nurse, _ = await _before_rotation(session)
    await workers.revoke_worker(session, admin=admin, worker_id=nurse.id)
    # a restart (here also after a rotation) configures her again: still revoked
    kept = await configured(session, NURSE, admin.team_id, "health_worker")
    assert kept.id == nurse.id and not kept.active
    assert await workers.find_worker(session, candidates=NEW.candidates(NURSE, "worker")) is None
    # an admin's invite brings her back, in the same row
    code = await workers.create_invite(session, admin=admin)
    back = await workers.redeem_invite(session, code=code, pseudonym=NEW.pseudonym(NURSE, "worker"))
    assert back.id == nurse.id and back.active


async def test_a_configured_worker_who_moved_team_is_not_moved_back(session) -> None:
    admin, nurse, _ = await _before_rotation(session)
    await workers.revoke_worker(session, admin=admin, worker_id=nurse.id)
    south = await workers.get_or_create_team(session, name="south")
    boss = await workers.ensure_worker(
        session, pseudonym=NEW.pseudonym(99, "worker"), team_id=south.id, role="admin"
    )
    code = await workers.create_invite(session, admin=boss)
    await workers.find_worker(session, candidates=NEW.candidates(NURSE, "worker"))  # as /join
    await workers.redeem_invite(session, code=code, pseudonym=NEW.pseudonym(NURSE, "worker"))
    # a restart configures her for the first team again: she stays where she joined
    kept = await configured(session, NURSE, admin.team_id, "health_worker")
    assert kept.id == nurse.id and kept.active and kept.team_id == south.id


async def test_a_person_keeps_the_step_awaiting_their_answer(session) -> None:
    _, _, code = await _before_rotation(session)
    old = OLD.pseudonym(PERSON)  # a worker's message put their chat at the reply step
    await conversations.save_conversation(
        session, pseudonym=old, state="relay_reply", data={"case": code}, expected_version=None
    )
    found = await subjects.find_subject(session, candidates=NEW.candidates(PERSON))
    assert found is not None and found.key_id == "k2"
    chat = await conversations.load_conversation(session, pseudonym=NEW.pseudonym(PERSON))
    assert chat is not None and (chat.state, chat.data) == ("relay_reply", {"case": code})
    assert await conversations.load_conversation(session, pseudonym=old) is None


async def test_the_persons_answer_is_theirs_and_only_on_an_open_case(session) -> None:
    _, nurse, code = await _before_rotation(session)
    await followups.add_reply(session, case_code=code, text="I will come")
    await followups.resolve_followup(session, case_code=code, worker=nurse, lab_hb_g_dl=9.5)
    try:
        await followups.add_reply(session, case_code=code, text="too late")
        raise AssertionError("an answer was filed on a closed case")
    except followups.InvalidTransition:
        pass
    notes = await followups.list_notes(session, case_code=code, worker=None)
    assert [(n.author, n.text) for n in notes] == [("worker", "rang"), ("person", "I will come")]


async def test_contact_off_erases_the_sealed_chat_id(session) -> None:
    person = await subjects.create_subject(
        session, pseudonym=OLD.pseudonym(PERSON), consent_version="v1", contact_opt_in=True
    )
    await relay.set_relay(session, subject_id=person.id, token=b"sealed")
    await subjects.set_contact_opt_in(session, subject_id=person.id, opt_in=False)
    assert await relay.sealed_tokens(session) == []
    await subjects.set_contact_opt_in(session, subject_id=person.id, opt_in=True)
    assert person.contact_opt_in and person.relay_chat is None


async def test_a_re_seal_never_undoes_an_erasure(session) -> None:
    person = await subjects.create_subject(
        session, pseudonym=OLD.pseudonym(PERSON), consent_version="v1", contact_opt_in=True
    )
    await relay.set_relay(session, subject_id=person.id, token=b"old")
    assert await relay.replace_relay(session, subject_id=person.id, old=b"old", new=b"new")
    await relay.set_relay(session, subject_id=person.id, token=None)  # withdrawn meanwhile
    assert not await relay.replace_relay(session, subject_id=person.id, old=b"new", new=b"x")
    assert await relay.sealed_tokens(session) == []


async def test_notes_by_the_office(session) -> None:
    _, _, code = await _before_rotation(session)
    await followups.add_note(session, case_code=code, worker=None, text="lab booked")
    authors = await session.scalars(select(FollowUpNote.author).order_by(FollowUpNote.id))
    assert list(authors) == ["worker", "office"]
    assert await session.scalar(select(func.count()).select_from(FollowUp)) == 1


async def test_a_relayed_message_and_the_persons_message_at_once(sessions, engine) -> None:
    """A worker's /message sets the person's step under their old pseudonym while the person's
    own message moves them to the new key: the step moves with them, whichever commits first."""
    if engine.dialect.name == "sqlite":
        pytest.skip("one writer at a time on SQLite: the two cannot interleave")
    async with sessions() as session:
        _, _, code = await _before_rotation(session)

    async def relay_message() -> None:
        async with sessions.begin() as session:
            subject = (await session.scalars(select(Subject).with_for_update())).one()
            old = Pseudonym(subject.pseudonym, subject.key_id)
            await conversations.save_conversation(
                session,
                pseudonym=old,
                state="relay_reply",
                data={"case": code},
                expected_version=None,
            )
            await asyncio.sleep(0.3)  # not committed while the person writes

    async def person_writes() -> None:
        await asyncio.sleep(0.1)
        async with sessions.begin() as session:
            await subjects.find_subject(session, candidates=NEW.candidates(PERSON))

    await asyncio.gather(relay_message(), person_writes())
    async with sessions() as session:
        chat = await conversations.load_conversation(session, pseudonym=NEW.pseudonym(PERSON))
        assert chat is not None and chat.state == "relay_reply"
