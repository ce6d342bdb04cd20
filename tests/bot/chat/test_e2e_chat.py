"""The scripted chat against the stand-in Bot API server, over real HTTP, with the real models:
first contact to a result, /history, /delete, files and other messages; then nothing in the
database or the logs names the person.
"""

from __future__ import annotations

import logging

import pytest

from bot.texts.i18n import t
from testbed.bot import SAMPLE, running
from testbed.telegram import buttons, message_id
from tests.bot.e2e import all_values, inference_pool, weights_dir
from tests.storage.helpers import create_pg_database, drop_pg_database

__all__ = ["inference_pool", "weights_dir"]  # fixtures
USER, NAME, USERNAME = 7_100_123_456, "Abena", "abena_mensah"


async def consent_and_profile(fake, user=USER, **who):
    fake.send_text(user, "/start", **who)
    [terms] = await fake.wait_replies(user, 1)
    assert t(who.get("language_code", "en"), "notice") in terms.params["text"]
    fake.press_button(user, message_id(terms), "consent:contact", **who)
    replies = await fake.wait_replies(user, 3)
    assert "age:child_24_59m" in buttons(replies[-1])
    fake.press_button(user, message_id(replies[-1]), "age:child_24_59m", **who)
    await fake.wait_replies(user, 4)


def assert_result(text_call, photo_call):
    text = text_call.params["text"]
    assert " g/dL" in text and t("en", "notice") in text
    assert t("en", "group.child_24_59m") in text
    assert photo_call.method == "sendPhoto" and photo_call.files
    assert t("en", "notice") in photo_call.params["caption"]


async def scripted_chat(fake, url, pool, caplog):
    caplog.set_level(logging.DEBUG)
    who = {"first_name": NAME, "username": USERNAME}
    async with running(fake, url, pool):
        await consent_and_profile(fake, **who)
        fake.send_photo(USER, SAMPLE.read_bytes(), **who)
        *_, text, photo = await fake.wait_replies(USER, 6, timeout=60)
        assert_result(text, photo)
        fake.send_document(
            USER, SAMPLE.read_bytes(), file_name="eye.png", mime_type="image/png", **who
        )
        *_, text, photo = await fake.wait_replies(USER, 8, timeout=60)
        assert_result(text, photo)
        fake.send_sticker(USER, **who)
        fake.send_document(USER, b"%PDF-1.4", file_name="x.pdf", mime_type="application/pdf")
        replies = await fake.wait_replies(USER, 10)
        assert [r.params["text"] for r in replies[-2:]] == [t("en", "hint")] * 2
        fake.send_text(USER, "/history", **who)
        *_, lines, chart = await fake.wait_replies(USER, 12)
        assert lines.params["text"].count(" g/dL") == 2 and chart.method == "sendPhoto"
        fake.send_text(USER, "/delete", **who)
        confirm = (await fake.wait_replies(USER, 13))[-1]
        fake.press_button(USER, message_id(confirm), "delete:yes", **who)
        done = (await fake.wait_replies(USER, 14))[-1]
        assert done.method == "editMessageText" and done.params["text"] == t("en", "delete.done")
    return await all_values(url)


def assert_nobody_named(values, caplog):
    ours = [r for r in caplog.records if not r.name.startswith(("aiohttp", "tests"))]
    logs = "\n".join(f"{r.name} {r.getMessage()}" for r in ours)
    for secret in (str(USER), NAME, USERNAME):
        assert not any(secret in v for v in values), secret
        assert secret not in logs, secret
    assert "TEST-TOKEN" not in logs


async def test_scripted_chat_on_sqlite(fake_telegram, tmp_path, inference_pool, caplog):
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    values = await scripted_chat(fake_telegram, url, inference_pool, caplog)
    assert_nobody_named(values, caplog)
    assert not any("screening" in v for v in values if "subject" in v)  # erased


async def test_scripted_chat_on_postgresql(fake_telegram, inference_pool, caplog):
    url = await create_pg_database("bot_e2e")
    try:
        values = await scripted_chat(fake_telegram, url, inference_pool, caplog)
        assert_nobody_named(values, caplog)
    finally:
        await drop_pg_database(url)


async def test_a_photo_before_consent_gets_the_consent_prompt(
    fake_telegram, tmp_path, inference_pool
):
    async with running(fake_telegram, f"sqlite+aiosqlite:///{tmp_path / 'b.db'}", inference_pool):
        fake_telegram.send_photo(USER, SAMPLE.read_bytes())
        [prompt] = await fake_telegram.wait_replies(USER, 1)
        assert prompt.params["text"].startswith(t("en", "consent.first"))
        assert "consent:yes" in buttons(prompt)
        assert not [c for c in fake_telegram.calls if c.method == "getFile"]  # not even fetched


@pytest.mark.parametrize("lang", ["ja"])
async def test_two_people_at_once(fake_telegram, tmp_path, inference_pool, lang):
    url = f"sqlite+aiosqlite:///{tmp_path / 'b.db'}"
    async with running(fake_telegram, url, inference_pool):
        await consent_and_profile(fake_telegram, 1001)
        await consent_and_profile(fake_telegram, 1002, language_code=lang)
        fake_telegram.send_photo(1001, SAMPLE.read_bytes())
        fake_telegram.send_photo(1002, SAMPLE.read_bytes(), language_code=lang)
        en = await fake_telegram.wait_replies(1001, 6, timeout=60)
        ja = await fake_telegram.wait_replies(1002, 6, timeout=60)
        assert t("en", "notice") in en[-2].params["text"]
        assert t("ja", "notice") in ja[-2].params["text"]


async def test_photos_sent_together_get_one_chat_action(fake_telegram, tmp_path, inference_pool):
    async with running(fake_telegram, f"sqlite+aiosqlite:///{tmp_path / 'b.db'}", inference_pool):
        await consent_and_profile(fake_telegram)
        fake_telegram.send_photo(USER, SAMPLE.read_bytes())
        fake_telegram.send_photo(USER, SAMPLE.read_bytes())
        replies = await fake_telegram.wait_replies(USER, 8, timeout=60)
        assert [r.method for r in replies[-4:]].count("sendPhoto") == 2
        actions = [c for c in fake_telegram.calls if c.method == "sendChatAction"]
        assert [a.params["action"] for a in actions] == ["upload_photo"]
