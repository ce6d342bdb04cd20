"""Housekeeping: old processed updates and abandoned chat steps are pruned, fresh ones kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.chat.services import housekeeping
from storage.conversations import save_conversation
from storage.models import Conversation, ProcessedUpdate
from storage.updates import claim_update


async def count(deps, table) -> int:
    async with deps.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)))


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
    assert await housekeeping.prune(deps, now=soon) == (0, 0)  # all fresh: nothing goes
    assert await count(deps, ProcessedUpdate) == 2 and await count(deps, Conversation) == 2
    later = datetime.now(UTC) + housekeeping.UPDATE_RETENTION + timedelta(minutes=1)
    assert await housekeeping.prune(deps, now=later) == (2, 0)  # updates go first
    assert await count(deps, Conversation) == 2
    much_later = datetime.now(UTC) + housekeeping.CONVERSATION_RETENTION + timedelta(minutes=1)
    assert await housekeeping.prune(deps, now=much_later) == (0, 2)
    assert await count(deps, ProcessedUpdate) == 0 and await count(deps, Conversation) == 0
