"""Telegram handlers: read the update, call one service, send its replies. No logic here."""

from __future__ import annotations

import logging
import traceback

from telegram import Message, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.chat.context import BotApplication, BotContext
from bot.chat.delivery import may_have_arrived
from bot.chat.handlers_io import Handler, offered, send, who
from bot.chat.handlers_workers import WORKER_HANDLERS
from bot.services import buttons, history, housekeeping, people, photos, profile, relay
from bot.texts import i18n

log = logging.getLogger("bot")
PRIVATE = filters.ChatType.PRIVATE


async def start(update: Update, context: BotContext) -> None:
    """/start: the terms with the consent buttons."""
    await send(update, context, await people.start(context.deps, who(update)))


async def profile_command(update: Update, context: BotContext) -> None:
    """/profile: whom the photos are of."""
    await send(update, context, await profile.start_profile(context.deps, who(update)))


async def history_command(update: Update, context: BotContext) -> None:
    """/history: past results and the trend chart."""
    await send(update, context, await history.history(context.deps, who(update)))


async def delete(update: Update, context: BotContext) -> None:
    """/delete: ask before erasing everything."""
    await send(update, context, await people.ask_delete(context.deps, who(update)))


async def language(update: Update, context: BotContext) -> None:
    """/language: the language buttons."""
    await send(update, context, await people.choose_language(context.deps, who(update)))


async def help_command(update: Update, context: BotContext) -> None:
    """/help: how to use the bot."""
    await send(update, context, await people.help_text(context.deps, who(update)))


async def button(update: Update, context: BotContext) -> None:
    """Any inline button: answer the query, then the service's replies."""
    query = update.callback_query
    assert query is not None  # registered for callback queries only
    await query.answer()
    outs = await buttons.press(context.deps, who(update), query.data, offered(query))
    await send(update, context, outs)


# image documents; HEIC also by its name, as some senders label it application/octet-stream
IMAGE_FILES = (
    filters.Document.IMAGE
    | filters.Document.FileExtension("heic")
    | filters.Document.FileExtension("heif")
)


async def photo(update: Update, context: BotContext) -> None:
    """A photo or an image sent as a file: screen it (after consent)."""
    message = update.effective_message
    assert message is not None
    media = message.photo[-1] if message.photo else message.document
    assert media is not None  # the filters let only photos and image documents through

    async def fetch() -> bytes:
        if context.deps.typing.allow(str(message.chat_id)):  # the chat id stays in memory
            context.application.create_task(_typing(message), update=update)  # not awaited
        return bytes(await (await media.get_file()).download_as_bytearray())

    outs = await photos.screen_photo(context.deps, who(update), fetch, media.file_size)
    await send(update, context, outs)
    await photos.sent(context.deps, who(update))  # only now is the result surely told


async def _typing(message: Message) -> None:
    await message.chat.send_action(ChatAction.UPLOAD_PHOTO)


async def text(update: Update, context: BotContext) -> None:
    """Plain text: an age in months during /profile, otherwise a hint."""
    message = update.effective_message
    assert message is not None and message.text is not None
    await send(update, context, await profile.text(context.deps, who(update), message.text))


async def other(update: Update, context: BotContext) -> None:
    """Stickers, voice, video, PDFs, unknown commands...: a short hint."""
    await send(update, context, await people.hint(context.deps, who(update)))


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure without personal data or the token; tell the person, if there is one."""
    error = context.error
    frames = "".join(traceback.format_tb(error.__traceback__)) if error else ""
    # the message is left out: an HTTP error's may hold the request URL, token included
    log.error("update failed: %s\n%s", type(error).__name__, frames)
    if may_have_arrived(error):
        # a send that timed out or dropped may have arrived (it is not retried, see
        # bot.chat.delivery): an apology after a result that did arrive would only invite the
        # photo again
        return
    if isinstance(update, Update) and update.effective_chat and update.effective_user:
        lang = update.effective_user.language_code
        await context.bot.send_message(update.effective_chat.id, i18n.t(lang, "error"))


async def housekeeping_job(context: BotContext) -> None:
    """Prune processed update ids, abandoned chat steps and the records past their retention
    (run by the JobQueue)."""
    assert context.bot_data.storage is not None  # given to the factory
    await housekeeping.prune(context.deps, context.bot_data.storage)


async def reminder_job(context: BotContext) -> None:
    """Send the due "have you had your blood test?" reminders (run by the JobQueue); a
    reminder Telegram did not take stays due."""

    async def send(chat_id: int, text: str) -> relay.Delivery:
        try:
            await context.bot.send_message(chat_id, text)
        except (Forbidden, BadRequest) as e:
            if isinstance(e, Forbidden) or "chat not found" in e.message.lower():
                log.warning("reminder not delivered, chat unreachable: %s", type(e).__name__)
                return "gone"  # blocked the bot, deleted the chat
            log.warning("reminder not delivered: %s", type(e).__name__)
            return "failed"
        except TelegramError as e:  # network, Telegram's own trouble: the next round
            log.warning("reminder not delivered: %s", type(e).__name__)
            return "failed"
        return "sent"

    await relay.remind(context.deps, send)


def register(app: BotApplication) -> None:
    """Add every handler: people's commands, workers' commands, media, buttons, the rest."""
    commands: dict[str, Handler] = {
        "start": start,
        "profile": profile_command,
        "history": history_command,
        "delete": delete,
        "language": language,
        "help": help_command,
    }
    for name, callback in commands.items():
        app.add_handler(CommandHandler(name, callback, filters=PRIVATE))
    for name, callback in WORKER_HANDLERS.items():
        app.add_handler(CommandHandler(name, callback, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(button))
    app.add_handler(MessageHandler(PRIVATE & (filters.PHOTO | IMAGE_FILES), photo))
    app.add_handler(MessageHandler(PRIVATE & filters.TEXT & ~filters.COMMAND, text))
    app.add_handler(MessageHandler(PRIVATE, other))
    app.add_error_handler(on_error)
