"""Every text a person or a health worker reads, in English, by section. The English is the
gettext msgid and the key its msgctxt; the translations are in bot/texts/locales/."""

from __future__ import annotations

from bot.texts.messages import commands, general, profile, reject, result, web, worker
from bot.texts.registry import Message


def _index(*groups: tuple[Message, ...]) -> dict[str, Message]:
    found: dict[str, Message] = {}
    for message in (m for group in groups for m in group):
        if message.key in found:
            raise ValueError(f"message key {message.key!r} is declared twice")
        found[message.key] = message
    return found


MESSAGES = _index(
    general.MESSAGES,
    profile.MESSAGES,
    result.MESSAGES,
    reject.MESSAGES,
    worker.MESSAGES,
    commands.MESSAGES,
    web.MESSAGES,
)
