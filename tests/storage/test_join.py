"""An invite is no admin's word over a worker of another team: /join refuses to move an active
worker out of their team or to demote an admin, and leaves the code unused; once an admin of
their team has revoked them, the same code works."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage import workers
from storage.errors import JoinRefused
from storage.models import HealthWorker, Invite
from tests.storage.helpers import pseudonymizer

P = pseudonymizer()


async def _team(session, name: str, admin_id: int) -> HealthWorker:
    team = await workers.get_or_create_team(session, name=name)
    pseudonym = P.pseudonym(admin_id, "worker")
    return await workers.ensure_worker(session, pseudonym=pseudonym, team_id=team.id, role="admin")


async def _unused(session, code: str) -> bool:
    invites = (await session.scalars(select(Invite))).all()
    return any(i.used_at is None for i in invites)


async def test_a_worker_of_another_team_is_moved_only_once_revoked(session) -> None:
    north, south = await _team(session, "north", 1), await _team(session, "south", 2)
    nurse = await workers.ensure_worker(
        session, pseudonym=P.pseudonym(3, "worker"), team_id=north.team_id, role="health_worker"
    )
    code = await workers.create_invite(session, admin=south)
    with pytest.raises(JoinRefused) as refused:
        await workers.redeem_invite(session, code=code, pseudonym=P.pseudonym(3, "worker"))
    assert (refused.value.reason, refused.value.team_id) == ("other_team", north.team_id)
    assert nurse.team_id == north.team_id and await _unused(session, code)
    await workers.revoke_worker(session, admin=north, worker_id=nurse.id)
    moved = await workers.redeem_invite(session, code=code, pseudonym=P.pseudonym(3, "worker"))
    assert (moved.id, moved.team_id, moved.active) == (nurse.id, south.team_id, True)
    assert not await _unused(session, code)


async def test_an_admin_is_not_demoted_by_an_invite(session) -> None:
    admin, other = await _team(session, "north", 1), await _team(session, "north", 2)
    code = await workers.create_invite(session, admin=other)  # for a health worker
    with pytest.raises(JoinRefused) as refused:
        await workers.redeem_invite(session, code=code, pseudonym=P.pseudonym(1, "worker"))
    assert refused.value.reason == "demote" and admin.role == "admin"
    assert await _unused(session, code)


async def test_an_invite_that_changes_nothing_stays_unused_and_one_that_promotes_works(
    session,
) -> None:
    admin = await _team(session, "north", 1)
    pseudonym = P.pseudonym(3, "worker")
    nurse = await workers.ensure_worker(
        session, pseudonym=pseudonym, team_id=admin.team_id, role="health_worker"
    )
    code = await workers.create_invite(session, admin=admin)
    with pytest.raises(JoinRefused) as refused:
        await workers.redeem_invite(session, code=code, pseudonym=pseudonym)
    assert refused.value.reason == "member" and await _unused(session, code)
    promoting = await workers.create_invite(session, admin=admin, role="admin")
    promoted = await workers.redeem_invite(session, code=promoting, pseudonym=pseudonym)
    assert (promoted.id, promoted.role) == (nurse.id, "admin")
