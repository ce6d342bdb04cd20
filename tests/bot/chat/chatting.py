"""A person's chat with the bot under test: sending one thing and reading the replies, that no
handler failed, and what a reply must never contain."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.texts.i18n import t
from testbed.telegram import Call, FakeTelegram, buttons, message_id

USER = 7_200_000_001  # has agreed; never a health worker
EXCEPTION_NAME = re.compile(r"Traceback|\b[A-Z]\w*(Error|Exception)\b|File \"")
ESTIMATE = "Estimated haemoglobin"
Send = Callable[[FakeTelegram, int], object]


class Errors(logging.Handler):
    """Collects the bot's ERROR records (`on_error` logs every failed update)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Chat:
    fake: FakeTelegram
    errors: Errors

    async def exchange(self, send: Send, user: int = USER) -> list[Call]:
        """Send one thing; the bot's replies to it (two for an estimate: text, then Grad-CAM)."""
        before = len(self.fake.replies(user))
        send(self.fake, user)
        new = (await self.fake.wait_replies(user, before + 1, timeout=60))[before:]
        if new[0].params.get("text", "").startswith(ESTIMATE):
            new = (await self.fake.wait_replies(user, before + 2, timeout=60))[before:]
        return new

    async def still_answers(self, user: int = USER) -> None:
        """The next /help gets the help text, and nothing else arrived in between."""
        before = len(self.fake.replies(user))
        self.fake.send_text(user, "/help")
        replies = await self.fake.wait_replies(user, before + 1)
        assert [r.params["text"].split("\n")[0] for r in replies[before:]] == [
            t("en", "help.text", notice="").split("\n")[0]
        ]
        failed, self.errors.records = self.errors.records, []  # one failure fails one case
        assert not failed, [r.getMessage() for r in failed]


async def agree(fake: FakeTelegram, user: int, **who: str) -> None:
    """/start, agree, pick an age group: the person can now send photos."""
    fake.send_text(user, "/start", **who)
    [terms] = await fake.wait_replies(user, 1)
    fake.press_button(user, message_id(terms), "consent:contact", **who)
    replies = await fake.wait_replies(user, 3)
    assert "age:child_24_59m" in buttons(replies[-1])
    fake.press_button(user, message_id(replies[-1]), "age:child_24_59m", **who)
    saved = (await fake.wait_replies(user, 4))[-1]
    assert saved.params["text"].startswith(
        t("en", "profile.saved", group=t("en", "group.child_24_59m"))
    )


def texts(replies: list[Call]) -> list[str]:
    return [r.params.get("text") or r.params.get("caption") or "" for r in replies]


def assert_plain(replies: list[Call]) -> None:
    """No traceback, exception name or generic failure message reached the chat."""
    for text in texts(replies):
        assert not EXCEPTION_NAME.search(text), text
        assert text != t("en", "error")


def assert_no_estimate(replies: list[Call]) -> None:
    assert all(r.method != "sendPhoto" for r in replies)
    assert not any(" g/dL" in text for text in texts(replies))


def photo(make: Callable[[], bytes]) -> Send:
    return lambda fake, user: fake.send_photo(user, make())


def document(make: Callable[[], bytes], name: str, mime: str) -> Send:
    return lambda fake, user: fake.send_document(user, make(), file_name=name, mime_type=mime)


def message(text: str) -> Send:
    return lambda fake, user: fake.send_text(user, text)


def reject(code: str) -> str:
    return t("en", f"reject.{code}", mb=20)
