"""The real Application, built by `anemia-bot`'s factory, polling or serving a webhook against
the stand-in Bot API server, on a real database.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.chat.application import build_application, shutdown, startup
from bot.chat.context import BotApplication
from bot.services.base import Screens
from bot.services.settings import BotSettings
from storage.settings import StorageSettings
from testbed.telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "docs" / "samples" / "conjunctiva_cp-anemic_017.png"
KEY = "e2e-test-pseudonym-key-0123456789abcdef"
WORKER_ID = 7_900_000_001  # configured in HEALTH_WORKER_IDS


def settings_for(fake: FakeTelegram, **extra: Any) -> BotSettings:
    """The bot's settings for talking to the stand-in, with a health worker and a team."""
    extra = {"health_worker_ids": (WORKER_ID,), "team": "clinic", **extra}
    return BotSettings(
        telegram_bot_token=SecretStr(fake.token),
        telegram_base_url=fake.base_url,
        telegram_base_file_url=fake.base_file_url,
        **extra,
    )


@asynccontextmanager
async def running(
    fake: FakeTelegram,
    url: str,
    pool: Screens | None,
    *,
    webhook_port: int | None = None,
    secret: str = "s3cret-token",
    storage: StorageSettings | None = None,
    **settings: Any,
) -> AsyncIterator[BotApplication]:
    """The bot started as run_polling/run_webhook would, and stopped the same way after;
    `storage`: other pseudonym keys (a rotation) than KEY."""
    storage = storage or StorageSettings(database_url=url, pseudonym_key=SecretStr(KEY))
    app = build_application(
        settings_for(fake, **settings), storage, pool=pool, webhook=webhook_port is not None
    )
    await app.initialize()
    await startup(app)
    assert app.updater is not None
    if webhook_port is None:
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
    else:
        await app.updater.start_webhook(
            listen="127.0.0.1",
            port=webhook_port,
            url_path="telegram",
            secret_token=secret,
            webhook_url=f"http://127.0.0.1:{webhook_port}/telegram",
        )
    await app.start()
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await shutdown(app)
        await app.shutdown()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
