"""What every service shares: the resources, who asks, the replies, and the once-only step."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.pipeline.result import Screening
from bot.pipeline.risk import Person
from bot.services.outbox import Outbox
from bot.services.photo_limit import PhotoLimit, RateLimiter
from bot.services.relay_key import Relay
from bot.services.settings import BotSettings
from bot.texts import i18n
from storage.conversations import ChatState, load_conversation
from storage.errors import ConversationConflict
from storage.models import Subject
from storage.pseudonyms import Pseudonym, Pseudonymizer
from storage.subjects import find_subject
from storage.updates import claim_update

log = logging.getLogger("bot")
TYPING_S = 4.0  # a chat action shows for 5 s or until the bot's next message


class Screens(Protocol):
    async def screen(
        self, data: bytes, person: Person, *, with_cutout: bool = False
    ) -> Screening: ...


class Coalescer:
    """Runs `flush` over items added while an earlier flush was running, in one call: under a
    burst, one short transaction for many photos instead of one each (SQLite has one writer)."""

    def __init__(self) -> None:
        self.pending: set[int] = set()
        self.running = False

    async def add(self, item: int, flush: Callable[[set[int]], Awaitable[None]]) -> None:
        """Queue `item`; flush now unless a flush is running (it takes this item next)."""
        self.pending.add(item)
        if self.running:
            return
        self.running = True
        try:
            while self.pending:
                batch, self.pending = self.pending, set()
                await flush(batch)
        finally:
            self.running = False


@dataclass
class Deps:
    """The resources of a running bot, made once at start."""

    sessions: async_sessionmaker[AsyncSession]
    pseudonyms: Pseudonymizer
    pool: Screens
    settings: BotSettings
    team_id: int | None  # the configured team: new subjects' cases go to its workers
    limiter: PhotoLimit
    outbox: Outbox | None = None  # holds screenings while the database is unreachable
    relay: Relay | None = None  # seals chat ids for contact (None: RELAY_KEY not set)
    answered: Coalescer = field(default_factory=Coalescer)  # update ids whose replies went out
    # "sending a photo..." lasts 5 s in Telegram: one per chat in that time, not one per photo
    typing: RateLimiter = field(default_factory=lambda: RateLimiter(1, TYPING_S))


@dataclass(frozen=True)
class Who:
    """The person writing (a private chat: chat id == user id) and the update being handled."""

    user_id: int  # raw Telegram id: in memory only, never stored or logged
    update_id: int
    language_code: str | None = None  # Telegram's guess, until the person picks one


@dataclass(frozen=True)
class Button:
    text: str
    data: str  # callback data, "prefix:value"


@dataclass(frozen=True)
class Out:
    """One reply: a text, or a photo with `text` as its caption."""

    text: str
    photo: bytes | None = None
    buttons: tuple[tuple[Button, ...], ...] = ()
    edit: bool = False  # replace the text of the message whose button was pressed
    worker_commands: bool = False  # show this chat the health workers' command list
    to: int | None = None  # another chat to send it to (the relay); in memory only


@dataclass
class Seen:
    """What we know of the person at the start of an update."""

    pseudonym: Pseudonym
    subject: Subject | None
    chat: ChatState | None
    lang: str = field(default=i18n.DEFAULT)


def tag(p: Pseudonym) -> str:
    """A short pseudonym prefix for the logs: enough to follow one person, never the id."""
    return p.value[:10]


async def seen(session: AsyncSession, deps: Deps, who: Who) -> Seen:
    """The subject, chat state and language of whoever sent the update."""
    candidates = deps.pseudonyms.candidates(who.user_id)
    subject = await find_subject(session, candidates=candidates)
    chat = await load_conversation(session, pseudonym=candidates[0])
    chosen = (subject.language if subject else None) or (chat.data.get("lang") if chat else None)
    return Seen(candidates[0], subject, chat, i18n.language_of(chosen or who.language_code))


Work = Callable[[AsyncSession, Seen], Awaitable[list[Out]]]


async def once(deps: Deps, who: Who, work: Work, known: Seen | None = None) -> list[Out]:
    """Run `work` in one transaction with the update's claim: a redelivery does nothing.
    `known`: what this update read before, for work that re-checks what it relies on itself
    (two queries fewer per photo)."""
    try:
        async with deps.sessions.begin() as session:
            if not await claim_update(session, update_id=who.update_id):
                log.info("update %s already handled", who.update_id)
                return []
            return await work(session, known or await seen(session, deps, who))
    except ConversationConflict:
        return [Out(i18n.t(who.language_code, "conflict"))]


def keyboard(lang: str, *rows: tuple[tuple[str, str], ...]) -> tuple[tuple[Button, ...], ...]:
    """Inline buttons from (catalog key, callback data) pairs, one tuple per row."""
    return tuple(tuple(Button(i18n.t(lang, key), data) for key, data in row) for row in rows)
