"""Housekeeping a long-running bot needs, run on a schedule (PTB's JobQueue): forget processed
update ids Telegram can no longer redeliver, and chat steps abandoned half-way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.chat.services.base import Deps, log
from storage.conversations import prune_conversations
from storage.ratelimit import prune_photo_windows
from storage.updates import prune_updates

# Telegram keeps an undelivered update for at most 24 hours; two days leaves a margin for a
# bot that was down when it was due
UPDATE_RETENTION = timedelta(days=2)
# a half-answered /profile or /delete older than a week is abandoned; the person starts again
CONVERSATION_RETENTION = timedelta(days=7)


async def prune(deps: Deps, now: datetime | None = None) -> tuple[int, int]:
    """Delete old processed updates, abandoned conversations and long-over photo rate windows:
    (updates, conversations)."""
    now = now or datetime.now(UTC)
    async with deps.sessions.begin() as session:
        updates = await prune_updates(session, before=now - UPDATE_RETENTION)
        chats = await prune_conversations(session, before=now - CONVERSATION_RETENTION)
        # a window is over after PHOTO_RATE_WINDOW_S; a day is far beyond any sensible window
        await prune_photo_windows(session, before=now - timedelta(days=1))
    log.info("housekeeping: pruned %d processed updates, %d conversations", updates, chats)
    return updates, chats
