"""Teams and health workers: configured admins, one-time invites, revocation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import upsert_insert
from storage.errors import InvalidValue, InviteInvalid, JoinRefused, NotFound, PermissionDenied
from storage.models import ROLES, HealthWorker, Invite, Team, utcnow
from storage.pseudonyms import INVITE_CODE_CHARS, Pseudonym, hash_secret, random_code

INVITE_TTL = timedelta(days=3)


async def get_or_create_team(session: AsyncSession, *, name: str) -> Team:
    """The team with this name, created if new."""
    name = name.strip()
    if not name or len(name) > 80:
        raise InvalidValue("a team name must have 1-80 characters")
    # one statement, not select-then-insert: replicas starting together both create the TEAM
    insert = upsert_insert(session, Team).values(name=name)
    await session.execute(insert.on_conflict_do_nothing(index_elements=[Team.name]))
    return (await session.scalars(select(Team).where(Team.name == name))).one()


async def find_team(session: AsyncSession, *, name: str) -> Team | None:
    """The team with this name, if there is one."""
    return await session.scalar(select(Team).where(Team.name == name.strip()))


async def find_worker(
    session: AsyncSession, *, candidates: Sequence[Pseudonym]
) -> HealthWorker | None:
    """The active worker under any of `candidates`, re-keyed to the current key."""
    by_value = [p.value for p in candidates]
    query = select(HealthWorker).where(HealthWorker.pseudonym.in_(by_value), HealthWorker.active)
    worker = (await session.scalars(query)).first()
    if worker is not None and worker.pseudonym != candidates[0].value:
        worker.pseudonym, worker.key_id = candidates[0]
        await session.flush()
    return worker


async def ensure_worker(
    session: AsyncSession, *, pseudonym: Pseudonym, team_id: int, role: str
) -> HealthWorker:
    """Grant `role` in the team to the person (configured ids at start-up); idempotent."""
    _check_role(role)
    # as for the team: replicas starting together both grant the configured ids
    insert = upsert_insert(session, HealthWorker).values(
        pseudonym=pseudonym.value, key_id=pseudonym.key_id, team_id=team_id, role=role
    )
    await session.execute(insert.on_conflict_do_nothing(index_elements=[HealthWorker.pseudonym]))
    query = select(HealthWorker).where(HealthWorker.pseudonym == pseudonym.value)
    worker = (await session.scalars(query)).one()
    worker.team_id, worker.role, worker.active = team_id, role, True
    await session.flush()
    return worker


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InvalidValue(f"role must be one of {', '.join(ROLES)}, got {role!r}")


def _require_admin(admin: HealthWorker) -> None:
    if admin.role != "admin" or not admin.active:
        raise PermissionDenied("only an active admin can do this")


async def create_invite(
    session: AsyncSession, *, admin: HealthWorker, role: str = "health_worker"
) -> str:
    """A one-time invite code into the admin's team; shown once, only its hash is kept."""
    _require_admin(admin)
    _check_role(role)
    code = random_code(INVITE_CODE_CHARS)
    session.add(
        Invite(
            code_hash=hash_secret(code),
            team_id=admin.team_id,
            role=role,
            created_by_id=admin.id,
            expires_at=utcnow() + INVITE_TTL,
        )
    )
    await session.flush()
    return code


async def redeem_invite(session: AsyncSession, *, code: str, pseudonym: Pseudonym) -> HealthWorker:
    """Make the person a worker with the invite's role and team; the code then stops working.

    An invite is no admin's word over another team's worker: an active worker of another team,
    an admin offered a lesser role, or a worker it would not change is refused (JoinRefused)
    and the code stays unused. An admin of their team revokes them first; a revoked worker
    may join anywhere.
    """
    now = utcnow()
    usable = (
        Invite.code_hash == hash_secret(code),
        Invite.used_at.is_(None),
        Invite.expires_at > now,
    )
    invite = await session.scalar(select(Invite).where(*usable))
    if invite is None:
        raise InviteInvalid("this invite code is unknown, used or expired")
    query = select(HealthWorker).where(HealthWorker.pseudonym == pseudonym.value)
    current = await session.scalar(query.where(HealthWorker.active))
    if current is not None:
        _check_join(current, team_id=invite.team_id, role=invite.role)
    # one UPDATE claims the invite, so two people racing with one code cannot both get in
    claimed = await session.execute(
        update(Invite).where(Invite.id == invite.id, *usable).values(used_at=now)
        .returning(Invite.id, Invite.team_id, Invite.role)
    )  # fmt: skip
    row = claimed.first()
    if row is None:
        raise InviteInvalid("this invite code is unknown, used or expired")
    invite_id, team_id, role = row
    worker = await ensure_worker(session, pseudonym=pseudonym, team_id=team_id, role=role)
    await session.execute(update(Invite).where(Invite.id == invite_id).values(used_by_id=worker.id))
    return worker


def _check_join(worker: HealthWorker, *, team_id: int, role: str) -> None:
    if worker.team_id != team_id:
        reason = "other_team"  # an admin of their team revokes them first
    elif worker.role == "admin" and role != "admin":
        reason = "demote"  # another admin revokes them first
    elif worker.role == role:
        reason = "member"
    else:  # a health worker invited as an admin of their own team
        return
    raise JoinRefused(reason, team_id=worker.team_id, role=worker.role)


async def revoke_worker(session: AsyncSession, *, admin: HealthWorker, worker_id: int) -> None:
    """Take away a worker's access; their past notes stay."""
    _require_admin(admin)
    worker = await session.get(HealthWorker, worker_id)
    if worker is None or worker.team_id != admin.team_id:
        raise NotFound(f"no health worker {worker_id} in your team")
    worker.active = False
    await session.flush()


async def list_workers(session: AsyncSession, *, team_id: int) -> list[HealthWorker]:
    """The team's active workers."""
    query = select(HealthWorker).where(HealthWorker.team_id == team_id, HealthWorker.active)
    return list(await session.scalars(query.order_by(HealthWorker.id)))
