"""Service helpers, and the fixtures they use (`deps`, `pool`, from tests/bot/chat/conftest.py)."""

from __future__ import annotations

from sqlalchemy import select

from bot.pipeline.decode import ImageRejected
from bot.services import people, photos
from bot.services.base import Deps
from storage.models import FollowUp
from storage.workers import ensure_worker
from tests.bot.chat.conftest import StubPool, deps, pool, screening, who

__all__ = ["deps", "pool"]  # fixtures, for the tests in this folder


async def make_worker(deps: Deps, user: int, role: str = "health_worker") -> None:
    async with deps.sessions.begin() as session:
        pseudonym = deps.pseudonyms.pseudonym(user, "worker")
        assert deps.team_id is not None
        await ensure_worker(session, pseudonym=pseudonym, team_id=deps.team_id, role=role)


def rejected(code: str) -> ImageRejected:
    return ImageRejected(code)


async def fetch() -> bytes:
    """A photo's bytes as the handler would fetch them (the stub pool ignores them)."""
    return b"photo"


async def screened(deps: Deps, pool: StubPool, hbs: list[float], user: int = 4242) -> None:
    """`user` consents and sends one photo per Hb in `hbs`, screened as that Hb."""
    await people.start(deps, who(user))
    await people.answer_consent(deps, who(user), "yes")
    for hb in hbs:
        pool.result = screening(hb)
        await photos.screen_photo(deps, who(user), fetch, 10)


async def open_case(deps: Deps, pool: StubPool, user: int, hb: float = 9.0) -> str:
    """A case opened by `user`'s screening; its code as workers see it (XXXX-XXXX)."""
    await screened(deps, pool, [hb], user=user)
    async with deps.sessions() as session:
        codes = await session.scalars(select(FollowUp.case_code).order_by(FollowUp.id.desc()))
        code = codes.first()
    assert code is not None, "no case was opened"
    return f"{code[:4]}-{code[4:]}"
