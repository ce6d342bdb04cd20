"""Housekeeping a long-running bot needs, run on a schedule (PTB's JobQueue): forget processed
update ids Telegram can no longer redeliver and chat steps abandoned half-way, and delete the
records the retention rules say are due (storage.retention; docs/STORAGE.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.services.base import Deps, log
from storage.conversations import prune_conversations
from storage.photo_windows import prune_photo_windows
from storage.retention import Cutoffs, Pruned, prune_records
from storage.settings import StorageSettings
from storage.updates import prune_updates
from storage.weblinks import prune_web

# Telegram keeps an undelivered update for at most 24 hours; two days leaves a margin for a
# bot that was down when it was due
UPDATE_RETENTION = timedelta(days=2)
# a half-answered /profile or /delete older than a week is abandoned; the person starts again
CONVERSATION_RETENTION = timedelta(days=7)


@dataclass(frozen=True)
class Housekept:
    """What one run deleted."""

    updates: int
    conversations: int
    records: Pruned


async def prune(deps: Deps, storage: StorageSettings, now: datetime | None = None) -> Housekept:
    """Delete old processed updates, abandoned conversations, long-over photo rate windows and
    the records past their retention (RETENTION_DAYS, RESEARCH_RETENTION_DAYS)."""
    now = now or datetime.now(UTC)
    cutoffs = Cutoffs.of(
        now, days=storage.retention_days, crop_days=storage.research_retention_days
    )
    async with deps.sessions.begin() as session:
        updates = await prune_updates(session, before=now - UPDATE_RETENTION)
        chats = await prune_conversations(session, before=now - CONVERSATION_RETENTION)
        # a window is over after PHOTO_RATE_WINDOW_S; a day is far beyond any sensible window
        await prune_photo_windows(session, before=now - timedelta(days=1))
        await prune_web(session, before=now)  # dashboard links and sessions past their time
        records = await prune_records(session, cutoffs=cutoffs)
    log.info(
        "housekeeping: pruned %d processed updates, %d conversations; past retention "
        "%d closed cases, %d notes, %d screenings, %d research crops, %d people",
        updates,
        chats,
        records.cases,
        records.notes,
        records.screenings,
        records.crops,
        records.people,
    )
    return Housekept(updates, chats, records)
