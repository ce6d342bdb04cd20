"""A tiny echo bot on the real python-telegram-bot Application, and raw HTTP, to drive the
stand-in Bot API server with."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
from PIL import Image
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    Updater,
    filters,
)

from testbed.telegram import FakeTelegram

USER = 4242
OTHER = 5151


def jpeg(width: int = 640, height: int = 480) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (180, 60, 60)).save(buf, "JPEG")
    return buf.getvalue()


# --- a tiny bot
def message_of(update: Update) -> Message:
    assert update.effective_message is not None
    return update.effective_message


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="consent:yes")]])
    await message_of(update).reply_text("Do you agree?", reply_markup=keyboard)


async def _button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("noted")
    await query.edit_message_text(f"chose {query.data}")


async def _echo_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await message_of(update).reply_text(f"echo: {message_of(update).text}")


async def _echo_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    file = await message_of(update).photo[-1].get_file()
    data = await file.download_as_bytearray()
    await message_of(update).reply_text(f"photo {len(data)} bytes")


def _echo_bot(app: Application) -> None:
    app.add_handler(CommandHandler("start", _start))
    app.add_handler(CallbackQueryHandler(_button))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo_text))
    app.add_handler(MessageHandler(filters.PHOTO, _echo_photo))


def application(server: FakeTelegram) -> Application:
    builder = Application.builder().token(server.token)
    app = builder.base_url(server.base_url).base_file_url(server.base_file_url).build()
    _echo_bot(app)
    return app


@asynccontextmanager
async def polling(server: FakeTelegram) -> AsyncIterator[Application]:
    app = application(server)
    await app.initialize()
    await app.start()
    await updater(app).start_polling(poll_interval=0, timeout=1)
    try:
        yield app
    finally:
        await updater(app).stop()
        await app.stop()
        await app.shutdown()


@asynccontextmanager
async def bot_for(server: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(
        server.token, base_url=server.base_url, base_file_url=server.base_file_url
    ) as bot:
        yield bot


class Api:
    """`await api(method, **params)` -> (HTTP status, JSON body), parameters sent as JSON."""

    def __init__(self, server: FakeTelegram, client: httpx.AsyncClient) -> None:
        self.server = server
        self.client = client

    async def __call__(self, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
        url = f"{self.server.base_url}{self.server.token}/{method}"
        response = await self.client.post(url, json=params)
        return response.status_code, response.json()


@asynccontextmanager
async def http(server: FakeTelegram) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield Api(server, client)


def updater(app: Application) -> Updater:
    assert app.updater is not None
    return app.updater


def seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
