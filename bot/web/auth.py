"""Who is signed in to the dashboard: the session cookie (a random token; the database keeps
only its hash, `storage.weblinks`), the acting worker or office, and the CSRF token every
form carries (an HMAC of the session's token: a page of another site cannot know it)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from storage.followups import Office
from storage.models import HealthWorker, Team
from storage.weblinks import find_session

COOKIE = "anemia_dashboard"


@dataclass(frozen=True)
class Signed:
    """A signed-in dashboard: the actor the storage calls take, its team and role."""

    token: str
    actor: HealthWorker | Office
    team_id: int
    team: str
    role: str

    @property
    def csrf(self) -> str:
        return csrf_for(self.token)

    @property
    def worker(self) -> HealthWorker | None:
        """The worker signed in; None for the office (a link the operator made)."""
        return self.actor if isinstance(self.actor, HealthWorker) else None


def csrf_for(token: str) -> str:
    """The form token of a session: HMAC-SHA256 of a fixed label under the session's token."""
    return hmac.new(token.encode(), b"csrf", hashlib.sha256).hexdigest()


def csrf_ok(signed: Signed, form: FormData) -> bool:
    """Whether the form carries the session's CSRF token."""
    sent = form.get("csrf")
    return isinstance(sent, str) and hmac.compare_digest(sent, signed.csrf)


async def signed_in(session: AsyncSession, request: Request) -> Signed | None:
    """The dashboard session of the request's cookie; None when there is none or it ended."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    found = await find_session(session, token=token)
    if found is None:
        return None
    row, worker = found
    actor: HealthWorker | Office = worker if worker is not None else Office(row.team_id)
    team_id = worker.team_id if worker is not None else row.team_id
    role = worker.role if worker is not None else row.role
    team = await session.get_one(Team, team_id)
    return Signed(token, actor, team_id, team.name, role)


def set_session_cookie(response: Response, token: str, *, hours: float, secure: bool) -> None:
    """The session's cookie: not readable by scripts, never sent by another site's page,
    only over HTTPS when the dashboard is served so, gone when the session expires."""
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(hours * 3600),
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/",
    )


def clear_session_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=secure)
