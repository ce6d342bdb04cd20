"""What the bot checks and sets up before its first update: the key, the team, the commands."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.base import log
from bot.services.relay_key import Relay
from bot.services.settings import BotSettings
from bot.texts import i18n
from storage.pseudonyms import Pseudonymizer
from storage.relay import replace_relay, sealed_tokens
from storage.workers import ensure_worker, get_or_create_team

PEOPLE_COMMANDS = ("start", "profile", "history", "language", "delete", "help")
WORKER_COMMANDS = (
    "pending",
    "case",
    "contacted",
    "decline",
    "note",
    "take",
    "message",
    "resolve",
    "stats",
    "web",
    "invite",
    "workers",
    "revoke",
)


async def configure_team(
    sessions: async_sessionmaker[AsyncSession], pseudonyms: Pseudonymizer, settings: BotSettings
) -> int:
    """The TEAM's id, with HEALTH_WORKER_IDS and ADMIN_IDS made its workers (pseudonyms only).

    A configured worker known under a retired PSEUDONYM_KEY is re-keyed, keeping their row and
    cases; one an admin revoked stays revoked (an admin's invite brings them back)."""
    async with sessions.begin() as session:
        team = await get_or_create_team(session, name=settings.team)
        roles = [(i, "health_worker") for i in settings.health_worker_ids]
        for user_id, role in roles + [(i, "admin") for i in settings.admin_ids]:
            current, *retired = pseudonyms.candidates(user_id, "worker")
            await ensure_worker(
                session,
                pseudonym=current,
                team_id=team.id,
                role=role,
                retired=retired,
                revive=False,
            )
        return team.id


async def reseal(sessions: async_sessionmaker[AsyncSession], relay: Relay) -> int:
    """Re-seal under RELAY_KEY every chat id a key of RELAY_OLD_KEYS sealed, so that key can
    go at the next restart; how many. Tokens no key opens are kept and counted in the log."""
    async with sessions.begin() as session:
        tokens = await sealed_tokens(session)
        renewed = unreadable = 0
        for subject_id, token in tokens:
            new = relay.renewed(token)
            if new is not None:
                renewed += await replace_relay(session, subject_id=subject_id, old=token, new=new)
            elif relay.open(token) is None:
                unreadable += 1
    if renewed or unreadable:
        log.log(
            logging.WARNING if unreadable else logging.INFO,
            "relay: %d chat ids re-sealed under RELAY_KEY, %d opened by no key of ours",
            renewed,
            unreadable,
        )
    return renewed


def relay_for(settings: BotSettings) -> Relay | None:
    """The relay under RELAY_KEY, opening what RELAY_OLD_KEYS sealed too; None without a key."""
    if settings.relay_key is None:
        return None
    old = [k.get_secret_value() for k in settings.relay_old_keys]
    return Relay(settings.relay_key.get_secret_value(), old)


def command_list(lang: str, *, worker: bool) -> list[tuple[str, str]]:
    """(command, description) pairs for setMyCommands; workers get theirs too."""
    names = PEOPLE_COMMANDS + (WORKER_COMMANDS if worker else ())
    return [(name, i18n.t(lang, f"commands.{name}")) for name in names]


def worker_commands_text(lang: str) -> str:
    """Every worker command with its menu text, one a line, for /help and the join message:
    the same list as the workers' command menu."""
    return "\n".join(f"/{name} - {i18n.t(lang, f'commands.{name}')}" for name in WORKER_COMMANDS)
