"""The stand-in Bot API server: driven by a real python-telegram-bot Application and raw HTTP."""

from __future__ import annotations

import asyncio
import io
import json
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from PIL import Image
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import NetworkError, RetryAfter, TimedOut
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


def _jpeg(width: int = 640, height: int = 480) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (180, 60, 60)).save(buf, "JPEG")
    return buf.getvalue()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- a tiny bot
def _message(update: Update) -> Message:
    assert update.effective_message is not None
    return update.effective_message


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="consent:yes")]])
    await _message(update).reply_text("Do you agree?", reply_markup=keyboard)


async def _button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("noted")
    await query.edit_message_text(f"chose {query.data}")


async def _echo_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _message(update).reply_text(f"echo: {_message(update).text}")


async def _echo_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    file = await _message(update).photo[-1].get_file()
    data = await file.download_as_bytearray()
    await _message(update).reply_text(f"photo {len(data)} bytes")


def _echo_bot(app: Application) -> None:
    app.add_handler(CommandHandler("start", _start))
    app.add_handler(CallbackQueryHandler(_button))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo_text))
    app.add_handler(MessageHandler(filters.PHOTO, _echo_photo))


def _application(server: FakeTelegram) -> Application:
    builder = Application.builder().token(server.token)
    app = builder.base_url(server.base_url).base_file_url(server.base_file_url).build()
    _echo_bot(app)
    return app


@asynccontextmanager
async def _polling(server: FakeTelegram) -> AsyncIterator[Application]:
    app = _application(server)
    await app.initialize()
    await app.start()
    await _updater(app).start_polling(poll_interval=0, timeout=1)
    try:
        yield app
    finally:
        await _updater(app).stop()
        await app.stop()
        await app.shutdown()


@asynccontextmanager
async def _bot(server: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(
        server.token, base_url=server.base_url, base_file_url=server.base_file_url
    ) as bot:
        yield bot


class _Api:
    """`await api(method, **params)` -> (HTTP status, JSON body), parameters sent as JSON."""

    def __init__(self, server: FakeTelegram, client: httpx.AsyncClient) -> None:
        self.server = server
        self.client = client

    async def __call__(self, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
        url = f"{self.server.base_url}{self.server.token}/{method}"
        response = await self.client.post(url, json=params)
        return response.status_code, response.json()


@asynccontextmanager
async def _http(server: FakeTelegram) -> AsyncIterator[_Api]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield _Api(server, client)


def _updater(app: Application) -> Updater:
    assert app.updater is not None
    return app.updater


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


# --- the real Application end to end
async def test_application_polls_replies_downloads_and_edits(fake_telegram: FakeTelegram) -> None:
    photo = _jpeg()
    async with _polling(fake_telegram):
        fake_telegram.send_text(USER, "/start")
        (prompt,) = await fake_telegram.wait_replies(USER, 1, timeout=10)
        assert (
            prompt.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "consent:yes"
        )
        fake_telegram.press_button(USER, prompt.result["message_id"], "consent:yes")
        await fake_telegram.wait_replies(USER, 2, timeout=10)
        fake_telegram.send_text(USER, "hello")
        fake_telegram.send_photo(USER, photo)
        replies = await fake_telegram.wait_replies(USER, 4, timeout=10)

    methods = [call.method for call in fake_telegram.calls]
    assert methods[:2] == ["getMe", "deleteWebhook"]
    assert [call.method for call in replies] == ["sendMessage", "editMessageText"] + [
        "sendMessage"
    ] * 2
    assert replies[1].params["text"] == "chose consent:yes"
    assert "reply_markup" not in fake_telegram.sent_messages[prompt.result["message_id"]]
    assert [call.params["text"] for call in replies[2:]] == [
        "echo: hello",
        f"photo {len(photo)} bytes",
    ]
    assert next(iter(fake_telegram.callback_answers.values()))["text"] == "noted"
    assert fake_telegram.downloads and fake_telegram.downloads[-1].startswith("photos/file_")
    message_ids = [call.result["message_id"] for call in replies if call.method == "sendMessage"]
    assert message_ids == sorted(message_ids) and len(set(message_ids)) == 3
    assert not fake_telegram.pending_updates


async def test_two_chats_are_answered_separately(fake_telegram: FakeTelegram) -> None:
    async with _polling(fake_telegram):
        fake_telegram.send_text(USER, "one")
        fake_telegram.send_text(OTHER, "two", first_name="Kofi", username=None)
        assert (await fake_telegram.wait_replies(USER, 1))[0].params["text"] == "echo: one"
        assert (await fake_telegram.wait_replies(OTHER, 1))[0].params["text"] == "echo: two"
    assert (
        fake_telegram.updates[max(fake_telegram.updates)]["message"]["from"]["first_name"] == "Kofi"
    )


# --- getUpdates
async def test_offsets_confirm_and_forget_updates(fake_telegram: FakeTelegram) -> None:
    ids = [fake_telegram.send_text(USER, f"m{i}") for i in range(4)]
    assert ids == sorted(ids) and len(set(ids)) == 4
    async with _http(fake_telegram) as api:
        _, body = await api("getUpdates")
        assert [u["update_id"] for u in body["result"]] == ids
        _, body = await api("getUpdates", offset=ids[2], limit=1)
        assert [u["update_id"] for u in body["result"]] == [ids[2]]
        _, body = await api("getUpdates")
        assert [u["update_id"] for u in body["result"]] == ids[2:]  # ids[0:2] are forgotten
        _, body = await api("getUpdates", offset=-1)
        assert [u["update_id"] for u in body["result"]] == [ids[3]]
        _, body = await api("getUpdates", offset=ids[3] + 1)
        assert body == {"ok": True, "result": []}
        pushed = fake_telegram.push_update({"callback_query": {"id": "x"}})
        fake_telegram.push_update({"message_reaction": {}})
        _, body = await api("getUpdates", allowed_updates=["message"])
        assert body["result"] == [] and pushed > ids[3]


async def test_long_poll_waits_for_timeout_or_returns_early(fake_telegram: FakeTelegram) -> None:
    async with _http(fake_telegram) as api:
        started = time.monotonic()
        _, body = await api("getUpdates", timeout=1)
        assert body["result"] == [] and 0.9 <= time.monotonic() - started < 1.6

        started = time.monotonic()
        poll = asyncio.create_task(api("getUpdates", timeout=5))
        await asyncio.sleep(0.2)
        update_id = fake_telegram.send_text(USER, "wake up")
        _, body = await poll
        assert [u["update_id"] for u in body["result"]] == [update_id]
        assert time.monotonic() - started < 1.0


async def test_second_poll_ends_the_first_with_conflict(fake_telegram: FakeTelegram) -> None:
    async with _http(fake_telegram) as api:
        first = asyncio.create_task(api("getUpdates", timeout=5))
        await asyncio.sleep(0.2)
        await api("getUpdates", timeout=0)
        status, body = await first
        assert status == 409 and body["description"].startswith("Conflict: terminated by other")


# --- requests and files
async def test_multipart_send_photo_get_file_and_download(fake_telegram: FakeTelegram) -> None:
    fake_telegram.add_user(USER)
    photo = _jpeg(320, 200)
    keyboard = {"inline_keyboard": [[{"text": "Again", "callback_data": "again"}]]}
    async with _http(fake_telegram) as api:
        url = f"{fake_telegram.base_url}{fake_telegram.token}/sendPhoto"
        data = {"chat_id": str(USER), "caption": "Grad-CAM", "reply_markup": json.dumps(keyboard)}
        files = {"photo": ("cam.jpg", photo, "image/jpeg")}
        response = await api.client.post(url, data=data, files=files)
        message = response.json()["result"]
        assert message["caption"] == "Grad-CAM" and message["reply_markup"] == keyboard
        largest = message["photo"][-1]
        assert (largest["width"], largest["height"], largest["file_size"]) == (320, 200, len(photo))

        _, body = await api("getFile", file_id=largest["file_id"])
        assert body["result"]["file_path"].startswith("photos/file_")
        file_url = (
            f"{fake_telegram.base_file_url}{fake_telegram.token}/{body['result']['file_path']}"
        )
        assert (await api.client.get(file_url)).content == photo
        assert (await api.client.get(file_url.replace("TEST-TOKEN", "WRONG"))).status_code == 401
        assert (await api.client.get(file_url.replace(":TEST-TOKEN", ""))).status_code == 404

        status, body = await api("sendPhoto", chat_id=USER, photo=largest["file_id"])
        assert status == 200 and body["result"]["photo"][0]["file_id"] == largest["file_id"]
    call = fake_telegram.replies(USER)[0]
    assert call.files == {"photo": photo} and call.params["chat_id"] == USER
    assert call.params["reply_markup"] == keyboard
    assert fake_telegram.file_bytes(largest["file_id"]) == photo


async def test_user_files_reach_the_bot(fake_telegram: FakeTelegram) -> None:
    photo = _jpeg(1280, 960)
    fake_telegram.send_photo(USER, photo)
    fake_telegram.send_document(USER, b"%PDF-1.4", file_name="lab.pdf", mime_type="application/pdf")
    for send in (fake_telegram.send_sticker, fake_telegram.send_voice, fake_telegram.send_video):
        send(USER)
    async with _bot(fake_telegram) as bot:
        updates = await bot.get_updates()
        messages = [_message(update) for update in updates]
        sizes = messages[0].photo
        assert [s.width for s in sizes] == [90, 320, 1280] and sizes[-1].file_size == len(photo)
        assert await (await sizes[-1].get_file()).download_as_bytearray() == photo
        document = messages[1].document
        assert document is not None and document.file_name == "lab.pdf"
        assert all(m.sticker or m.voice or m.video for m in messages[2:])


async def test_methods_by_get_form_and_json(fake_telegram: FakeTelegram) -> None:
    fake_telegram.add_user(USER)
    api_url = f"{fake_telegram.base_url}{fake_telegram.token}"
    async with httpx.AsyncClient() as client:
        me = (await client.get(f"{api_url}/getMe")).json()["result"]
        assert me["is_bot"] and me["username"] == "anemia_screen_bot"
        form = await client.post(f"{api_url}/sendMessage", data={"chat_id": USER, "text": "123"})
        assert form.json()["result"]["text"] == "123"
        query = await client.get(f"{api_url}/sendChatAction?chat_id={USER}&action=typing")
        assert query.json() == {"ok": True, "result": True}
        unknown = await client.post(f"{api_url}/sendTelepathy", json={})
        assert unknown.status_code == 404
        assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        assert (await client.get(f"{fake_telegram.base_url}1:BAD/getMe")).status_code == 401


@pytest.mark.parametrize(
    ("method", "params", "description"),
    [
        ("sendMessage", {"chat_id": USER}, "Bad Request: message text is empty"),
        ("sendMessage", {"chat_id": 999, "text": "hi"}, "Bad Request: chat not found"),
        ("sendMessage", {"chat_id": USER, "text": "x" * 4097}, "Bad Request: message is too long"),
        ("sendMessage", {"chat_id": USER, "text": "<script>", "parse_mode": "HTML"},
         'Bad Request: can\'t parse entities: Unsupported start tag "script" at byte offset 0'),
        ("sendMessage", {"chat_id": USER, "text": "<b>bold", "parse_mode": "HTML"},
         'Bad Request: can\'t parse entities: Can\'t find end tag corresponding to start tag "b"'),
        ("sendMessage", {"chat_id": USER, "text": "10.4 g/dL", "parse_mode": "MarkdownV2"},
         "Bad Request: can't parse entities: Character '.' is reserved and must be escaped "
         "with the preceding '\\'"),
        ("sendMessage", {"chat_id": USER, "text": "go", "reply_markup": {"inline_keyboard": [
            [{"text": "x", "callback_data": "d" * 65}]]}}, "Bad Request: BUTTON_DATA_INVALID"),
        ("sendPhoto", {"chat_id": USER}, "Bad Request: there is no photo in the request"),
        ("sendPhoto", {"chat_id": USER, "photo": "nope"},
         "Bad Request: wrong file identifier/HTTP URL specified"),
        ("getFile", {"file_id": "nope"}, "Bad Request: invalid file_id"),
        ("sendChatAction", {"chat_id": USER, "action": "dancing"},
         "Bad Request: wrong parameter action in request"),
        ("editMessageText", {"chat_id": USER, "message_id": 99, "text": "x"},
         "Bad Request: message to edit not found"),
    ],
)  # fmt: skip
async def test_bad_requests_get_telegrams_errors(
    fake_telegram: FakeTelegram, method: str, params: dict[str, Any], description: str
) -> None:
    fake_telegram.add_user(USER)
    async with _http(fake_telegram) as api:
        status, body = await api(method, **params)
    assert (status, body) == (400, {"ok": False, "error_code": 400, "description": description})
    assert fake_telegram.calls[-1].status == 400 and not fake_telegram.replies(USER)


async def test_html_and_markdown_that_telegram_accepts(fake_telegram: FakeTelegram) -> None:
    fake_telegram.add_user(USER)
    async with _http(fake_telegram) as api:
        _, body = await api("sendMessage", chat_id=USER, parse_mode="HTML",
                            text="<b>Hb 10.4 g/dL</b> &lt;screening&gt;")  # fmt: skip
        assert body["result"]["text"] == "Hb 10.4 g/dL <screening>"
        _, body = await api("sendMessage", chat_id=USER, parse_mode="MarkdownV2",
                            text="*Hb* 10\\.4 g/dL `a.b` [see](https://x.org/a.b)")  # fmt: skip
        assert body["ok"] and body["result"]["text"] == "Hb 10.4 g/dL a.b see"


async def test_callback_answer_and_edit(fake_telegram: FakeTelegram) -> None:
    fake_telegram.add_user(USER)
    keyboard = {"inline_keyboard": [[{"text": "Delete", "callback_data": "delete:yes"}]]}
    async with _http(fake_telegram) as api:
        _, sent = await api("sendMessage", chat_id=USER, text="Sure?", reply_markup=keyboard)
        message_id = sent["result"]["message_id"]
        fake_telegram.press_button(USER, message_id, "delete:yes")
        _, body = await api("getUpdates")
        query = body["result"][0]["callback_query"]
        assert query["data"] == "delete:yes" and query["message"]["message_id"] == message_id
        assert (await api("answerCallbackQuery", callback_query_id=query["id"]))[0] == 200
        assert (await api("answerCallbackQuery", callback_query_id=query["id"]))[0] == 400
        edit = {
            "chat_id": USER,
            "message_id": message_id,
            "text": "Sure?",
            "reply_markup": keyboard,
        }
        status, body = await api("editMessageText", **edit)
        assert status == 400 and "message is not modified" in body["description"]
        status, body = await api("editMessageText", **{**edit, "text": "Deleted"})
        assert status == 200 and body["result"]["text"] == "Deleted"
        assert (await api("deleteMessage", chat_id=USER, message_id=message_id))[0] == 200
    assert message_id not in fake_telegram.sent_messages
    answers = [c for c in fake_telegram.calls if c.method == "answerCallbackQuery"]
    assert [(c.status, c.chat_id) for c in answers] == [(200, USER), (400, USER)]
    with pytest.raises(KeyError):
        fake_telegram.press_button(OTHER, message_id, "x")


async def test_set_my_commands_with_chat_scope(fake_telegram: FakeTelegram) -> None:
    fake_telegram.add_user(USER)
    worker = [{"command": "pending", "description": "Cases waiting"}]
    scope = {"type": "chat", "chat_id": USER}
    async with _http(fake_telegram) as api:
        assert (await api("setMyCommands", commands=worker, scope=scope))[0] == 200
        assert (await api("setMyCommands", commands=[{"command": "start", "description": "go"}]))[
            0
        ] == 200
        _, body = await api("getMyCommands", scope=scope)
        assert body["result"] == worker
        status, body = await api(
            "setMyCommands", commands=worker, scope={"type": "chat", "chat_id": 7}
        )
        assert (status, body["description"]) == (400, "Bad Request: chat not found")
        status, _ = await api("setMyCommands", commands=[{"command": "Bad!", "description": "x"}])
        assert status == 400
    call = await fake_telegram.wait_for(lambda c: c.method == "setMyCommands" and c.chat_id == USER)
    assert call.params["scope"] == scope
    assert fake_telegram.commands_for(scope) == worker
    assert fake_telegram.commands_for() == [{"command": "start", "description": "go"}]


async def test_wait_for_future_call_and_timeout(fake_telegram: FakeTelegram) -> None:
    fake_telegram.add_user(USER)
    async with _bot(fake_telegram) as bot:
        waiter = asyncio.create_task(fake_telegram.wait_for(lambda c: c.method == "sendMessage"))
        await asyncio.sleep(0.05)
        await bot.send_message(USER, "later")
        assert (await waiter).params["text"] == "later"
    with pytest.raises(TimeoutError):
        await fake_telegram.wait_replies(USER, 2, timeout=0.1)


# --- webhook
async def test_webhook_blocks_polling_until_deleted(fake_telegram: FakeTelegram) -> None:
    async with _http(fake_telegram) as api:
        await api("setWebhook", url="https://bot.example/hook", secret_token="s3cret-Token_1")
        assert fake_telegram.webhook == {
            "url": "https://bot.example/hook",
            "secret_token": "s3cret-Token_1",
        }
        status, body = await api("getUpdates")
        assert status == 409 and body["description"].startswith("Conflict: can't use getUpdates")
        _, info = await api("getWebhookInfo")
        assert info["result"]["url"] == "https://bot.example/hook"
        await api("deleteWebhook")
        assert fake_telegram.webhook is None and (await api("getUpdates"))[0] == 200
        assert (await api("setWebhook", url="https://x", secret_token="bad token!"))[0] == 400


async def test_webhook_delivery_checks_the_secret(fake_telegram: FakeTelegram) -> None:
    port = _free_port()
    app = _application(fake_telegram)
    await app.initialize()
    await app.start()
    hook = f"http://127.0.0.1:{port}/hook"
    await _updater(app).start_webhook(listen="127.0.0.1", port=port, url_path="hook",
                                    webhook_url=hook, secret_token="s3cret")  # fmt: skip
    try:
        assert fake_telegram.webhook is not None
        assert (fake_telegram.webhook["url"], fake_telegram.webhook["secret_token"]) == (
            hook,
            "s3cret",
        )
        update_id = fake_telegram.send_text(USER, "via hook")
        assert await fake_telegram.deliver_webhook(hook, update_id, secret_token="wrong") == 403
        assert await fake_telegram.deliver_webhook(hook, update_id, secret_token=None) == 403
        assert fake_telegram.pending_updates and not fake_telegram.replies(USER)
        assert await fake_telegram.deliver_webhook(hook, update_id, secret_token="s3cret") == 200
        assert (await fake_telegram.wait_replies(USER, 1))[0].params["text"] == "echo: via hook"
        assert not fake_telegram.pending_updates
    finally:
        await _updater(app).stop()
        await app.stop()
        await app.shutdown()


# --- faults
async def test_429_reaches_ptb_as_retry_after(
    fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # retry_after as timedelta, without the warning
    fake_telegram.add_user(USER)
    fake_telegram.fail_next("sendMessage", status=429, retry_after=3)
    async with _bot(fake_telegram) as bot:
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(USER, "flood")
        await bot.send_message(USER, "again")
    assert _seconds(caught.value.retry_after) == 3
    assert [c.status for c in fake_telegram.calls if c.method == "sendMessage"] == [429, 200]
    assert [c.params["text"] for c in fake_telegram.replies(USER)] == ["again"]


async def test_server_error_that_still_delivered(fake_telegram: FakeTelegram) -> None:
    fake_telegram.add_user(USER)
    fake_telegram.fail_next("sendPhoto", status=502, deliver=True)
    fake_telegram.fail_next("sendMessage", status=500, times=2)
    async with _bot(fake_telegram) as bot:
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_photo(USER, _jpeg(64, 64))
        for _ in range(2):
            with pytest.raises(NetworkError):
                await bot.send_message(USER, "lost")
        await bot.send_message(USER, "third time")
    replies = fake_telegram.replies(USER)
    assert [c.method for c in replies] == ["sendPhoto", "sendMessage"]
    assert replies[0].status == 502 and replies[0].result["photo"]


async def test_slow_answer_times_out_but_message_arrived(fake_telegram: FakeTelegram) -> None:
    fake_telegram.add_user(USER)
    fake_telegram.delay_next("sendMessage", 1.0)
    async with _bot(fake_telegram) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(USER, "slow", read_timeout=0.2)
    assert [c.params["text"] for c in fake_telegram.replies(USER)] == ["slow"]


async def test_dropped_connection_is_a_network_error(fake_telegram: FakeTelegram) -> None:
    fake_telegram.add_user(USER)
    fake_telegram.drop_connection_next("sendMessage")
    fake_telegram.drop_connection_next("sendMessage", deliver=True)
    async with _bot(fake_telegram) as bot:
        for _ in range(2):
            with pytest.raises(NetworkError):
                await bot.send_message(USER, "dropped")
    assert [c.status for c in fake_telegram.calls if c.method == "sendMessage"] == [0, 0]
    assert len(fake_telegram.replies(USER)) == 1


async def test_polling_survives_a_dropped_get_updates(fake_telegram: FakeTelegram) -> None:
    fake_telegram.send_text(USER, "still there?")
    fake_telegram.drop_connection_next("getUpdates")
    async with _polling(fake_telegram):
        replies = await fake_telegram.wait_replies(USER, 1, timeout=10)
    assert replies[0].params["text"] == "echo: still there?"
    statuses = [c.status for c in fake_telegram.calls if c.method == "getUpdates"]
    assert statuses[0] == 0 and 200 in statuses
