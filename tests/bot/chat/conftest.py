"""Chat fixtures: a migrated SQLite file, a pseudonymizer, and a pool that needs no model."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest

from bot.pipeline.result import Screening
from bot.pipeline.risk import Person, classify
from bot.services.base import Deps, Who
from bot.services.photo_limit import MemoryPhotoLimit
from bot.services.settings import BotSettings
from storage.db import make_engine, make_sessionmaker, migrate_to_head
from storage.pseudonyms import Pseudonymizer
from storage.workers import get_or_create_team

_updates = itertools.count(1)


def who(user: int = 4242, lang: str | None = "en") -> Who:
    """A new update from `user`."""
    return Who(user_id=user, update_id=next(_updates), language_code=lang)


def screening(hb: float = 10.4, half: float = 1.4, warnings: tuple[str, ...] = ()) -> Screening:
    interval = (round(hb - half, 1), round(hb + half, 1))
    return Screening(
        hb_g_dl=hb,
        interval=interval,
        coverage=0.9,
        risk=classify(hb, interval, Person(age_months=36)),
        attention_lower_half=0.7,
        warnings=warnings,
        source="cutout",
        area_fraction=0.2,
        overlay_jpeg=b"\xff\xd8\xffJPEG-overlay",
        model_version="test",
        refer=hb < 11.5,
        population="cp-anemic",
        cohort="children",
    )


class StubPool:
    """Answers with `result` (a Screening or an exception to raise) and records the calls,
    and whether each asked for the cut-out."""

    def __init__(self) -> None:
        self.result: Screening | Exception = screening()
        self.calls: list[tuple[bytes, Person]] = []
        self.cutouts: list[bool] = []

    async def screen(self, data: bytes, person: Person, *, with_cutout: bool = False) -> Screening:
        self.calls.append((data, person))
        self.cutouts.append(with_cutout)
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
        sessions=sessions,
        pseudonyms=Pseudonymizer("k1", b"s" * 32),
        pool=pool,
        settings=BotSettings(photo_rate_limit=3),
        team_id=team.id,
        limiter=MemoryPhotoLimit(3, 60.0),
    )
    await engine.dispose()
