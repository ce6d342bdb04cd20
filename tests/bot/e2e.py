"""End-to-end helpers: the real Application (built by `anemia-bot`'s factory) polling or
serving a webhook against the stand-in Bot API server, on a real database.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.chat.application import build_application, shutdown, startup
from bot.chat.context import BotApplication
from bot.chat.services.base import Screens
from bot.chat.settings import BotSettings
from bot.pipeline.inference import InferencePool
from model import WEIGHTS
from storage.db import make_engine
from storage.settings import StorageSettings
from tests.bot.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "docs" / "samples" / "conjunctiva_cp-anemic_017.png"
KEY = "e2e-test-pseudonym-key-0123456789abcdef"
WORKER_ID = 7_900_000_001  # configured in HEALTH_WORKER_IDS


@pytest.fixture(scope="session")
def weights_dir(request: pytest.FixtureRequest) -> Path:
    """The shipped weights; the quick synthetic ones where none are shipped in this checkout."""
    if (WEIGHTS / "ensemble.msgpack").is_file():
        return WEIGHTS
    return Path(request.getfixturevalue("trained_weights"))


@pytest.fixture(scope="session")
def inference_pool(weights_dir: Path) -> Iterator[InferencePool]:
    """One pool for the whole session: loading and warming the models takes seconds."""
    pool = InferencePool(weights_dir, workers=1, queue_size=8)
    pool.start()
    yield pool
    pool.close()


def settings_for(fake: FakeTelegram, **extra: Any) -> BotSettings:
    return BotSettings(
        telegram_bot_token=SecretStr(fake.token), telegram_base_url=fake.base_url,
        telegram_base_file_url=fake.base_file_url, health_worker_ids=(WORKER_ID,),
        team="clinic", **extra,
    )  # fmt: skip


@asynccontextmanager
async def running(
    fake: FakeTelegram, url: str, pool: Screens | None, *, webhook_port: int | None = None,
    secret: str = "s3cret-token", **settings: Any,
) -> AsyncIterator[BotApplication]:  # fmt: skip
    """The bot started as run_polling/run_webhook would, and stopped the same way after."""
    app = build_application(settings_for(fake, **settings), StorageSettings(database_url=url,
                            pseudonym_key=SecretStr(KEY)), pool=pool,
                            webhook=webhook_port is not None)  # fmt: skip
    await app.initialize()
    await startup(app)
    assert app.updater is not None
    if webhook_port is None:
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
    else:
        await app.updater.start_webhook(
            listen="127.0.0.1", port=webhook_port, url_path="telegram", secret_token=secret,
            webhook_url=f"http://127.0.0.1:{webhook_port}/telegram",
        )  # fmt: skip
    await app.start()
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await shutdown(app)
        await app.shutdown()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def all_values(url: str) -> list[str]:
    """Every value in every column of every table, as text."""
    engine: AsyncEngine = make_engine(url)
    try:
        async with engine.connect() as conn:
            meta = MetaData()
            await conn.run_sync(meta.reflect)
            values: list[str] = []
            for table in meta.sorted_tables:
                for row in await conn.execute(select(table)):
                    values += [repr(v) for v in row]
            return values
    finally:
        await engine.dispose()


def buttons(call: Any) -> list[str]:
    markup = call.params.get("reply_markup") or {}
    if isinstance(markup, str):
        import json

        markup = json.loads(markup)
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


def message_id(call: Any) -> int:
    return int(call.result["message_id"])


async def settle(seconds: float = 0.3) -> None:
    await asyncio.sleep(seconds)
