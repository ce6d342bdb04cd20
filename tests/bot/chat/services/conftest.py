"""Service fixtures: a migrated SQLite file, a pseudonymizer, and a pool that needs no model."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.chat.ratelimit import MemoryPhotoLimit
from bot.chat.services import people, photos
from bot.chat.services.base import Deps, Who
from bot.chat.settings import BotSettings
from bot.pipeline.decode import ImageRejected
from bot.pipeline.risk import Person, classify
from bot.pipeline.screening import Screening
from storage.db import make_engine, make_sessionmaker, migrate_to_head
from storage.models import FollowUp
from storage.pseudonyms import Pseudonymizer
from storage.workers import ensure_worker, get_or_create_team

_updates = itertools.count(1)


def who(user: int = 4242, lang: str | None = "en") -> Who:
    """A new update from `user`."""
    return Who(user_id=user, update_id=next(_updates), language_code=lang)


def screening(hb: float = 10.4, half: float = 1.4, warnings: tuple[str, ...] = ()) -> Screening:
    interval = (round(hb - half, 1), round(hb + half, 1))
    return Screening(
        hb_g_dl=hb, interval=interval, coverage=0.9,
        risk=classify(hb, interval, Person(age_months=36)), attention_lower_half=0.7,
        warnings=warnings, source="cutout", area_fraction=0.2, overlay_png=b"\x89PNG-overlay",
        model_version="test", refer=hb < 11.5, population="cp-anemic", cohort="children",
    )  # fmt: skip


class StubPool:
    """Answers with `result` (a Screening or an exception to raise) and records the calls."""

    def __init__(self) -> None:
        self.result: Screening | Exception = screening()
        self.calls: list[tuple[bytes, Person]] = []

    async def screen(self, data: bytes, person: Person) -> Screening:
        self.calls.append((data, person))
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


@pytest.fixture
def pool() -> StubPool:
    return StubPool()


@pytest.fixture
async def deps(tmp_path, pool) -> AsyncIterator[Deps]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    await migrate_to_head(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    async with sessions.begin() as session:
        team = await get_or_create_team(session, name="clinic")
    yield Deps(
        sessions=sessions, pseudonyms=Pseudonymizer("k1", b"s" * 32), pool=pool,
        settings=BotSettings(photo_rate_limit=3), team_id=team.id,
        limiter=MemoryPhotoLimit(3, 60.0),
    )  # fmt: skip
    await engine.dispose()


async def make_worker(deps: Deps, user: int, role: str = "health_worker") -> None:
    async with deps.sessions.begin() as session:
        pseudonym = deps.pseudonyms.pseudonym(user, "worker")
        assert deps.team_id is not None
        await ensure_worker(session, pseudonym=pseudonym, team_id=deps.team_id, role=role)


def rejected(code: str) -> ImageRejected:
    return ImageRejected(code, f"english {code}")


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
