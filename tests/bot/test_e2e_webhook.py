"""Webhook mode: Telegram's secret-token header is checked; a right one gets the update handled,
a wrong or missing one gets 403 and nothing happens; a repeated delivery is handled once.
"""

from __future__ import annotations

from bot.i18n import t
from tests.bot.e2e import free_port, inference_pool, running, settle, weights_dir

__all__ = ["inference_pool", "weights_dir"]
USER = 7_300_000_003


async def test_webhook_with_the_right_and_the_wrong_secret(fake_telegram, tmp_path, inference_pool):
    fake, port = fake_telegram, free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    async with running(fake, f"sqlite+aiosqlite:///{tmp_path / 'b.db'}", inference_pool,
                       webhook_port=port, secret="right-secret"):  # fmt: skip
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
