"""Housekeeping: old processed updates and abandoned chat steps are pruned, fresh ones kept."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import func, select

from bot.services import buttons, housekeeping, people, photos
from storage.conversations import save_conversation
from storage.followups import resolve_followup
from storage.models import (
    Conversation,
    FollowUp,
    ProcessedUpdate,
    ResearchCrop,
    Screening,
    Subject,
)
from storage.retention import Pruned
from storage.settings import StorageSettings, get_settings
from storage.updates import claim_update
from tests.bot.chat.conftest import screening, who


async def fetch() -> bytes:
    return b"photo"


async def count(deps, table) -> int:
    async with deps.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)))


async def pruned(deps, now: datetime) -> tuple[int, int]:
    done = await housekeeping.prune(deps, StorageSettings(), now=now)
    return done.updates, done.conversations


async def test_prune_forgets_only_what_is_old_enough(deps) -> None:
    async with deps.sessions.begin() as session:
        for update_id in (1, 2):
            assert await claim_update(session, update_id=update_id)
        for user in (10, 11):
            pseudonym = deps.pseudonyms.pseudonym(user)
            await save_conversation(
                session, pseudonym=pseudonym, state="age", data={}, expected_version=None
            )
    soon = datetime.now(UTC) + timedelta(hours=1)
    assert await pruned(deps, soon) == (0, 0)  # all fresh: nothing goes
    assert await count(deps, ProcessedUpdate) == 2 and await count(deps, Conversation) == 2
    later = datetime.now(UTC) + housekeeping.UPDATE_RETENTION + timedelta(minutes=1)
    assert await pruned(deps, later) == (2, 0)  # updates go first
    assert await count(deps, Conversation) == 2
    much_later = datetime.now(UTC) + housekeeping.CONVERSATION_RETENTION + timedelta(minutes=1)
    assert await pruned(deps, much_later) == (0, 2)
    assert await count(deps, ProcessedUpdate) == 0 and await count(deps, Conversation) == 0


async def test_prune_applies_the_retention_settings(deps, pool) -> None:
    """A person screened once (a moderate result opens a case, closed the same day): with
    RETENTION_DAYS=30 and RESEARCH_RETENTION_DAYS=10 their crop goes after 10 days, the case,
    its note, the screening and the person after 30; with the defaults all are kept."""
    await people.start(deps, who())
    await people.answer_consent(deps, who(), "yes")
    await buttons.press(deps, who(), "research:on", {"research:on"})
    pool.result = dataclasses.replace(screening(9.0), cutout=np.full((30, 40, 4), 255, np.uint8))
    await photos.screen_photo(deps, who(), fetch, 10)
    async with deps.sessions.begin() as session:
        case = (await session.scalars(select(FollowUp))).one()
        await resolve_followup(
            session,
            case_code=case.case_code,
            worker=None,
            lab_hb_g_dl=9.2,
            lab_date=None,
            outcome=None,
            note="lab done",
        )
    short = StorageSettings(retention_days=30, research_retention_days=10)
    later = datetime.now(UTC) + timedelta(days=20)
    assert (await housekeeping.prune(deps, StorageSettings(), later)).records == Pruned(
        0, 0, 0, 0, 0
    )
    assert (await housekeeping.prune(deps, short, later)).records == Pruned(0, 0, 0, 1, 0)
    assert await count(deps, ResearchCrop) == 0 and await count(deps, FollowUp) == 1
    done = await housekeeping.prune(deps, short, datetime.now(UTC) + timedelta(days=31))
    assert done.records == Pruned(cases=1, notes=1, screenings=1, crops=0, people=1)
    assert await count(deps, Subject) == 0 and await count(deps, Screening) == 0


def test_the_consent_says_the_windows_the_bot_applies(monkeypatch) -> None:
    monkeypatch.setenv("RETENTION_DAYS", "90")
    monkeypatch.setenv("RESEARCH_RETENTION_DAYS", "30")
    get_settings.cache_clear()
    try:
        [en], [ja] = people.consent_prompt("en"), people.consent_prompt("ja")
    finally:
        get_settings.cache_clear()
    assert "deleted 90 days after" in en.text and "after 30 days at most" in en.text
    assert "exported" in en.text  # what /delete cannot reach
    assert "90 日後" in ja.text and "30 日後" in ja.text
