"""Teams and health workers: configured admins, one-time invites, revocation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import upsert_insert
from storage.errors import InvalidValue, InviteInvalid, JoinRefused, NotFound, PermissionDenied
from storage.models import ROLES, Base, HealthWorker, Invite, Team, utcnow
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
    """The active worker under any of `candidates` (current key first), re-keyed to it."""
    worker = await _rekeyed(session, candidates)
    return worker if worker is not None and worker.active else None


async def ensure_worker(
    session: AsyncSession,
    *,
    pseudonym: Pseudonym,
    team_id: int,
    role: str,
    retired: Sequence[Pseudonym] = (),
    revive: bool = True,
) -> HealthWorker:
    """Grant `role` in the team to the person; idempotent. `retired`: their pseudonyms under
    retired keys, so a worker from before a key rotation keeps their row (and cases).
    `revive=False` (configured ids at start-up) leaves a revoked worker revoked, and one who
    has since joined another team in it."""
    _check_role(role)
    worker = await _rekeyed(session, [pseudonym, *retired])
    if worker is None:
        # as for the team: replicas starting together both grant the configured ids
        insert = upsert_insert(session, HealthWorker).values(
            pseudonym=pseudonym.value, key_id=pseudonym.key_id, team_id=team_id, role=role
        )
        await session.execute(
            insert.on_conflict_do_nothing(index_elements=[HealthWorker.pseudonym])
        )
        query = select(HealthWorker).where(HealthWorker.pseudonym == pseudonym.value)
        worker = (await session.scalars(query)).one()
    elif not revive and (not worker.active or worker.team_id != team_id):
        return worker  # an admin's later word (a revoke, another team's invite) stands
    worker.team_id, worker.role, worker.active = team_id, role, True
    await session.flush()
    return worker


async def _rekeyed(session: AsyncSession, candidates: Sequence[Pseudonym]) -> HealthWorker | None:
    """The worker row under any of `candidates`, moved to the current key (candidates[0]).

    Rows under retired keys are locked first, so two replicas re-keying at once take turns;
    two rows for one person (left by an earlier rotation) become one, the oldest, which
    keeps the id cases and notes refer to and the newest row's team, role and standing."""
    if not candidates:
        return None
    current = candidates[0]
    query = (
        select(HealthWorker)
        .where(HealthWorker.pseudonym.in_([p.value for p in candidates]))
        .order_by(HealthWorker.id)
    )
    rows = list(await session.scalars(query))
    if all(w.pseudonym == current.value for w in rows):
        return rows[0] if rows else None  # the usual case: nothing to move, nothing locked
    # read again under the lock: another process may have re-keyed them in the meantime
    locked = query.with_for_update().execution_options(populate_existing=True)
    rows = list(await session.scalars(locked))
    if not rows:
        return None
    keep, others = rows[0], rows[1:]
    latest = next((w for w in rows if w.pseudonym == current.value), rows[-1])
    state = (latest.team_id, latest.role, latest.active)
    if others:
        await _merge(session, keep=keep.id, gone=[w.id for w in others])
        for w in others:
            session.expunge(w)
    keep.pseudonym, keep.key_id = current
    keep.team_id, keep.role, keep.active = state
    await session.flush()
    return keep


async def _merge(session: AsyncSession, *, keep: int, gone: list[int]) -> None:
    """Point every reference to the `gone` worker rows at `keep`, then delete them."""
    column = HealthWorker.__table__.c.id
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column is column:
                refs = update(table).where(fk.parent.in_(gone)).values({fk.parent.name: keep})
                await session.execute(refs)
    await session.execute(delete(HealthWorker).where(HealthWorker.id.in_(gone)))
    await session.flush()


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
        update(Invite)
        .where(Invite.id == invite.id, *usable)
        .values(used_at=now)
        .returning(Invite.id, Invite.team_id, Invite.role)
    )
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
