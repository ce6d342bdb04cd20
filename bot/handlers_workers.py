"""Health workers' command handlers: parse the arguments, call the service, reply."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers_io import Handler, send, who
from bot.services import workers


def _first(context: BotContext) -> str | None:
    return context.args[0] if context.args else None


async def pending(update: Update, context: BotContext) -> None:
    """/pending: the team's open cases."""
    await send(update, context, await workers.pending(context.deps, who(update)))


async def case(update: Update, context: BotContext) -> None:
    """/case CODE: one case."""
    await send(update, context, await workers.case(context.deps, who(update), _first(context)))


async def resolve(update: Update, context: BotContext) -> None:
    """/resolve CODE LAB_HB [note]: close a case with the lab Hb."""
    args = list(context.args or [])
    await send(update, context, await workers.resolve(context.deps, who(update), args))


async def stats(update: Update, context: BotContext) -> None:
    """/stats: the team's figures."""
    await send(update, context, await workers.stats(context.deps, who(update)))


async def join(update: Update, context: BotContext) -> None:
    """/join CODE: become a health worker with an invite code."""
    await send(update, context, await workers.join(context.deps, who(update), _first(context)))


async def invite(update: Update, context: BotContext) -> None:
    """/invite: an invite code into the admin's team."""
    await send(update, context, await workers.invite(context.deps, who(update)))


WORKER_HANDLERS: dict[str, Handler] = {
    "pending": pending, "case": case, "resolve": resolve, "stats": stats,
    "join": join, "invite": invite,
}  # fmt: skip
