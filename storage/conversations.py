"""Conversation state per chat (consent and profile steps), shared by all bot processes.

Keyed by the pseudonym of the private chat id (equal to the user id, so erasure finds it).
Keep `data` to answers such as {"age_months": 24}: never a name, username or the raw id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import upsert_insert
from storage.errors import ConversationConflict
from storage.models import Conversation, utcnow
from storage.pseudonyms import Pseudonym


@dataclass(frozen=True)
class ChatState:
    state: str
    data: dict[str, Any]
    version: int  # pass back to save_conversation
    updated_at: datetime


async def load_conversation(session: AsyncSession, *, pseudonym: Pseudonym) -> ChatState | None:
    """The chat's state, or None for a chat we have not seen (or that finished)."""
    row = await session.scalar(
        select(Conversation).where(Conversation.pseudonym == pseudonym.value)
    )
    if row is None:
        return None
    return ChatState(row.state, dict(row.data), row.version, row.updated_at)


async def save_conversation(
    session: AsyncSession,
    *,
    pseudonym: Pseudonym,
    state: str,
    data: dict[str, Any],
    expected_version: int | None,
) -> int:
    """Store the chat's state; returns its new version.

    `expected_version` is the version loaded (None: there was none). If another process saved
    in between, ConversationConflict is raised and nothing is written.
    """
    now = utcnow()
    if expected_version is None:
        return await _insert(session, pseudonym, state, data, now)
    result = await session.execute(
        update(Conversation)
        .where(Conversation.pseudonym == pseudonym.value)
        .where(Conversation.version == expected_version)
        .values(state=state, data=data, version=expected_version + 1, updated_at=now)
        .returning(Conversation.version)
        .execution_options(synchronize_session=False)
    )
    if result.first() is None:
        raise ConversationConflict("the conversation changed in another process; reload it")
    return expected_version + 1


async def _insert(
    session: AsyncSession, pseudonym: Pseudonym, state: str, data: dict[str, Any], now: datetime
) -> int:
    values = {"pseudonym": pseudonym.value, "key_id": pseudonym.key_id, "state": state}
    statement = (
        upsert_insert(session, Conversation)
        .values(**values, data=data, version=1, updated_at=now)
        .on_conflict_do_nothing()
        .returning(Conversation.version)
    )
    if (await session.execute(statement)).first() is None:
        raise ConversationConflict("another process started this conversation; reload it")
    return 1


async def clear_conversation(session: AsyncSession, *, pseudonym: Pseudonym) -> None:
    """Forget the chat's state (the flow finished or was cancelled)."""
    await session.execute(delete(Conversation).where(Conversation.pseudonym == pseudonym.value))


async def prune_conversations(session: AsyncSession, *, before: datetime) -> int:
    """Forget conversations untouched since `before` (abandoned half-way); how many."""
    result = await session.execute(delete(Conversation).where(Conversation.updated_at < before))
    return cast(CursorResult[Any], result).rowcount
