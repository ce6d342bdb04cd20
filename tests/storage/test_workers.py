"""Health workers: configured admins, one-time hashed invites, revocation, key rotation."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from storage import subjects, workers
from storage.errors import InviteInvalid, NotFound, PermissionDenied
from storage.models import Invite, utcnow
from storage.pseudonyms import Pseudonymizer
from tests.storage.helpers import KEY, pseudonymizer

P = pseudonymizer()


async def _admin(session, team="north"):
    t = await workers.get_or_create_team(session, name=team)
    return await workers.ensure_worker(
        session, pseudonym=P.pseudonym(1, "worker"), team_id=t.id, role="admin"
    )


async def test_configured_admin_is_idempotent(session) -> None:
    a = await _admin(session)
    assert (await _admin(session)).id == a.id
    found = await workers.find_worker(session, candidates=P.candidates(1, "worker"))
    assert found is not None and found.id == a.id
    assert await workers.find_worker(session, candidates=P.candidates(1)) is None  # as a subject


async def test_invite_is_one_time_and_hashed(session) -> None:
    admin = await _admin(session)
    code = await workers.create_invite(session, admin=admin)
    [stored] = (await session.scalars(select(Invite))).all()
    assert code not in stored.code_hash and len(stored.code_hash) == 64
    nurse = await workers.redeem_invite(
        session, code=code.lower(), pseudonym=P.pseudonym(2, "worker")
    )
    assert (nurse.role, nurse.team_id, nurse.active) == ("health_worker", admin.team_id, True)
    with pytest.raises(InviteInvalid):
        await workers.redeem_invite(session, code=code, pseudonym=P.pseudonym(3, "worker"))
    with pytest.raises(PermissionDenied):
        await workers.create_invite(session, admin=nurse)


async def test_invite_expires(session) -> None:
    code = await workers.create_invite(session, admin=await _admin(session))
    await session.execute(update(Invite).values(expires_at=utcnow() - timedelta(seconds=1)))
    with pytest.raises(InviteInvalid):
        await workers.redeem_invite(session, code=code, pseudonym=P.pseudonym(2, "worker"))


async def test_invite_race_has_one_winner(sessions) -> None:
    async with sessions.begin() as session:
        code = await workers.create_invite(session, admin=await _admin(session))

    async def redeem(tg_id: int) -> bool:
        try:
            async with sessions.begin() as session:
                await workers.redeem_invite(
                    session, code=code, pseudonym=P.pseudonym(tg_id, "worker")
                )
                await asyncio.sleep(0.05)  # hold the claim while the others try
            return True
        except InviteInvalid:
            return False

    assert sorted(await asyncio.gather(*(redeem(i) for i in range(10, 16)))) == [False] * 5 + [True]


async def test_replicas_starting_together_share_the_team_and_the_configured_worker(
    sessions,
) -> None:
    """Both create the TEAM and grant the configured id at once; neither fails."""
    worker = P.pseudonym(77, "worker")

    async def start_up(hold_s: float, wait_s: float) -> tuple[int, int]:
        await asyncio.sleep(wait_s)
        async with sessions.begin() as session:
            team = await workers.get_or_create_team(session, name="together")
            granted = await workers.ensure_worker(
                session, pseudonym=worker, team_id=team.id, role="admin"
            )
            await asyncio.sleep(hold_s)  # not committed yet while the other starts
            return team.id, granted.id

    first, second = await asyncio.gather(start_up(0.3, 0.0), start_up(0.0, 0.1))
    assert first == second


async def test_revoke(session) -> None:
    admin = await _admin(session)
    other = await _admin(session, "south")  # same person re-granted in another team: moved
    assert (
        other.id == admin.id
        and other.team_id != (await workers.get_or_create_team(session, name="north")).id
    )
    code = await workers.create_invite(session, admin=admin)
    nurse = await workers.redeem_invite(session, code=code, pseudonym=P.pseudonym(2, "worker"))
    await workers.revoke_worker(session, admin=admin, worker_id=nurse.id)
    assert await workers.find_worker(session, candidates=P.candidates(2, "worker")) is None
    assert [w.id for w in await workers.list_workers(session, team_id=admin.team_id)] == [admin.id]
    with pytest.raises(NotFound):
        await workers.revoke_worker(session, admin=admin, worker_id=9999)


async def test_subject_rekeyed_after_rotation(session) -> None:
    s = await subjects.create_subject(session, pseudonym=P.pseudonym(42), consent_version="v1")
    rotated = Pseudonymizer("k2", b"n" * 32, (("k1", KEY),))
    found = await subjects.find_subject(session, candidates=rotated.candidates(42))
    assert found is not None and found.id == s.id
    assert (found.pseudonym, found.key_id) == rotated.pseudonym(42)
    # the retired key can now go: the current one alone finds them
    current_only = Pseudonymizer("k2", b"n" * 32)
    again = await subjects.find_subject(session, candidates=current_only.candidates(42))
    assert again is not None and again.id == s.id
    assert await subjects.find_subject(session, candidates=P.candidates(43)) is None
