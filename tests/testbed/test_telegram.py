"""The stand-in Bot API server driven by a real python-telegram-bot Application: polling,
offsets, files, methods."""

from __future__ import annotations

import asyncio
import json
import time

import httpx

from testbed.telegram import FakeTelegram
from tests.testbed.bots import (
    OTHER,
    USER,
    bot_for,
    http,
    jpeg,
    message_of,
    polling,
)


# --- the real Application end to end
async def test_application_polls_replies_downloads_and_edits(fake_telegram: FakeTelegram) -> None:
    photo = jpeg()
    async with polling(fake_telegram):
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
    async with polling(fake_telegram):
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
    async with http(fake_telegram) as api:
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
    async with http(fake_telegram) as api:
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
    async with http(fake_telegram) as api:
        first = asyncio.create_task(api("getUpdates", timeout=5))
        await asyncio.sleep(0.2)
        await api("getUpdates", timeout=0)
        status, body = await first
        assert status == 409 and body["description"].startswith("Conflict: terminated by other")


# --- requests and files
async def test_multipart_send_photo_get_file_and_download(fake_telegram: FakeTelegram) -> None:
    fake_telegram.add_user(USER)
    photo = jpeg(320, 200)
    keyboard = {"inline_keyboard": [[{"text": "Again", "callback_data": "again"}]]}
    async with http(fake_telegram) as api:
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
    photo = jpeg(1280, 960)
    fake_telegram.send_photo(USER, photo)
    fake_telegram.send_document(USER, b"%PDF-1.4", file_name="lab.pdf", mime_type="application/pdf")
    for send in (fake_telegram.send_sticker, fake_telegram.send_voice, fake_telegram.send_video):
        send(USER)
    async with bot_for(fake_telegram) as bot:
        updates = await bot.get_updates()
        messages = [message_of(update) for update in updates]
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
