"""Health workers' command handlers: parse the arguments, call the service, reply."""

from __future__ import annotations

from telegram import Update

from bot.chat.context import BotContext
from bot.chat.handlers_io import Handler, send, who
from bot.services import casework, relay, team, workers


def _first(context: BotContext) -> str | None:
    return context.args[0] if context.args else None


def _args(context: BotContext) -> list[str]:
    return list(context.args or [])


async def pending(update: Update, context: BotContext) -> None:
    """/pending [risk] [days] [page N]: the team's open cases, a page at a time."""
    await send(update, context, await workers.pending(context.deps, who(update), _args(context)))


async def case(update: Update, context: BotContext) -> None:
    """/case CODE: one case, with its history and notes."""
    await send(update, context, await workers.case(context.deps, who(update), _first(context)))


async def contacted(update: Update, context: BotContext) -> None:
    """/contacted CODE [note]: the person was reached."""
    outs = await casework.contacted(context.deps, who(update), _args(context))
    await send(update, context, outs)


async def decline(update: Update, context: BotContext) -> None:
    """/decline CODE REASON...: close a case the person declined."""
    await send(update, context, await casework.decline(context.deps, who(update), _args(context)))


async def note(update: Update, context: BotContext) -> None:
    """/note CODE TEXT...: add a note to a case."""
    await send(update, context, await casework.note(context.deps, who(update), _args(context)))


async def take(update: Update, context: BotContext) -> None:
    """/take CODE: assign a case to yourself."""
    await send(update, context, await casework.take(context.deps, who(update), _first(context)))


async def resolve(update: Update, context: BotContext) -> None:
    """/resolve CODE LAB_HB [note]: close a case with the lab Hb."""
    await send(update, context, await casework.resolve(context.deps, who(update), _args(context)))


async def stats(update: Update, context: BotContext) -> None:
    """/stats: the team's figures."""
    await send(update, context, await team.stats(context.deps, who(update)))


async def web(update: Update, context: BotContext) -> None:
    """/web: a one-time sign-in link to the dashboard."""
    await send(update, context, await team.web_link(context.deps, who(update)))


async def join(update: Update, context: BotContext) -> None:
    """/join CODE: become a health worker with an invite code."""
    await send(update, context, await team.join(context.deps, who(update), _first(context)))


async def invite(update: Update, context: BotContext) -> None:
    """/invite: an invite code into the admin's team."""
    await send(update, context, await team.invite(context.deps, who(update)))


async def message(update: Update, context: BotContext) -> None:
    """/message CODE text: reach the case's person through the bot."""
    await send(update, context, await relay.message(context.deps, who(update), _args(context)))


async def members(update: Update, context: BotContext) -> None:
    """/workers (admins): the team's workers."""
    await send(update, context, await team.members(context.deps, who(update)))


async def revoke(update: Update, context: BotContext) -> None:
    """/revoke N (admins): take a worker's access away."""
    await send(update, context, await team.revoke(context.deps, who(update), _first(context)))


WORKER_HANDLERS: dict[str, Handler] = {
    "pending": pending,
    "case": case,
    "contacted": contacted,
    "decline": decline,
    "note": note,
    "take": take,
    "message": message,
    "resolve": resolve,
    "stats": stats,
    "web": web,
    "join": join,
    "invite": invite,
    "workers": members,
    "revoke": revoke,
}
