"""`anemia-screen prune [--dry-run]` on SQLite and PostgreSQL: with the windows from
RETENTION_DAYS and RESEARCH_RETENTION_DAYS it says what would go and deletes nothing, then
deletes exactly that; a bad setting or database is one line, never a traceback."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.main import main
from storage import screenings, subjects
from storage.models import FollowUp, ResearchCrop, Screening, Subject, utcnow
from storage.settings import get_settings
from tests.storage.conftest import db_url, engine, postgresql_url, sessions, sqlite_url
from tests.storage.helpers import pseudonymizer, record
from tests.storage.test_retention import _png

__all__ = ["db_url", "engine", "postgresql_url", "sessions", "sqlite_url"]  # fixtures
P = pseudonymizer()
DAYS, CROP_DAYS = 30, 10


@pytest.fixture
def settings(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("RETENTION_DAYS", str(DAYS))
    monkeypatch.setenv("RESEARCH_RETENTION_DAYS", str(CROP_DAYS))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def seed(sessions: async_sessionmaker[AsyncSession]) -> None:
    """One person with a case closed 31 days ago and a screening of 29 days ago; one who
    agreed 40 days ago and sent nothing since; one with a case open for 90 days."""
    now = utcnow()
    async with sessions.begin() as session:
        old = await subjects.create_subject(
            session,
            pseudonym=P.pseudonym(1),
            consent_version="v1",
            research_opt_in=True,
            consent_at=now - timedelta(days=90),
        )
        row, case = await screenings.record_screening(
            session, subject_id=old.id, record=record(9.0, "moderate"), crop_png=_png()
        )
        assert case is not None
        row.created_at = case.opened_at = now - timedelta(days=60)
        case.status, case.closed_at = "resolved", now - timedelta(days=DAYS + 1)
        recent, _ = await screenings.record_screening(
            session, subject_id=old.id, record=record(), crop_png=_png()
        )
        recent.created_at = now - timedelta(days=DAYS - 1)  # its crop is past 10 days
        (await session.get_one(ResearchCrop, recent.id)).created_at = recent.created_at
        silent = await subjects.create_subject(
            session,
            pseudonym=P.pseudonym(2),
            consent_version="v1",
            consent_at=now - timedelta(days=DAYS + 10),
        )
        silent.created_at = silent.consent_at
        waiting = await subjects.create_subject(
            session, pseudonym=P.pseudonym(3), consent_version="v1"
        )
        row, case = await screenings.record_screening(
            session, subject_id=waiting.id, record=record(6.5, "severe")
        )
        assert case is not None
        row.created_at = case.opened_at = now - timedelta(days=90)


async def counts(sessions: async_sessionmaker[AsyncSession]) -> list[int]:
    async with sessions() as session:
        return [
            int(await session.scalar(select(func.count()).select_from(m)) or 0)
            for m in (Subject, Screening, FollowUp, ResearchCrop)
        ]


async def anemia_screen(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = await asyncio.to_thread(main, argv)  # it runs its own event loop
    out, err = capsys.readouterr()
    return code, out + err


async def test_dry_run_then_prune(settings, sessions, capsys) -> None:
    await seed(sessions)
    before = await counts(sessions)
    assert before == [3, 3, 2, 2]
    code, out = await anemia_screen(["prune", "--dry-run"], capsys)
    assert code == 0 and await counts(sessions) == before
    assert out.splitlines() == [
        "would delete 1 closed case(s) (closed more than 30 days ago)",
        "would delete 0 case note(s) (of those cases)",
        "would delete 1 screening(s) (made more than 30 days ago, no kept case's)",
        "would delete 2 research crop(s) (kept more than 10 days ago, or of those screenings)",
        "would delete 1 person(s) (nothing left, last agreed more than 30 days ago)",
        "dry run: nothing was deleted",
    ]
    code, out = await anemia_screen(["prune"], capsys)
    assert (
        code == 0
        and out.splitlines()[0] == "deleted 1 closed case(s) (closed more than 30 days ago)"
    )
    assert len(out.splitlines()) == 5
    # the open case, its person and screening stay; so do the recent screening and its person
    assert await counts(sessions) == [2, 2, 1, 0]
    code, out = await anemia_screen(["prune"], capsys)
    assert all(line.startswith("deleted 0 ") for line in out.splitlines())


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("RETENTION_DAYS", "0", "bad setting RETENTION_DAYS: Input should be greater than or"),
        ("RESEARCH_RETENTION_DAYS", "a year", "bad setting RESEARCH_RETENTION_DAYS: Input"),
        ("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/none", "database error at"),
    ],
)
def test_a_bad_setting_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name, value, says
) -> None:
    monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        assert main(["prune", "--dry-run"]) == 2
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert err.startswith(f"anemia-screen: {says}") and len(err.splitlines()) == 1
