"""The dashboard's sign-in: one-time links (`/web`, `anemia-screen web-link`) and the sessions
they open. Tokens are random (256 bits) and shown once; only their SHA-256 is kept, so a copy
of the database opens nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import InvalidValue, LinkInvalid
from storage.models import ROLES, HealthWorker, WebLink, WebSession, utcnow

LINK_TTL = timedelta(minutes=15)  # a link is for opening now, not for keeping
TOKEN_BYTES = 32


def token_hash(token: str) -> str:
    """The SHA-256 of a token, as kept in the database."""
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


async def create_link(
    session: AsyncSession,
    *,
    team_id: int,
    role: str,
    worker_id: int | None = None,
    ttl: timedelta = LINK_TTL,
) -> str:
    """A one-time sign-in token for the worker (or, without one, the team's office)."""
    if role not in ROLES:
        raise InvalidValue(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    token = _new_token()
    expires = utcnow() + ttl
    row = WebLink(
        token_hash=token_hash(token),
        team_id=team_id,
        worker_id=worker_id,
        role=role,
        expires_at=expires,
    )
    session.add(row)
    await session.flush()
    return token


async def check_link(session: AsyncSession, *, token: str) -> None:
    """Raise LinkInvalid if the link cannot be used now; uses nothing (the page that asks
    to sign in: a link preview's fetch must not spend the link)."""
    link = await session.scalar(select(WebLink).where(WebLink.token_hash == token_hash(token)))
    _usable(link, utcnow())


def _usable(link: WebLink | None, now: datetime) -> WebLink:
    if link is None:
        raise LinkInvalid("unknown")
    if link.used_at is not None:
        raise LinkInvalid("used")
    if link.expires_at <= now:
        raise LinkInvalid("expired")
    return link


async def redeem_link(
    session: AsyncSession, *, token: str, session_ttl: timedelta
) -> tuple[str, WebSession]:
    """Spend the link and open a session: its token (for the browser's cookie) and row. One
    UPDATE claims the link, so two tabs racing with one link cannot both get in."""
    now = utcnow()
    digest = token_hash(token)
    claimed = await session.execute(
        update(WebLink)
        .where(WebLink.token_hash == digest, WebLink.used_at.is_(None), WebLink.expires_at > now)
        .values(used_at=now)
        .returning(WebLink.team_id, WebLink.worker_id, WebLink.role)
    )
    row = claimed.first()
    if row is None:
        link = await session.scalar(select(WebLink).where(WebLink.token_hash == digest))
        _usable(link, now)
        raise LinkInvalid("used")  # spent by a racing request between the two statements
    team_id, worker_id, role = row
    if worker_id is not None and await _active(session, worker_id) is None:
        raise LinkInvalid("unknown")  # the worker's access was revoked since
    secret = _new_token()
    opened = WebSession(
        token_hash=token_hash(secret),
        team_id=team_id,
        worker_id=worker_id,
        role=role,
        expires_at=now + session_ttl,
    )
    session.add(opened)
    await session.flush()
    return secret, opened


async def _active(session: AsyncSession, worker_id: int) -> HealthWorker | None:
    worker = await session.get(HealthWorker, worker_id)
    return worker if worker is not None and worker.active else None


async def find_session(
    session: AsyncSession, *, token: str
) -> tuple[WebSession, HealthWorker | None] | None:
    """The open session with this token and its worker (None: the office's); None when it is
    unknown, expired, or its worker's access was revoked."""
    query = select(WebSession).where(
        WebSession.token_hash == token_hash(token), WebSession.expires_at > utcnow()
    )
    found = await session.scalar(query)
    if found is None:
        return None
    if found.worker_id is None:
        return found, None
    worker = await _active(session, found.worker_id)
    return (found, worker) if worker is not None else None


async def end_session(session: AsyncSession, *, token: str) -> None:
    """Sign out: the session's row goes, so its cookie opens nothing any more."""
    await session.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))


async def prune_web(session: AsyncSession, *, before: datetime) -> int:
    """Delete links and sessions that expired before `before`; how many."""
    gone = 0
    for table in (WebLink, WebSession):
        result = await session.execute(delete(table).where(table.expires_at < before))
        gone += int(getattr(result, "rowcount", 0) or 0)
    return gone
