"""Telegram update de-duplication under concurrency, and chat state shared between processes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from storage import conversations, screenings, subjects, updates
from storage.errors import ConversationConflict
from storage.models import Subject, utcnow
from tests.storage.helpers import pseudonymizer, record

CONCURRENT = 12


async def test_concurrent_claims_have_one_winner(sessions) -> None:
    async def claim(update_id: int) -> bool:
        async with sessions.begin() as session:
            won = await updates.claim_update(session, update_id=update_id)
            await asyncio.sleep(0.05)  # keep the transaction open while the others insert
            return won

    results = await asyncio.gather(*(claim(424242) for _ in range(CONCURRENT)))
    assert results.count(True) == 1 and len(results) == CONCURRENT
    async with sessions.begin() as session:
        assert await updates.claim_update(session, update_id=424243)
        assert not await updates.claim_update(session, update_id=424242)


async def test_rolled_back_claim_is_handled_again(sessions) -> None:
    with pytest.raises(RuntimeError):
        async with sessions.begin() as session:
            assert await updates.claim_update(session, update_id=7)
            raise RuntimeError("handler crashed")
    async with sessions.begin() as session:
        assert await updates.claim_update(session, update_id=7)


async def test_prune(session) -> None:
    await updates.claim_update(session, update_id=1)
    assert await updates.prune_updates(session, before=utcnow() - timedelta(days=1)) == 0
    assert await updates.prune_updates(session, before=utcnow() + timedelta(seconds=1)) == 1


async def test_conversation_optimistic_lock(sessions) -> None:
    chat = pseudonymizer().pseudonym(99)
    async with sessions.begin() as s:
        assert await conversations.load_conversation(s, pseudonym=chat) is None
        v1 = await conversations.save_conversation(
            s, pseudonym=chat, state="consent", data={}, expected_version=None
        )
    async with sessions() as a, sessions() as b:  # two bot processes load the same state
        state_a = await conversations.load_conversation(a, pseudonym=chat)
        state_b = await conversations.load_conversation(b, pseudonym=chat)
        assert state_a == state_b and state_a is not None and state_a.version == v1
        await a.rollback()
        await b.rollback()
    async with sessions.begin() as s:
        await conversations.save_conversation(
            s, pseudonym=chat, state="age", data={"consent": "v1"}, expected_version=v1
        )
    async with sessions.begin() as s:
        with pytest.raises(ConversationConflict):
            await conversations.save_conversation(
                s, pseudonym=chat, state="sex", data={}, expected_version=v1
            )
        with pytest.raises(ConversationConflict):
            await conversations.save_conversation(
                s, pseudonym=chat, state="x", data={}, expected_version=None
            )
    async with sessions.begin() as s:
        state = await conversations.load_conversation(s, pseudonym=chat)
        assert state is not None and (state.state, state.data, state.version) == (
            "age",
            {"consent": "v1"},
            2,
        )
        await conversations.clear_conversation(s, pseudonym=chat)
        assert await conversations.load_conversation(s, pseudonym=chat) is None


async def _screened(session, user: int, update_id: int) -> tuple[int, int]:
    """A subject with one screening, produced by a claimed update: (subject id, screening id)."""
    subject = await subjects.create_subject(
        session, pseudonym=pseudonymizer().pseudonym(user), consent_version="v1", team_id=None
    )
    row, _ = await screenings.record_screening(session, subject_id=subject.id, record=record())
    assert await updates.claim_update(session, update_id=update_id)
    await updates.link_screening(session, update_id=update_id, screening_id=row.id)
    return subject.id, row.id


async def test_a_screening_stays_unsent_until_its_reply_is_marked(sessions) -> None:
    async with sessions.begin() as session:
        _, screening_id = await _screened(session, 55, 501)
        assert await updates.claim_update(session, update_id=502)  # no screening (a refusal)
    later = utcnow() + timedelta(seconds=5)
    async with sessions() as session:
        assert await updates.handled_update(session, update_id=500, claimed_before=later) == (
            False,
            None,
        )
        handled, unsent = await updates.handled_update(session, update_id=501, claimed_before=later)
        assert handled and unsent is not None and unsent.id == screening_id
        # a claim younger than the cut-off may still be sending: nothing to resend yet
        young = await updates.handled_update(
            session, update_id=501, claimed_before=utcnow() - timedelta(seconds=5)
        )
        assert young == (True, None)
        assert await updates.handled_update(session, update_id=502, claimed_before=later) == (
            True,
            None,
        )
    async with sessions.begin() as session:
        await updates.mark_answered(session, update_ids=[501])
        await updates.mark_answered(session, update_ids=[502])  # nothing to mark: no error
    async with sessions() as session:
        assert await updates.handled_update(session, update_id=501, claimed_before=later) == (
            True,
            None,
        )


async def test_erasing_the_screening_keeps_the_claim(sessions) -> None:
    async with sessions.begin() as session:
        subject_id, _ = await _screened(session, 56, 601)
    async with sessions.begin() as session:
        await session.delete(await session.get(Subject, subject_id))  # erasure cascades
    later = utcnow() + timedelta(seconds=5)
    async with sessions() as session:
        assert await updates.handled_update(session, update_id=601, claimed_before=later) == (
            True,
            None,
        )
