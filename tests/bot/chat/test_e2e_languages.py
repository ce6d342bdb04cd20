"""A conversation in French and one in Hindi at the same time, through the real Application
against the stand-in Bot API, with the real models: the language comes from Telegram's
language_code on first contact; the consent, the result (with the locale's decimal sign), its
caption and /history are in that language, with its numbers and dates."""

from __future__ import annotations

import re

from bot.texts.i18n import t
from bot.texts.numbers import day
from storage.models import utcnow
from storage.settings import get_settings
from testbed.bot import SAMPLE, running
from testbed.telegram import buttons, message_id
from tests.bot.e2e import inference_pool, weights_dir

__all__ = ["inference_pool", "weights_dir"]  # fixtures
PEOPLE = {2_001: "fr-CA", 2_002: "hi"}  # Telegram's tags: a region is no other language
DECIMAL = {"fr": ",", "hi": "."}  # CLDR: French writes 9,8; Hindi (Latin digits) 9.8


async def consent_in(fake, user: int, tag: str, lang: str) -> None:
    fake.send_text(user, "/start", language_code=tag)
    [terms] = await fake.wait_replies(user, 1)
    text = terms.params["text"]
    assert text.startswith(t(lang, "consent.text", notice="", days="", crop_days="")[:40])
    assert t(lang, "count.days", n=get_settings().retention_days) in text  # "365 jours"
    assert t(lang, "notice") in text and t(lang, "consent.agree") in str(terms.params)
    fake.press_button(user, message_id(terms), "consent:yes", language_code=tag)
    replies = await fake.wait_replies(user, 3)
    assert replies[-1].params["text"] == t(lang, "profile.ask_age")
    assert "age:child_24_59m" in buttons(replies[-1])
    fake.press_button(user, message_id(replies[-1]), "age:child_24_59m", language_code=tag)
    await fake.wait_replies(user, 4)


def assert_result_in(lang: str, text: str, caption: str) -> None:
    other = re.escape("," if DECIMAL[lang] == "." else ".")
    assert re.search(rf"\d{re.escape(DECIMAL[lang])}\d g/dL", text), text  # estimate, interval
    assert not re.search(rf"\d{other}\d g/dL", text), text
    assert t(lang, "group.child_24_59m") in text and t(lang, "notice") in text
    assert caption.startswith(t(lang, "result.gradcam")) and t(lang, "notice") in caption


async def test_a_conversation_in_french_and_one_in_hindi(fake_telegram, tmp_path, inference_pool):
    fake, url = fake_telegram, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    async with running(fake, url, inference_pool):
        menus = {c.params.get("language_code") for c in fake.calls if c.method == "setMyCommands"}
        assert {"fr", "hi"} <= menus  # the command menu in every language
        for user, tag in PEOPLE.items():
            await consent_in(fake, user, tag, tag[:2])
        for user, tag in PEOPLE.items():
            fake.send_photo(user, SAMPLE.read_bytes(), language_code=tag)
        for user, tag in PEOPLE.items():
            *_, text, photo = await fake.wait_replies(user, 6, timeout=60)
            assert photo.method == "sendPhoto"
            assert_result_in(tag[:2], text.params["text"], photo.params["caption"])
            fake.send_text(user, "/history", language_code=tag)
        for user, tag in PEOPLE.items():
            lang = tag[:2]
            *_, lines, chart = await fake.wait_replies(user, 8)
            history = lines.params["text"]
            assert history.startswith(t(lang, "history.header", n=1))
            assert day(lang, utcnow()) in history  # "7 déc. 2026", "7 दिस॰ 2026"
            assert re.search(rf"\d{re.escape(DECIMAL[lang])}\d g/dL", history)
            assert chart.method == "sendPhoto" and chart.params["caption"] == t(
                lang, "history.chart"
            )
