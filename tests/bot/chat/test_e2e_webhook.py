"""Webhook mode: Telegram's secret-token header is checked; a right one gets the update handled,
a wrong or missing one gets 403 and nothing happens; a repeated delivery is handled once; and
Telegram's 200 comes only after the update has been handled.
"""

from __future__ import annotations

import asyncio

from bot.pipeline.result import Screening
from bot.pipeline.risk import Person
from bot.texts.i18n import t
from testbed.bot import SAMPLE, free_port, running
from testbed.telegram import message_id
from tests.bot.chat.test_security import result
from tests.bot.e2e import inference_pool, settle, weights_dir

__all__ = ["inference_pool", "weights_dir"]
USER = 7_300_000_003


async def test_webhook_with_the_right_and_the_wrong_secret(fake_telegram, tmp_path, inference_pool):
    fake, port = fake_telegram, free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    async with running(
        fake,
        f"sqlite+aiosqlite:///{tmp_path / 'b.db'}",
        inference_pool,
        webhook_port=port,
        secret="right-secret",
    ):
        assert fake.webhook is not None and fake.webhook["secret_token"] == "right-secret"
        update = fake.send_text(USER, "/help")
        assert await fake.deliver_webhook(url, update, secret_token="wrong") == 403
        assert await fake.deliver_webhook(url, update, secret_token=None) == 403
        await settle()
        assert fake.replies(USER) == []
        assert await fake.deliver_webhook(url, update, secret_token="right-secret") == 200
        [reply] = await fake.wait_replies(USER, 1)
        assert reply.params["text"].startswith(t("en", "help.text", notice="")[:20])
        assert await fake.deliver_webhook(url, update, secret_token="right-secret") == 200
        await settle()
        assert len(fake.replies(USER)) == 1  # the redelivery was claimed already


class GatedPool:
    """Screens only when the gate opens, so a test can look while a photo is in inference."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.started = asyncio.Event()

    async def screen(self, data: bytes, person: Person, *, with_cutout: bool = False) -> Screening:
        self.started.set()
        await self.gate.wait()
        return result()


async def test_telegram_gets_its_200_only_after_the_reply(fake_telegram, tmp_path):
    """Were the process to die mid-photo, Telegram would have no 200 and deliver it again."""
    fake, port, pool = fake_telegram, free_port(), GatedPool()
    url = f"http://127.0.0.1:{port}/telegram"
    async with running(
        fake, f"sqlite+aiosqlite:///{tmp_path / 'b.db'}", pool, webhook_port=port, secret="s"
    ):
        start = fake.send_text(USER, "/start")
        assert await fake.deliver_webhook(url, start, secret_token="s") == 200
        [terms] = fake.replies(USER)  # answered before the 200
        press = fake.press_button(USER, message_id(terms), "consent:yes")
        assert await fake.deliver_webhook(url, press, secret_token="s") == 200
        photo = fake.send_photo(USER, SAMPLE.read_bytes())
        delivery = asyncio.create_task(fake.deliver_webhook(url, photo, secret_token="s"))
        await asyncio.wait_for(pool.started.wait(), 30)
        await settle()
        assert not delivery.done()  # in inference: no 200 yet
        pool.gate.set()
        assert await asyncio.wait_for(delivery, 30) == 200
        *_, text, overlay = fake.replies(USER)  # both sent before the 200
        assert " g/dL" in text.params["text"] and overlay.method == "sendPhoto"
