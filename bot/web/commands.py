"""The chat's commands for the local trial's page, each to the same service the Telegram
handlers call (bot.chat.handlers, bot.chat.handlers_workers), with the words after it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.services import casework, history, people, profile, relay, team, workers
from bot.services.base import Deps, Out, Who

Command = Callable[[Deps, Who, list[str]], Awaitable[list[Out]]]


def _first(args: list[str]) -> str | None:
    return args[0] if args else None


COMMANDS: dict[str, Command] = {
    "start": lambda d, w, a: people.start(d, w),
    "profile": lambda d, w, a: profile.start_profile(d, w),
    "history": lambda d, w, a: history.history(d, w),
    "delete": lambda d, w, a: people.ask_delete(d, w),
    "language": lambda d, w, a: people.choose_language(d, w),
    "help": lambda d, w, a: people.help_text(d, w),
    "pending": workers.pending,
    "case": lambda d, w, a: workers.case(d, w, _first(a)),
    "contacted": casework.contacted,
    "decline": casework.decline,
    "note": casework.note,
    "take": lambda d, w, a: casework.take(d, w, _first(a)),
    "message": relay.message,
    "resolve": casework.resolve,
    "stats": lambda d, w, a: team.stats(d, w),
    "web": lambda d, w, a: team.web_link(d, w),
    "join": lambda d, w, a: team.join(d, w, _first(a)),
    "invite": lambda d, w, a: team.invite(d, w),
    "workers": lambda d, w, a: team.members(d, w),
    "revoke": lambda d, w, a: team.revoke(d, w, _first(a)),
}
