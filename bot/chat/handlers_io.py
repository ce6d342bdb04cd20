"""Between Telegram and the services: who sent an update, and sending a service's replies."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)

from bot.chat.context import BotContext
from bot.services.base import Out, Who
from bot.services.startup import command_list
from bot.texts.i18n import DEFAULT, LANGUAGES

Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


def who(update: Update) -> Who:
    """The sender of a private-chat update (every handler is registered for those only)."""
    user = update.effective_user
    if user is None:
        raise ValueError("an update without a sender")
    return Who(user.id, update.update_id, user.language_code)


def offered(query: CallbackQuery) -> frozenset[str]:
    """The callback data of the buttons under the pressed message (none if it is inaccessible):
    Telegram sends the message as it is now, so a press carrying anything else was forged."""
    message = query.message
    markup = message.reply_markup if isinstance(message, Message) else None
    if markup is None:
        return frozenset()
    return frozenset(
        b.callback_data
        for row in markup.inline_keyboard
        for b in row
        if isinstance(b.callback_data, str)
    )


def _markup(out: Out) -> InlineKeyboardMarkup | None:
    if not out.buttons:
        return None
    rows = [
        [InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in out.buttons
    ]
    return InlineKeyboardMarkup(rows)


def bot_commands(lang: str, *, worker: bool) -> list[BotCommand]:
    """The command menu for setMyCommands."""
    return [BotCommand(name, text) for name, text in command_list(lang, worker=worker)]


async def send(update: Update, context: BotContext, outs: list[Out]) -> None:
    """Send the replies in order, as plain text (no parse mode: nothing is interpreted)."""
    chat_id = update.effective_chat.id if update.effective_chat else who(update).user_id
    for out in outs:
        markup = _markup(out)
        if out.to is not None:  # relayed to another person's chat
            await context.bot.send_message(out.to, out.text, reply_markup=markup)
        elif out.photo is not None:
            await context.bot.send_photo(chat_id, out.photo, caption=out.text, reply_markup=markup)
        elif out.edit and update.callback_query is not None:
            await update.callback_query.edit_message_text(out.text, reply_markup=markup)
        else:
            await context.bot.send_message(chat_id, out.text, reply_markup=markup)
        if out.worker_commands:
            await set_menu(context.bot, worker_chat=chat_id)


async def set_menu(bot: Bot, *, worker_chat: int | None = None) -> None:
    """The command menu in each language (Telegram shows the one matching the person's app
    language, English otherwise): the people's for everyone, or the workers' in their chat."""
    scope = None if worker_chat is None else BotCommandScopeChat(worker_chat)
    for lang in LANGUAGES:
        code = None if lang == DEFAULT else lang
        commands = bot_commands(lang, worker=worker_chat is not None)
        await bot.set_my_commands(commands, scope=scope, language_code=code)
