"""The stand-in Bot API server's errors, markup, buttons, commands, webhooks and faults, as
python-telegram-bot and raw HTTP see them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from telegram.error import NetworkError, RetryAfter, TimedOut

from testbed.bot import free_port
from testbed.telegram import FakeTelegram
from tests.testbed.bots import (
    OTHER,
    USER,
    application,
    bot_for,
    http,
    jpeg,
    polling,
    seconds,
    updater,
)


@pytest.mark.parametrize(
    ("method", "params", "description"),
    [
        ("sendMessage", {"chat_id": USER}, "Bad Request: message text is empty"),
        ("sendMessage", {"chat_id": 999, "text": "hi"}, "Bad Request: chat not found"),
        ("sendMessage", {"chat_id": USER, "text": "x" * 4097}, "Bad Request: message is too long"),
        (
            "sendMessage",
            {"chat_id": USER, "text": "<script>", "parse_mode": "HTML"},
            'Bad Request: can\'t parse entities: Unsupported start tag "script" at byte offset 0',
        ),
        (
            "sendMessage",
            {"chat_id": USER, "text": "<b>bold", "parse_mode": "HTML"},
            "Bad Request: can't parse entities:"
            ' Can\'t find end tag corresponding to start tag "b"',
        ),
        (
            "sendMessage",
            {"chat_id": USER, "text": "10.4 g/dL", "parse_mode": "MarkdownV2"},
            "Bad Request: can't parse entities: Character '.' is reserved and must be escaped "
            "with the preceding '\\'",
        ),
        (
            "sendMessage",
            {
                "chat_id": USER,
                "text": "go",
                "reply_markup": {"inline_keyboard": [[{"text": "x", "callback_data": "d" * 65}]]},
            },
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        ("sendPhoto", {"chat_id": USER}, "Bad Request: there is no photo in the request"),
        (
            "sendPhoto",
            {"chat_id": USER, "photo": "nope"},
            "Bad Request: wrong file identifier/HTTP URL specified",
        ),
        ("getFile", {"file_id": "nope"}, "Bad Request: invalid file_id"),
        (
            "sendChatAction",
            {"chat_id": USER, "action": "dancing"},
            "Bad Request: wrong parameter action in request",
        ),
        (
            "editMessageText",
            {"chat_id": USER, "message_id": 99, "text": "x"},
            "Bad Request: message to edit not found",
        ),
    ],
)
async def test_bad_requests_get_telegrams_errors(
    fake_telegram: FakeTelegram, method: str, params: dict[str, Any], description: str
) -> None:
    fake_telegram.add_user(USER)
    async with http(fake_telegram) as api:
        status, body = await api(method, **params)
    assert (status, body) == (400, {"ok": False, "error_code": 400, "description": description})
    assert fake_telegram.calls[-1].status == 400 and not fake_telegram.replies(USER)


async def test_html_and_markdown_that_telegram_accepts(fake_telegram: FakeTelegram) -> None:
    fake_telegram.add_user(USER)
    async with http(fake_telegram) as api:
        _, body = await api(
            "sendMessage",
            chat_id=USER,
            parse_mode="HTML",
            text="<b>Hb 10.4 g/dL</b> &lt;screening&gt;",
        )
        assert body["result"]["text"] == "Hb 10.4 g/dL <screening>"
        _, body = await api(
            "sendMessage",
            chat_id=USER,
            parse_mode="MarkdownV2",
            text="*Hb* 10\\.4 g/dL `a.b` [see](https://x.org/a.b)",
        )
        assert body["ok"] and body["result"]["text"] == "Hb 10.4 g/dL a.b see"


async def test_callback_answer_and_edit(fake_telegram: FakeTelegram) -> None:
    fake_telegram.add_user(USER)
    keyboard = {"inline_keyboard": [[{"text": "Delete", "callback_data": "delete:yes"}]]}
    async with http(fake_telegram) as api:
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
    async with http(fake_telegram) as api:
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
    async with bot_for(fake_telegram) as bot:
        waiter = asyncio.create_task(fake_telegram.wait_for(lambda c: c.method == "sendMessage"))
        await asyncio.sleep(0.05)
        await bot.send_message(USER, "later")
        assert (await waiter).params["text"] == "later"
    with pytest.raises(TimeoutError):
        await fake_telegram.wait_replies(USER, 2, timeout=0.1)


# --- webhook
async def test_webhook_blocks_polling_until_deleted(fake_telegram: FakeTelegram) -> None:
    async with http(fake_telegram) as api:
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
    port = free_port()
    app = application(fake_telegram)
    await app.initialize()
    await app.start()
    hook = f"http://127.0.0.1:{port}/hook"
    await updater(app).start_webhook(
        listen="127.0.0.1", port=port, url_path="hook", webhook_url=hook, secret_token="s3cret"
    )
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
        await updater(app).stop()
        await app.stop()
        await app.shutdown()


# --- faults
async def test_429_reaches_ptb_as_retry_after(
    fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # retry_after as timedelta, without the warning
    fake_telegram.add_user(USER)
    fake_telegram.fail_next("sendMessage", status=429, retry_after=3)
    async with bot_for(fake_telegram) as bot:
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(USER, "flood")
        await bot.send_message(USER, "again")
    assert seconds(caught.value.retry_after) == 3
    assert [c.status for c in fake_telegram.calls if c.method == "sendMessage"] == [429, 200]
    assert [c.params["text"] for c in fake_telegram.replies(USER)] == ["again"]


async def test_server_error_that_still_delivered(fake_telegram: FakeTelegram) -> None:
    fake_telegram.add_user(USER)
    fake_telegram.fail_next("sendPhoto", status=502, deliver=True)
    fake_telegram.fail_next("sendMessage", status=500, times=2)
    async with bot_for(fake_telegram) as bot:
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_photo(USER, jpeg(64, 64))
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
    async with bot_for(fake_telegram) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(USER, "slow", read_timeout=0.2)
    assert [c.params["text"] for c in fake_telegram.replies(USER)] == ["slow"]


async def test_dropped_connection_is_a_network_error(fake_telegram: FakeTelegram) -> None:
    fake_telegram.add_user(USER)
    fake_telegram.drop_connection_next("sendMessage")
    fake_telegram.drop_connection_next("sendMessage", deliver=True)
    async with bot_for(fake_telegram) as bot:
        for _ in range(2):
            with pytest.raises(NetworkError):
                await bot.send_message(USER, "dropped")
    assert [c.status for c in fake_telegram.calls if c.method == "sendMessage"] == [0, 0]
    assert len(fake_telegram.replies(USER)) == 1


async def test_polling_survives_a_dropped_get_updates(fake_telegram: FakeTelegram) -> None:
    fake_telegram.send_text(USER, "still there?")
    fake_telegram.drop_connection_next("getUpdates")
    async with polling(fake_telegram):
        replies = await fake_telegram.wait_replies(USER, 1, timeout=10)
    assert replies[0].params["text"] == "echo: still there?"
    statuses = [c.status for c in fake_telegram.calls if c.method == "getUpdates"]
    assert statuses[0] == 0 and 200 in statuses
